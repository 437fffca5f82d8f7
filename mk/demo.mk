# The browser policy simulator (web-demo): `make demo` builds the wasm package and the
# page and serves it on http://127.0.0.1:$(DEMO_PORT); `make test-web` runs the
# Playwright tests against the same server in Debian's Chromium, and against the page as
# `kms-share serve --web` serves it.

DEMO_PORT ?= 8080
DEMO_HOST ?= 127.0.0.1
WEB_DIR   := web-demo
WEB_DEPS  := $(WEB_DIR)/node_modules/.package-lock.json

EXTRA_TESTS += test-web

WEB_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

.PHONY: demo web-build test-web chromium

# npm packages: installed from the lock file when missing or when the lock changed.
$(WEB_DEPS): $(WEB_DIR)/package-lock.json
	cd $(WEB_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web-build: wasm-pkg $(WEB_DEPS)
	node $(WEB_DIR)/build.mjs

demo: web-build
	@echo "Serving the kms-share simulator (Ctrl-C to stop); DEMO_PORT=... to change the port"
	node $(WEB_DIR)/serve.mjs --port $(DEMO_PORT) --host $(DEMO_HOST)

chromium:
	scripts/apt-ensure.sh chromium

# tests/live.test.mjs serves the page with `kms-share serve --web`: the CLI is built first.
test-web: web-build chromium
	$(CARGO) build --quiet -p kms-share-cli
	cd $(WEB_DIR) && KMS_SHARE_CLI=$(CURDIR)/target/debug/kms-share node --test --test-concurrency=1 tests/

.DEFAULT_GOAL := $(WEB_SAVED_DEFAULT_GOAL)
