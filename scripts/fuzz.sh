#!/usr/bin/env bash
# fuzz.sh [SECONDS] [TARGET...]: run each fuzz target for SECONDS (default 60) with
# cargo +nightly fuzz, seeded from the scenario and malformed corpora. New crash
# inputs are copied to fuzz/regressions/<target>/, which the normal test suite
# replays (core/tests/fuzz_regressions.rs). Prints executions and crashes per target.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(policy scenario blob snapshot ops)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  mkdir -p "$corpus" "fuzz/regressions/$t"
  case $t in
    scenario) cp tests/scenarios/*.json "$corpus/" 2>/dev/null; find tests/malformed tests/hostile -name '*.json' -size -64k -exec cp {} "$corpus/" \; ;;
    policy) python3 - "$corpus" <<'PY'
import json, glob, sys, os
n = 0
for f in glob.glob('tests/scenarios/*.json'):
    for s in json.load(open(f))['steps']:
        d = (s.get('params') or {}).get('PolicyDocument')
        if d is not None:
            open(os.path.join(sys.argv[1], f'p{n}.json'), 'w').write(json.dumps(d)); n += 1
PY
    ;;
  esac
  log=$(mktemp)
  cargo +nightly fuzz run "$t" "$corpus" -- -max_total_time="$secs" -max_len=8192 -rss_limit_mb=2048 -timeout=10 >"$log" 2>&1
  rc=$?
  execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+' | tail -1)
  [ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  crashes=0
  for c in fuzz/artifacts/"$t"/crash-* fuzz/artifacts/"$t"/oom-* fuzz/artifacts/"$t"/timeout-*; do
    [ -e "$c" ] || continue
    cp "$c" "fuzz/regressions/$t/"; crashes=$((crashes + 1))
  done
  echo "fuzz $t: ${execs:-?} executions in ${secs}s, $crashes crash input(s), exit $rc"
  [ $rc -ne 0 ] && tail -30 "$log"
  rm -f "$log"
done
