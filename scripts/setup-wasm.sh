#!/usr/bin/env bash
# Install what the wasm build and its tests need, skipping whatever is present:
# Debian packages (the Debian compiler route only when the rustup toolchain lacks the
# wasm32 target; Chromium and its driver; Node), wasm-bindgen-cli at exactly the
# version Cargo.lock pins, and the npm dev dependencies of bindings-wasm (TypeScript,
# binaryen's wasm-opt) at the versions its package-lock.json pins.
set -euo pipefail
source "$(dirname "$0")/wasm-env.sh"
cd "$WASM_ROOT"

# --- Debian packages -----------------------------------------------------------------
packages=(chromium chromium-driver)
if [ "$WASM_ROUTE" = debian ]; then
  # rust-web-llvm provides /usr/bin/rust-lld, the linker rustc-web invokes for wasm32
  # (a recommendation of rustc-web, so --no-install-recommends leaves it out).
  packages+=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22)
fi
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
"$WASM_ROOT/scripts/apt-ensure.sh" "${packages[@]}"

# --- wasm-bindgen-cli, exactly the version of the wasm-bindgen crate in Cargo.lock ---------
want=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ -z "$want" ]; then
  echo "setup-wasm: Cargo.lock names no wasm-bindgen" >&2
  exit 1
fi
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  echo "setup-wasm: installing wasm-bindgen-cli $want (have: ${have:-none}; takes a few minutes)"
  # Not --locked: one of its locked dependencies is no longer in the registry.
  cargo install wasm-bindgen-cli --version "$want"
fi

# --- npm dev dependencies (TypeScript, wasm-opt) -----------------------------------------
# Installed again when node_modules does not hold the versions package-lock.json pins.
installed() {
  node -e '
    const want = require("./package-lock.json").packages;
    let have = {};
    try { have = require("./node_modules/.package-lock.json").packages; } catch { process.exit(1); }
    const names = (p) => Object.keys(p).filter((k) => k !== "").sort();
    const same = names(want).join() === names(have).join()
      && names(want).every((k) => want[k].version === have[k].version);
    process.exit(same ? 0 : 1);'
}
if ! (cd bindings-wasm && installed); then
  (cd bindings-wasm && npm ci --no-audit --no-fund)
fi
echo "setup-wasm: ready ($WASM_ROUTE route, wasm-bindgen $want)"
