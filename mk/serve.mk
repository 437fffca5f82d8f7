# `kms-share serve` against the official SDKs: `make test-serve` installs the pinned SDK
# packages (tests/serve/requirements.txt, from PyPI) into their own venv, .venv-sdk, only
# when one is missing or at another version, and the Node SDKs (tests/serve/node, npm ci
# from its package-lock) only when the lock changed, and the engine's wheel (for the
# collector); builds the CLI; runs tests/serve with
# pytest and tests/serve/node with node --test. The servers it starts listen on 127.0.0.1
# only, on ports the OS picks.

SDK_VENV := .venv-sdk
SDK_PY   := $(SDK_VENV)/bin/python
SDK_REQS := tests/serve/requirements.txt

EXTRA_TESTS += test-serve

SERVE_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

SDK_NODE := tests/serve/node
SDK_NODE_STAMP := $(SDK_NODE)/node_modules/.kms-share-installed

.PHONY: test-serve sdk-venv

$(SDK_PY):
	python3 -m venv $(SDK_VENV) || { rm -rf $(SDK_VENV) && command -v apt-get >/dev/null \
	    && apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv $(SDK_VENV); }

# Install only when a pinned package is missing or at another version.
sdk-venv: $(SDK_PY)
	@$(SDK_PY) -c 'import sys, importlib.metadata as m; reqs = [l.split("==") for l in open(sys.argv[1]) if "==" in l and not l.startswith("#")]; sys.exit(any(m.version(n) != v for n, v in reqs))' \
	    $(SDK_REQS) 2>/dev/null || $(SDK_PY) -m pip install --quiet --disable-pip-version-check -r $(SDK_REQS)

$(SDK_NODE_STAMP): $(SDK_NODE)/package-lock.json $(SDK_NODE)/package.json
	cd $(SDK_NODE) && npm ci --silent --no-audit --no-fund
	touch $@

# The collector (`python -m kms_share import`) runs in the SDKs' venv: the engine's wheel
# (make python-wheel) goes there too, reinstalled only when it was rebuilt.
test-serve: sdk-venv python-wheel $(SDK_NODE_STAMP)
	[ $(SDK_VENV)/.kms-share-wheel -nt $(PY_STAMP) ] || { $(SDK_PY) -m pip install --quiet --disable-pip-version-check \
	    --force-reinstall --no-deps $(PY_WHEELS)/kms_share-*.whl && touch $(SDK_VENV)/.kms-share-wheel; }
	$(CARGO) build --quiet -p kms-share-cli
	cd tests/serve && env -u HTTP_PROXY -u http_proxy -u HTTPS_PROXY -u https_proxy \
	    KMS_SHARE_CLI=$(CURDIR)/target/debug/kms-share ../../$(SDK_PY) -m pytest -q -p no:cacheprovider . \
	    || { rc=$$?; [ $$rc -ne 5 ] || echo "test-serve: pytest collected no tests" >&2; exit $$rc; }
	cd $(SDK_NODE) && env -u HTTP_PROXY -u http_proxy -u HTTPS_PROXY -u https_proxy \
	    KMS_SHARE_CLI=$(CURDIR)/target/debug/kms-share node --test sdk.test.mjs

.DEFAULT_GOAL := $(SERVE_SAVED_DEFAULT_GOAL)
