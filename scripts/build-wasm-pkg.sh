#!/usr/bin/env bash
# Build the npm package `kms-share` into bindings-wasm/pkg from one release build of the
# wasm crate: wasm-bindgen for three targets (web: browsers' ES module; bundler; nodejs),
# binaryen's `wasm-opt` on each module, then the package files. Prints the sizes.
#
#   pkg/package.json  pkg/README.md  pkg/bin/kms-share.mjs
#   pkg/web/      kms_share.js (ES module, `await init()`), kms_share_bg.wasm, kms_share.d.ts
#   pkg/bundler/  kms_share.js (imports the .wasm; for webpack, Vite, ...), ...
#   pkg/node/     kms_share.js (CommonJS, loads the .wasm synchronously), ...
#   pkg/policy/   kms_share_policy.js (ES module): the decision-only build (no `engine`
#                 feature) for in-page checks on a policy-only export, within the
#                 400 KiB budget (scripts/test-wasm.sh checks it)
set -euo pipefail
source "$(dirname "$0")/wasm-env.sh"
cd "$WASM_ROOT"

# One build at a time in a tree (the full and the policy builds write the same module file),
# and never while a test reads the package (scripts/test-wasm.sh holds the lock shared).
mkdir -p target
exec 9>target/wasm-pkg.lock
flock 9

# wasm_build ARGS...: a release build of the wasm crate, its messages shown. Under `make
# test` (WASM_DENY_WARNINGS=1, mk/wasm.mk) a warning fails it, as clippy's -D warnings
# does natively: the native lints never compile the code that is WebAssembly's alone.
wasm_build() {
  local log status=0
  log=$(mktemp)
  wasm_cargo build --release -p kms-share-wasm --quiet "$@" 2>"$log" || status=$?
  cat "$log" >&2
  if [ "$status" = 0 ] && [ -n "${WASM_DENY_WARNINGS:-}" ] && grep -q '^warning' "$log"; then
    echo "wasm-pkg: the WebAssembly build warned (WASM_DENY_WARNINGS is set: make test)" >&2
    status=1
  fi
  rm -f "$log"
  return "$status"
}

wasm_release_env
wasm_build
module="$WASM_TARGET_DIR/wasm32-unknown-unknown/release/kms_share_wasm.wasm"

pkg=bindings-wasm/pkg
# Staged beside pkg (same file system) and swapped in by renames at the end.
stage=$(mktemp -d bindings-wasm/.pkg-stage.XXXXXX)
trap 'rm -rf "$stage" "$pkg.old"' EXIT

# The three targets' modules differ only in their glue, not in the .wasm: it is optimized
# once, and again only for a target whose module came out different.
for target in web bundler nodejs; do
  dir=$target
  [ "$target" = nodejs ] && dir=node
  wasm-bindgen --target "$target" --out-dir "$stage/$dir" --out-name kms_share "$module"
  if [ "$dir" != web ] && cmp -s "$stage/$dir/kms_share_bg.wasm" "$stage/web.unoptimized.wasm"; then
    cp "$stage/web/kms_share_bg.wasm" "$stage/$dir/kms_share_bg.wasm"
  else
    [ "$dir" = web ] && cp "$stage/web/kms_share_bg.wasm" "$stage/web.unoptimized.wasm"
    wasm_opt "${WASM_OPT_FLAGS[@]}" "$stage/$dir/kms_share_bg.wasm" -o "$stage/$dir/kms_share_bg.wasm"
  fi
done
rm "$stage/web.unoptimized.wasm"
# The decision-only module: the same crate without the `engine` feature, with the maps'
# hash index, compiled for speed within size (`opt-level=s`, not `z`, and one `-O3` round
# of wasm-opt after the size rounds, which inlines the small functions they leave): in-page
# checks are its purpose, and its 400 KiB budget has room for both (docs/wasm-size-log.md).
# The whole engine has room for neither.
CARGO_PROFILE_RELEASE_OPT_LEVEL=s wasm_build --no-default-features --features hash-index
wasm-bindgen --target web --out-dir "$stage/policy" --out-name kms_share_policy "$module"
wasm_opt "${WASM_OPT_FLAGS[@]}" -O3 "$stage/policy/kms_share_policy_bg.wasm" -o "$stage/policy/kms_share_policy_bg.wasm"
echo '{ "type": "module" }' >"$stage/policy/package.json"

# Each folder says how Node should read its .js files (the package root sets no type).
echo '{ "type": "module" }' >"$stage/web/package.json"
echo '{ "type": "module" }' >"$stage/bundler/package.json"
echo '{ "type": "commonjs" }' >"$stage/node/package.json"

mkdir -p "$stage/bin"
cp bindings-wasm/npm/bin/kms-share.mjs "$stage/bin/"
cp bindings-wasm/README.md "$stage/README.md"
version=$(awk -F'"' '/^\[workspace.package\]/ { p = 1 } p && /^version/ { print $2; exit }' Cargo.toml)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" bindings-wasm/npm/package.json >"$stage/package.json"

chmod -R a+rX "$stage"
rm -rf "$pkg.old"
[ -e "$pkg" ] && mv "$pkg" "$pkg.old"
mv "$stage" "$pkg"

echo "wasm-pkg: $pkg (kms-share $version, $WASM_ROUTE route)"
for f in web/kms_share_bg.wasm policy/kms_share_policy_bg.wasm; do
  raw=$(stat -c %s "$pkg/$f")
  gz=$(gzip -9 -c "$pkg/$f" | wc -c)
  echo "  $f: $raw bytes ($((raw / 1024)) KiB), gzip -9 $gz bytes ($((gz / 1024)) KiB)"
done
