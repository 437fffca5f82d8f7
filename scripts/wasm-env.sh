# Sourced by the wasm scripts: which compiler route builds wasm32-unknown-unknown.
#
# - rustup route: the rustup toolchain has the wasm32-unknown-unknown target installed
#   (`rustup target add wasm32-unknown-unknown`): plain `cargo`, prebuilt std, target/.
# - Debian route (otherwise): Debian's rustc-web compiler rebuilds std for the target
#   (`-Z build-std`), in its own target directory so the two compilers never share artifacts.
#
# Sets WASM_ROUTE, WASM_CARGO (an array: the cargo command and its route flags, to which
# `build`/`test` and their arguments are appended by the caller through wasm_cargo) and
# WASM_TARGET_DIR.

WASM_ROOT=${WASM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

if [ -z "${WASM_ROUTE:-}" ]; then
  if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    WASM_ROUTE=rustup
  else
    WASM_ROUTE=debian
  fi
fi

case "$WASM_ROUTE" in
  rustup)
    WASM_TARGET_DIR="$WASM_ROOT/target"
    ;;
  debian)
    WASM_TARGET_DIR="$WASM_ROOT/target/wasm"
    ;;
  *)
    echo "WASM_ROUTE must be rustup or debian, not '$WASM_ROUTE'" >&2
    return 1
    ;;
esac

# wasm_cargo SUBCOMMAND ARGS...: run cargo for wasm32-unknown-unknown on the chosen route.
wasm_cargo() {
  local sub=$1
  shift
  if [ "$WASM_ROUTE" = rustup ]; then
    cargo "$sub" --target wasm32-unknown-unknown --target-dir "$WASM_TARGET_DIR" "$@"
  else
    RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
      /usr/bin/cargo "$sub" --target wasm32-unknown-unknown --target-dir "$WASM_TARGET_DIR" \
      -Z build-std=std,panic_abort "$@"
  fi
}

# The release profile of the package: smallest code, one unit, no debug info. Set here,
# not in Cargo.toml, so the native release builds keep the workspace's profile.
wasm_release_env() {
  export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
  export CARGO_PROFILE_RELEASE_LTO=fat
  export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
  export CARGO_PROFILE_RELEASE_DEBUG=0
  export CARGO_PROFILE_RELEASE_PANIC=abort
  # Without reference types wasm-bindgen keeps JS objects in a JS-side slab rather than
  # an externref table: the whole engine is 1.4 KB smaller that way.
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Ctarget-feature=-reference-types"
  # A panic already ends in a trap on this target: no hook prints its message (the target
  # has no stderr) and nothing unwinds. `immediate-abort` traps at once and drops the
  # message formatting and location data the panics would never show: 45 KB smaller.
  # `fmt-debug=none` drops the `Debug` formatting no message of the engine uses (they
  # write their values with `Display`). Unstable, so only on the Debian route, which
  # already builds std itself (RUSTC_BOOTSTRAP).
  if [ "$WASM_ROUTE" = debian ]; then
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS+=" -Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none"
  fi
}

# wasm-opt is binaryen's, pinned by bindings-wasm/package-lock.json (npm ships binaryen's
# current release, which makes a smaller module than Debian's 108: -8 KB on the whole
# engine). Flattening and re-relooping the control flow before two -Oz rounds, twice,
# gives -Oz more to fold. The features are those Rust emits for wasm32 today.
WASM_OPT="$WASM_ROOT/bindings-wasm/node_modules/.bin/wasm-opt"
WASM_OPT_FLAGS=(--flatten --rereloop -Oz -Oz --flatten --rereloop -Oz -Oz --strip-debug --strip-producers
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals)

# wasm_opt ARGS...: binaryen's wasm-opt, after scripts/setup-wasm.sh has installed it.
wasm_opt() {
  if [ ! -x "$WASM_OPT" ]; then
    echo "wasm-opt is not installed: run scripts/setup-wasm.sh (or make wasm-setup)" >&2
    return 1
  fi
  "$WASM_OPT" "$@"
}
