#!/usr/bin/env bash
# Every test of the WebAssembly binding, on the package scripts/build-wasm-pkg.sh built:
#  1. wasm-bindgen-test in Node: the crate's unit tests and tests/node.rs (API, error mapping);
#  2. the same API tests in headless Chromium (tests/browser.rs, run_in_browser);
#  3. node:test over the npm package: the whole scenario corpus against the native CLI byte
#     for byte, the package's CLI, its entry points and errors;
#  4. tsc --noEmit over a TypeScript usage example against the generated declarations;
#  5. the sizes: the decision-only module against the 400 KiB budget, the whole engine
#     against a 700 KiB ceiling.
set -euo pipefail
source "$(dirname "$0")/wasm-env.sh"
cd "$WASM_ROOT"

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
echo "test-wasm: wasm-bindgen-test in Node ($WASM_ROUTE route)"
wasm_cargo test -p kms-share-wasm --lib --test node

echo "test-wasm: wasm-bindgen-test in headless Chromium"
# The runner adds --headless and --no-sandbox (needed as root); webdriver.json adds the rest.
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver} \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON="$WASM_ROOT/bindings-wasm/webdriver.json" \
  wasm_cargo test -p kms-share-wasm --test browser

echo "test-wasm: the npm package against the native runner"
# Read the package only while no build replaces it (scripts/build-wasm-pkg.sh).
exec 9>target/wasm-pkg.lock
flock -s 9
cargo build -p kms-share-cli --quiet
# The tests and the example import the package by name, as a user would.
ln -sfn ../pkg bindings-wasm/node_modules/kms-share
(cd bindings-wasm && KMS_SHARE_NATIVE="$WASM_ROOT/target/debug/kms-share" node --test test/)

echo "test-wasm: tsc --noEmit over examples/usage.ts"
(cd bindings-wasm && node_modules/.bin/tsc --noEmit -p examples/tsconfig.json)

# 5. The size budget (issue #5: at most 400 KiB). The module a page loads for its
#    permission checks must stay within it. The whole engine's module is over it (see the
#    README's "Size and speed": even with no document reader or writer its code and
#    data are 498 KB); until that is decided it must not grow past a ceiling of 700 KiB, so
#    the earlier sessions' savings are kept (it is 690,630 B at 37a76cc). Checked on the
#    Debian route, whose std is built with `panic=immediate-abort` (scripts/wasm-env.sh);
#    a stable rustup build keeps the panic machinery and is reported only.
budget=$((400 * 1024))
ceiling=$((700 * 1024))
policy_bytes=$(stat -c %s bindings-wasm/pkg/policy/kms_share_policy_bg.wasm)
web_bytes=$(stat -c %s bindings-wasm/pkg/web/kms_share_bg.wasm)
echo "test-wasm: size: policy/ $policy_bytes B (budget $budget B), web/ $web_bytes B (whole engine, ceiling $ceiling B)"
over=()
[ "$policy_bytes" -gt "$budget" ] && over+=("the decision-only module is $policy_bytes B, over the $budget B budget")
[ "$web_bytes" -gt "$ceiling" ] && over+=("the whole engine's module is $web_bytes B, over its $ceiling B ceiling")
for msg in "${over[@]}"; do
  if [ "$WASM_ROUTE" = debian ]; then
    echo "test-wasm: $msg" >&2
  else
    echo "test-wasm: note: $msg (on the $WASM_ROUTE route: no immediate-abort std; reported only)"
  fi
done
if [ "${#over[@]}" -gt 0 ] && [ "$WASM_ROUTE" = debian ]; then
  exit 1
fi
echo "test-wasm: all green"
