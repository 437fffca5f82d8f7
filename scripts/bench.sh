#!/usr/bin/env bash
# The benchmark suite of issue #8: runs every part of bench/ and regenerates BENCHMARKS.md.
# `make bench` runs it (through `make bench-report`, which first builds the Python wheel
# and the wasm package); it can also be run directly once those exist.
#
#   scripts/bench.sh             the figures of record (about 10 minutes once built)
#   BENCH_QUICK=1 scripts/bench.sh   small sizes, for trying the suite out (not of record)
#
# Each part writes JSON (or text) into target/bench/results/; bench/report.py reads them
# and writes BENCHMARKS.md. Parts that need an optional runtime (Python wheel, wasm
# package, Node) are skipped with the reason recorded when it is missing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR="$ROOT/target/bench"
RESULTS="$CARGO_TARGET_DIR/results"
RUNTIMES="$CARGO_TARGET_DIR/runtimes"
rm -rf "$RESULTS"
mkdir -p "$RESULTS" "$RUNTIMES"
BIN="$CARGO_TARGET_DIR/release/kms-share-bench"
PY="$ROOT/.venv/bin/python"
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  SIZES=100,1000,10000; CEDAR=(--accounts 1000 --requests 20000 --rounds 20); STATE_N=10000; RT_N=1000
else
  SIZES=100,10000,100000; CEDAR=(--accounts 10000 --requests 100000); STATE_N=100000; RT_N=10000
fi

step() { echo "== bench: $* ($(date -u +%H:%M:%S))" >&2; }
skip() { # skip NAME REASON: record why a part was not measured
  printf '{"skipped": true, "reason": %s}\n' "$(printf '%s' "$2" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" >"$RESULTS/$1.json"
  echo "bench: $1 skipped: $2" >&2
}
snapshot_load() { # the machine's load and its busiest processes, for the report
  python3 - "$1" <<'EOF'
import json, os, subprocess, sys
ps = subprocess.run(["ps", "-eo", "pcpu,rss,comm", "--sort=-pcpu", "--no-headers"], capture_output=True, text=True).stdout.splitlines()
busy = [l.split(None, 2) for l in ps[:8]]
print(json.dumps({"loadavg": os.getloadavg(), "busiest": [{"cpu": float(b[0]), "rssKb": int(b[1]), "command": b[2]} for b in busy if len(b) == 3]}))
EOF
}

step "build (release, $CARGO_TARGET_DIR)"
cargo build --release --quiet --manifest-path bench/Cargo.toml
# Part 4's AES figures again from a build for this CPU, whose crates choose their AES and
# GHASH code when compiling instead of at run time: what that choice costs (not in a quick
# run; a failed build is recorded and the suite goes on).
NATIVE_BIN="$ROOT/target/bench-native/release/kms-share-bench"
if [ "$QUICK" = 1 ]; then
  NATIVE_BIN=
elif ! RUSTFLAGS="-C target-cpu=native" cargo build --release --quiet --manifest-path bench/Cargo.toml \
  --bin kms-share-bench --target-dir "$ROOT/target/bench-native"; then
  NATIVE_BIN=
  echo "bench: the build for this CPU failed; part 4 is measured without it" >&2
