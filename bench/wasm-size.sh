#!/usr/bin/env bash
# Part 6 of the benchmarks: the size of the browser module and what dominates it.
#
#   bench/wasm-size.sh RESULTS_DIR
#
# - the shipped module, bindings-wasm/pkg/web/kms_share_bg.wasm (from `make wasm-pkg`):
#   raw and gzip -9 bytes (and the decision-only module pkg/policy/, for reference);
# - what dominates it: the same crate built the same way (scripts/wasm-env.sh's release
#   profile, wasm-bindgen --target web, wasm-opt with WASM_OPT_FLAGS) but keeping the name section, in
#   target/bench/wasm, then `twiggy top` on it (installed with `cargo install twiggy` when
#   missing); bench/report.py groups the functions by crate;
# - one line appended to bench/wasm-size-history.csv (date, commit, sizes).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${1:?results dir}
cd "$ROOT"
web=bindings-wasm/pkg/web/kms_share_bg.wasm
policy=bindings-wasm/pkg/policy/kms_share_policy_bg.wasm
if [ ! -f "$web" ]; then
  echo "wasm-size: $web is missing (make wasm-pkg)" >&2
  echo '{"missing": true}' >"$RESULTS/wasm-size.json"
  exit 0
fi
raw=$(stat -c %s "$web")
gz=$(gzip -9 -c "$web" | wc -c)
praw=0; pgz=0
if [ -f "$policy" ]; then
  praw=$(stat -c %s "$policy")
  pgz=$(gzip -9 -c "$policy" | wc -c)
fi

named_json=null
if [ "${BENCH_WASM_NAMED:-1}" = 1 ]; then
  command -v twiggy >/dev/null 2>&1 || cargo install twiggy --version 0.8.0 --quiet
  # shellcheck source=../scripts/wasm-env.sh
  source scripts/wasm-env.sh
  WASM_TARGET_DIR="$ROOT/target/bench/wasm"
  (
    wasm_release_env
    # Keep the function names (cargo's release profile strips them by default); the code
    # is the same as the shipped module's.
    export CARGO_PROFILE_RELEASE_STRIP=none
    wasm_cargo build --release -p kms-share-wasm --quiet
  )
  module="$WASM_TARGET_DIR/wasm32-unknown-unknown/release/kms_share_wasm.wasm"
  stage="$ROOT/target/bench/wasm-named"
  rm -rf "$stage" && mkdir -p "$stage"
  wasm-bindgen --target web --out-dir "$stage" --out-name kms_share "$module"
  flags=()
  for f in "${WASM_OPT_FLAGS[@]}"; do [ "$f" = --strip-debug ] || flags+=("$f"); done
  wasm_opt -g "${flags[@]}" "$stage/kms_share_bg.wasm" -o "$stage/named.wasm"
  # The same module without its name section: what the shipped file should weigh.
  wasm_opt --strip-debug --strip-producers "$stage/named.wasm" -o "$stage/stripped.wasm"
  twiggy top -n 1000000 --format json "$stage/named.wasm" >"$RESULTS/wasm-twiggy-top.json"
  named_json=$(printf '{"namedBytes": %s, "strippedBytes": %s, "route": "%s", "twiggy": "%s"}' \
    "$(stat -c %s "$stage/named.wasm")" "$(stat -c %s "$stage/stripped.wasm")" "$WASM_ROUTE" "$(twiggy --version)")
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- core bindings-wasm 2>/dev/null || commit="$commit+dirty"
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
hist=bench/wasm-size-history.csv
[ -f "$hist" ] || echo "date,commit,web_raw_bytes,web_gzip_bytes,policy_raw_bytes,policy_gzip_bytes" >"$hist"
echo "$date,$commit,$raw,$gz,$praw,$pgz" >>"$hist"
printf '{"file": "%s", "rawBytes": %s, "gzipBytes": %s, "policyFile": "%s", "policyRawBytes": %s, "policyGzipBytes": %s, "named": %s, "commit": "%s", "date": "%s"}\n' \
  "$web" "$raw" "$gz" "$policy" "$praw" "$pgz" "$named_json" "$commit" "$date" >"$RESULTS/wasm-size.json"
cat "$RESULTS/wasm-size.json"
