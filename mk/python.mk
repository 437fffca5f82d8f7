# Python binding (bindings-python): `make test-python` builds the abi3 wheel, installs it
# into .venv and runs its pytest suite (the scenario corpus against the Rust CLI, the API,
# the exception mapping, bad input, and mypy.stubtest on the stubs).
#
# Idempotent and quick on reruns: the venv is created once, the pinned tools are
# installed only when a version differs, and the wheel is rebuilt only when a source
# it depends on changed. Wheel builds use their own cargo target dir (target/python)
# so they never wait on the workspace's build lock.

PY_VENV       := .venv
PY            := $(PY_VENV)/bin/python
PY_TOOLS      := maturin==1.16.0 pytest==9.2.0 mypy==2.4.1
PY_TARGET     := $(CURDIR)/target/python
PY_WHEELS     := $(PY_TARGET)/wheels
PY_STAMP      := $(PY_VENV)/.kms-share-wheel
PY_SOURCES    := $(shell find bindings-python/src bindings-python/python core/src -type f \
                   -not -name '*.pyc' 2>/dev/null) \
                 bindings-python/Cargo.toml bindings-python/pyproject.toml \
                 bindings-python/README.md core/Cargo.toml Cargo.lock
KMS_SHARE_CLI := $(CURDIR)/target/debug/kms-share

EXTRA_TESTS += test-python

# This file is included before the top Makefile's own rules: keep its first rule from
# becoming the default goal (restored at the end of the file).
PY_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

.PHONY: test-python python-venv python-wheel bench-python

# Debian's python3 needs the python3-venv package for `-m venv`.
$(PY):
	python3 -m venv $(PY_VENV) || { rm -rf $(PY_VENV) && command -v apt-get >/dev/null \
	    && apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv $(PY_VENV); }

# Install the pinned tools only when one is missing or at another version.
python-venv: $(PY)
	@$(PY) -c 'import sys, importlib.metadata as m; sys.exit(any(m.version(n) != v for n, v in (t.split("==") for t in sys.argv[1:])))' \
	    $(PY_TOOLS) 2>/dev/null || $(PY) -m pip install --quiet --disable-pip-version-check $(PY_TOOLS)

# The wheel (release, abi3 for CPython >= 3.10), installed into the venv.
$(PY_STAMP): $(PY_SOURCES) | python-venv
	rm -f $(PY_WHEELS)/kms_share-*.whl
	CARGO_TARGET_DIR=$(PY_TARGET) $(PY_VENV)/bin/maturin build --release --quiet \
	    -m bindings-python/Cargo.toml -i $(PY) --out $(PY_WHEELS)
	$(PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps $(PY_WHEELS)/kms_share-*.whl
	touch $@

python-wheel: $(PY_STAMP)

# pytest exits 5 when it collected no tests: that is a failure too (make fails on any
# non-zero status; the message says why).
test-python: python-wheel
	$(CARGO) build --quiet -p kms-share-cli
	cd bindings-python && KMS_SHARE_CLI=$(KMS_SHARE_CLI) ../$(PY) -m pytest -q -p no:cacheprovider tests \
	    || { rc=$$?; [ $$rc -ne 5 ] || echo "test-python: pytest collected no tests" >&2; exit $$rc; }

# Per-decision cost through Python (the wheel) and through Rust, side by side.
bench-python: python-wheel
	$(PY) bindings-python/bench/bench_decisions.py
	$(CARGO) bench --quiet -p kms-share-python --bench explain

.DEFAULT_GOAL := $(PY_SAVED_DEFAULT_GOAL)
