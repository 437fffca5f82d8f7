# The benchmark suite (issue #8): `make bench-report` runs bench/ (its own crate, not a
# workspace member, so `make test` never builds it) through scripts/bench.sh and regenerates
# BENCHMARKS.md; `make bench` runs it before the core's criterion benches.
#
#   make bench-report                  the figures of record (about 10 minutes once built)
#   make bench-report BENCH_QUICK=1    small sizes, to try the suite out

BENCH_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

.PHONY: bench-report

# The runtimes part needs the Python wheel and the wasm package: build them first when
# their fragments are present (each skips what is up to date).
BENCH_PREREQS := $(if $(wildcard mk/python.mk),python-wheel) $(if $(wildcard mk/wasm.mk),wasm-pkg)

bench-report: $(BENCH_PREREQS)
	BENCH_QUICK=$(BENCH_QUICK) scripts/bench.sh

bench: bench-report

.DEFAULT_GOAL := $(BENCH_SAVED_DEFAULT_GOAL)