fi
start=$(date -u +%s)
snapshot_load start >"$RESULTS/load-start.json"
{
  echo "{"
  echo "\"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "\"quick\": $([ "$QUICK" = 1 ] && echo true || echo false),"
  # Dirty: the measured code differs from the commit (the size history is the suite's output).
  echo "\"commit\": \"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- core bench ':!bench/wasm-size-history.csv' 2>/dev/null || echo +dirty)\","
  echo "\"cpu\": \"$(lscpu | sed -n 's/^Model name: *//p' | head -1)\","
  echo "\"cpus\": $(nproc),"
  echo "\"memKb\": $(awk '/MemTotal/ {print $2}' /proc/meminfo),"
  echo "\"kernel\": \"$(uname -r)\","
  echo "\"rustc\": \"$(rustc --version)\","
  echo "\"node\": \"$(node --version 2>/dev/null || echo none)\","
  echo "\"python\": \"$($PY --version 2>/dev/null || python3 --version)\","
  echo "\"cedarPolicy\": \"$(awk '/^name = "cedar-policy"$/ {getline; print $3}' bench/Cargo.lock | tr -d '"')\","
  echo "\"ring\": \"$(awk '/^name = "ring"$/ {getline; print $3}' bench/Cargo.lock | tr -d '"')\","
  echo "\"graviola\": \"$(awk '/^name = "graviola"$/ {getline; print $3}' bench/Cargo.lock | tr -d '"')\","
  echo "\"aesGcm\": \"$(awk '/^name = "aes-gcm"$/ {getline; print $3}' bench/Cargo.lock | tr -d '"' | paste -sd, -)\""
  echo "}"
} >"$RESULTS/machine.json"

step "1. decisions vs Cedar"
"$BIN" cedar "${CEDAR[@]}" --out "$RESULTS/cedar.json"

