# kms-share: `make test` runs every test; `make demo` serves the simulator.
# Each target installs what it needs (see scripts/setup) and skips what is present.

SHELL := /bin/bash
CARGO ?= cargo

.PHONY: test test-rust lint deny nostd corpus bench clean help

# Each binding owns a fragment with its setup and test targets.
include $(wildcard mk/*.mk)

help:
	@echo "make test   - every test (format, lints, cargo deny, unit, integration, scenario corpus, no_std build)"
	@echo "make demo   - build and serve the browser policy simulator on http://127.0.0.1:8080 (DEMO_PORT=...)"
	@echo "make bench  - the benchmark suite (bench/, regenerates BENCHMARKS.md) and the core's criterion benches"

test: lint deny test-rust nostd $(EXTRA_TESTS)
	@echo "make test: all green"

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --quiet

# Licences, banned crates and sources of the dependency graph (deny.toml), then RustSec
# advisories when their database can be fetched (the script says when it could not).
deny:
	scripts/deny.sh

test-rust:
	$(CARGO) test --workspace --quiet

# The core is no_std + alloc: prove it builds without std.
nostd:
	$(CARGO) check -p kms-share-core --no-default-features --quiet

corpus:
	$(CARGO) test -p kms-share-core --test corpus

bench:
	$(CARGO) bench -p kms-share-core

clean:
	$(CARGO) clean
