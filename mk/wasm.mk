# WebAssembly binding (bindings-wasm): the npm package `kms-share`.
#
#   make wasm-pkg    build the package into bindings-wasm/pkg (the path the web demo and any
#                    local consumer use: `import init, { Organization } from
#                    ".../bindings-wasm/pkg/web/kms_share.js"`, or `npm install ./bindings-wasm/pkg`)
#   make test-wasm   wasm-bindgen-test in Node and headless Chromium, the scenario corpus
#                    through the package against the native CLI, the package's CLI, tsc
#   make bench-wasm  one decision in Node (wasm) vs native Rust, on the same organization
#
# scripts/setup-wasm.sh installs what is missing (Debian packages, wasm-bindgen-cli at the
# version in Cargo.lock, npm dev dependencies) and skips what is present.

WASM_PKG_SOURCES := $(shell find bindings-wasm/src bindings-wasm/build bindings-wasm/npm core/src -type f 2>/dev/null) \
                    bindings-wasm/Cargo.toml bindings-wasm/README.md core/Cargo.toml Cargo.lock \
                    bindings-wasm/package-lock.json scripts/build-wasm-pkg.sh scripts/wasm-env.sh
WASM_PKG_STAMP   := bindings-wasm/pkg/package.json

EXTRA_TESTS += test-wasm

# Under `make test` a warning of the WebAssembly builds fails them (scripts/build-wasm-pkg.sh).
test: export WASM_DENY_WARNINGS := 1

# Included before the top Makefile's rules: keep the default goal unchanged.
WASM_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

.PHONY: wasm-setup wasm-pkg test-wasm bench-wasm

wasm-setup:
	scripts/setup-wasm.sh

# Rebuilt only when a source changed (cargo would notice too, but wasm-bindgen and
# wasm-opt for three targets take a while).
$(WASM_PKG_STAMP): $(WASM_PKG_SOURCES) | wasm-setup
	scripts/build-wasm-pkg.sh

wasm-pkg: wasm-setup $(WASM_PKG_STAMP)

test-wasm: wasm-pkg
	scripts/test-wasm.sh

bench-wasm: wasm-pkg
	scripts/bench-wasm.sh

.DEFAULT_GOAL := $(WASM_SAVED_DEFAULT_GOAL)