step "2. scale ($SIZES accounts, then the smallest again)"
# One process per size (a process holds one organization, as the engine's hosts do), the
# smallest run again at the end so that the ratio brackets the machine's load drift.
i=0
for n in ${SIZES//,/ } ${SIZES%%,*}; do
  i=$((i + 1))
  "$BIN" scale --sizes "$n" --out "$RESULTS/scale-$i.json"
done
# What one read from memory costs here, by buffer size: the floor under the growth.
"$BIN" latency --out "$RESULTS/latency.json"

step "5. state: sealed snapshot of $STATE_N accounts"
"$BIN" state --accounts "$STATE_N" --snapshot "$CARGO_TARGET_DIR/org.snapshot" \
  --export "$CARGO_TARGET_DIR/org.policy.json" --out "$RESULTS/state.json"
# The same snapshot loaded, and what was loaded saved again, in a process of its own, as
# a restarted server does: the load of record (bench/report.py); the load above runs in
# the process that built and saved the organization.
"$BIN" load --snapshot "$CARGO_TARGET_DIR/org.snapshot" --out "$RESULTS/load-fresh.json"
step "2. memory: each figure in a process of its own"
"$BIN" rss-load --snapshot "$CARGO_TARGET_DIR/org.snapshot" --out "$RESULTS/rss-load.json"
# Where the held memory goes: the same load, its parts freed one by one under a counting
# allocator (a binary of its own, so that no timed part pays for the count).
"$CARGO_TARGET_DIR/release/kms-share-mem" --snapshot "$CARGO_TARGET_DIR/org.snapshot" --out "$RESULTS/mem-parts.json"
"$BIN" rss-policy --export "$CARGO_TARGET_DIR/org.policy.json" --out "$RESULTS/rss-policy.json"
"$BIN" rss-build --accounts "$STATE_N" --keys-per-account 0 --out "$RESULTS/rss-structure.json"
rm -f "$CARGO_TARGET_DIR/org.snapshot" "$CARGO_TARGET_DIR/org.policy.json"

step "4. crypto"
"$BIN" crypto --out "$RESULTS/crypto.json"
if [ -n "$NATIVE_BIN" ]; then
  "$NATIVE_BIN" crypto --bulk-only yes --out "$RESULTS/crypto-native.json"
else
  skip crypto-native "not built for this CPU (a quick run, or its build failed)"
fi

step "3. runtimes: native, Python, native, wasm in Node (whole engine, decision-only module), native, then Python and the decision-only module four times more between native runs"
"$BIN" export --accounts "$RT_N" --dir "$RUNTIMES" --out "$RESULTS/runtimes-export.json"
"$BIN" native --dir "$RUNTIMES" --out "$RESULTS/native-1.json"
if [ -x "$PY" ] && "$PY" -c 'import kms_share' 2>/dev/null; then
  "$PY" bench/runtimes/decisions.py "$RUNTIMES" >"$RESULTS/python.json"
else
  skip python "the wheel is not installed in .venv (make python-wheel)"
fi
# Each other runtime is read against the native runs right before and right after it.
"$BIN" native --dir "$RUNTIMES" --out "$RESULTS/native-mid.json"
if command -v node >/dev/null 2>&1 && [ -f bindings-wasm/pkg/node/kms_share.js ]; then
  node bench/runtimes/decisions.mjs "$RUNTIMES" >"$RESULTS/wasm.json"
  # The decision-only module, the one a page loads for in-page checks.
  node bench/runtimes/decisions.mjs "$RUNTIMES" bindings-wasm/pkg/policy/kms_share_policy.js >"$RESULTS/wasm-policy.json"
else
  skip wasm "Node or bindings-wasm/pkg/node is missing (make wasm-pkg)"
  skip wasm-policy "Node or bindings-wasm/pkg/policy is missing (make wasm-pkg)"
fi
"$BIN" native --dir "$RUNTIMES" --out "$RESULTS/native-2.json"
# The two runtimes with a target (Python's batches, the decision-only module's isAllowed)
# four times more, each between native runs, so that every ratio has a native run right
# before and right after it: on this shared host the native medians move by a quarter
# from one run to the next, and the report reads each target from the five ratios'
# quartiles (bench/report.py, `repeats`, `repeated_verdict`).
for i in 2 3 4 5; do
  if [ -f "$RESULTS/python.json" ] && ! grep -q '"skipped": true' "$RESULTS/python.json"; then
    "$PY" bench/runtimes/decisions.py "$RUNTIMES" >"$RESULTS/python-$i.json"
    "$BIN" native --dir "$RUNTIMES" --out "$RESULTS/native-$i-python.json"
  fi
  if [ -f "$RESULTS/wasm-policy.json" ] && ! grep -q '"skipped": true' "$RESULTS/wasm-policy.json"; then
    node bench/runtimes/decisions.mjs "$RUNTIMES" bindings-wasm/pkg/policy/kms_share_policy.js >"$RESULTS/wasm-policy-$i.json"
    "$BIN" native --dir "$RUNTIMES" --out "$RESULTS/native-$i-wasm.json"
  fi
done

step "3. the existing binding benches (make bench-python, make bench-wasm)"
if grep -q '^bench-python:' mk/python.mk 2>/dev/null && [ -x "$PY" ]; then
  make -s --no-print-directory bench-python >"$RESULTS/existing-python.txt" 2>"$RESULTS/existing-python.err" \
    || echo "make bench-python failed (exit $?)" >>"$RESULTS/existing-python.txt"
fi
if [ -f mk/wasm.mk ] && [ -f bindings-wasm/pkg/package.json ]; then
  make -s --no-print-directory bench-wasm >"$RESULTS/existing-wasm.txt" 2>"$RESULTS/existing-wasm.err" \
    || echo "make bench-wasm failed (exit $?)" >>"$RESULTS/existing-wasm.txt"
fi

step "6. wasm size"
if [ -f bindings-wasm/pkg/web/kms_share_bg.wasm ]; then
  bench/wasm-size.sh "$RESULTS" >/dev/null || skip wasm-size "bench/wasm-size.sh failed"
else
  skip wasm-size "bindings-wasm/pkg/web/kms_share_bg.wasm is missing (make wasm-pkg)"
fi

step "7. the endpoint under load"
if [ "$QUICK" = 1 ]; then EP=(--clients 4 --requests 200 --durable-requests 20); else EP=(--clients 8 --requests 2000 --durable-requests 200); fi
"$BIN" endpoint "${EP[@]}" --out "$RESULTS/endpoint.json"

snapshot_load end >"$RESULTS/load-end.json"
echo "{\"seconds\": $(($(date -u +%s) - start))}" >"$RESULTS/wall.json"
step "report"
python3 bench/report.py "$RESULTS" BENCHMARKS.md
echo "bench: BENCHMARKS.md written" >&2
