"""Tests of the parts of bench/report.py that decide a verdict from several runs: which native runs a
runtime's repeated runs are read against, how their ratios decide a target, and the bound the AES
primitives put on a seal. `make test` runs them (mk/bench.mk); the rest of the report is prose over
one run's figures.

    python3 -m unittest discover -s bench -p 'test_*.py'
"""

import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402


def run(**medians):
    """A runtime's or a native run's result as the report reads it: medians per figure."""
    return {"nsPerDecision": {k: {"median": v} for k, v in medians.items()}}


class Results:
    """A results directory holding the given files, the report pointed at it."""

    def __init__(self, files):
        self.dir = tempfile.TemporaryDirectory()
        for name, doc in files.items():
            Path(self.dir.name, f"{name}.json").write_text(json.dumps(doc), encoding="utf-8")
        report.R = Path(self.dir.name)

    def close(self):
        self.dir.cleanup()


def cycle_files(python=True, wasm=True):
    """scripts/bench.sh's runs: each native run's median is its own number (100 + its place in the order), so a
    pairing can be read back from the medians."""
    files = {}
    order = ["native-2"] + [f"native-{i}-{rt}" for i in range(2, 6) for rt in ("python", "wasm")]
    for place, name in enumerate(order):
        if ("python" in name and not python) or ("wasm" in name and not wasm):
            continue
        files[name] = run(allowedBatch=100 + place, explainBatch=100 + place, isAllowed=100 + place)
    for i in range(2, 6):
        if python:
            files[f"python-{i}"] = run(allowedBatch=1000 + i, explainBatch=1000 + i)
        if wasm:
            files[f"wasm-policy-{i}"] = run(isAllowed=2000 + i)
    return files


def pairs(runs, k):
    return [(r["nsPerDecision"][k]["median"], a["nsPerDecision"][k]["median"], b["nsPerDecision"][k]["median"])
            for r, (a, b) in runs]


class RepeatsTest(unittest.TestCase):
    def test_each_run_is_read_against_the_native_runs_right_before_and_after_it(self):
        res = Results(cycle_files())
        try:
            first = run(allowedBatch=1001, explainBatch=1001)
            py = report.repeats("python", first, (run(allowedBatch=1), run(allowedBatch=2)))
            # native-2 is 100, native-2-python 101, native-2-wasm 102, native-3-python 103, ...
            self.assertEqual(pairs(py[1:], "allowedBatch"),
                             [(1002, 100, 101), (1003, 102, 103), (1004, 104, 105), (1005, 106, 107)])
            self.assertEqual(py[0][0], first)
            wasm = report.repeats("wasm-policy", None, (None, None))
            self.assertEqual(pairs(wasm, "isAllowed"),
                             [(2002, 101, 102), (2003, 103, 104), (2004, 105, 106), (2005, 107, 108)])
        finally:
            res.close()

    def test_a_runtime_missing_from_the_host_leaves_the_other_paired_with_its_own_native_runs(self):
        res = Results(cycle_files(wasm=False))
        try:
            py = report.repeats("python", None, (None, None))
            # Without the module's runs, the native run before Python's is the one after its last run.
            self.assertEqual(pairs(py, "allowedBatch"),
                             [(1002, 100, 101), (1003, 101, 103), (1004, 103, 105), (1005, 105, 107)])
            self.assertEqual(report.repeats("wasm-policy", None, (None, None)), [])
        finally:
            res.close()

    def test_an_older_results_directory_has_only_the_first_run(self):
        res = Results({})
        try:
            first, around = run(isAllowed=3), (run(isAllowed=1), run(isAllowed=2))
            self.assertEqual(report.repeats("wasm-policy", first, around), [(first, around)])
            self.assertEqual(report.repeats("wasm-policy", {"skipped": True}, around), [])
        finally:
            res.close()


class VerdictTest(unittest.TestCase):
    @staticmethod
    def runs(ratios, k="isAllowed"):
        # Native runs of 100 ns around each run: the ratio is the runtime's median / 100.
        return [(run(**{k: 100 * r}), (run(**{k: 100}), run(**{k: 100}))) for r in ratios]

    def test_quartiles_decide_met_missed_or_inconclusive(self):
        self.assertIs(report.repeated_verdict(self.runs([1.5, 1.6, 1.7, 1.9, 2.6]), ("isAllowed",), 2.0)[0], True)
        self.assertIs(report.repeated_verdict(self.runs([1.7, 2.0, 2.4, 2.5, 2.6]), ("isAllowed",), 2.0)[0], False)
        verdict, text = report.repeated_verdict(self.runs([1.6, 1.63, 1.75, 2.31, 2.35]), ("isAllowed",), 2.0)
        self.assertEqual(verdict, "unsure")
        self.assertIn("median **x1.75** (quartiles x1.63–x2.31)", text)

    def test_every_figure_must_be_under_the_target(self):
        both = [(run(allowedBatch=100 * a, explainBatch=100 * e),
                 (run(allowedBatch=100, explainBatch=100), run(allowedBatch=100, explainBatch=100)))
                for a, e in [(1.0, 1.3), (1.05, 1.3), (1.1, 1.35), (1.1, 1.4), (1.15, 1.5)]]
        self.assertIs(report.repeated_verdict(both, ("allowedBatch", "explainBatch"), 1.2)[0], False)
        self.assertIs(report.repeated_verdict(both, ("allowedBatch",), 1.2)[0], True)


class BoundTest(unittest.TestCase):
    @staticmethod
    def row(blocks, polyval, ring):
        g = {"aesBlocks": blocks, "polyval": polyval, "ring": ring}
        return {"bytes": 1 << 20, "gbPerSecond": {k: {"median": v} for k, v in g.items()}}

    def test_the_primitives_times_add(self):
        best, goal = report.bound_of(self.row(6.0, 6.0, 6.8), 1.7)
        self.assertAlmostEqual(best, 3.0)
        self.assertAlmostEqual(goal, 4.0)
        self.assertIsNone(report.bound_of({"bytes": 1, "gbPerSecond": {"ring": {"median": 1.0}}}, 1.7))

    def test_the_bound_is_said_under_about_or_over_the_target(self):
        self.assertIn("under the 4.00 GB/s", report.primitive_bound(self.row(6.0, 6.0, 6.8), 1.7))
        self.assertIn("about the 4.00 GB/s", report.primitive_bound(self.row(8.0, 8.0, 6.8), 1.7))
        self.assertIn("could reach it", report.primitive_bound(self.row(12.0, 12.0, 6.8), 1.7))


if __name__ == "__main__":
    unittest.main()
