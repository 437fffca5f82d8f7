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

# What decides the report's verdicts from several runs (bench/test_report.py): plain
# Python, no build, so `make test` runs it although it never builds the bench itself.
.PHONY: test-bench-report
EXTRA_TESTS += test-bench-report
test-bench-report:
	python3 -m unittest discover -s bench -p 'test_*.py'

.DEFAULT_GOAL := $(BENCH_SAVED_DEFAULT_GOAL)
