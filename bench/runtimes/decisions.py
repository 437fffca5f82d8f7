"""The decision set of bench/ (100,000 requests on the 10,000-account organization)
through the Python wheel: single calls (``is_allowed``, ``explain``) and the batch entry
points (``allowed_many``, ``explain_many``). Prints one JSON document; the native side of
the same run is ``kms-share-bench native`` (see scripts/bench.sh).

    python bench/runtimes/decisions.py DIR   # DIR holds state.json, requests.json, expected.json
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

import kms_share

CHUNK = 10_000
ROUNDS = 10


def summary(samples: List[float], ops: int) -> Dict[str, float]:
    s = sorted(samples)
    q = statistics.quantiles(s, n=4, method="inclusive") if len(s) > 1 else [s[0]] * 3
    return {"median": statistics.median(s), "p25": q[0], "p75": q[2], "min": s[0], "max": s[-1],
            "rounds": len(s), "ops_per_round": ops}


def rounds(n: int, ops: int, f: Callable[[int], object]) -> Dict[str, float]:
    f(0)
    out = []
    for r in range(n):
        t = time.perf_counter_ns()
        f(r)
        out.append((time.perf_counter_ns() - t) / ops)
    return summary(out, ops)


def agreement(expected: List[bool], got: List[bool], reqs: List[list]) -> dict:
    bad = [i for i in range(len(expected)) if expected[i] != got[i]]
    return {"mismatches": len(bad), "mismatchesWithRegion": sum(1 for i in bad if reqs[i][3] is not None),
            "example": ({"request": reqs[bad[0]], "explain": expected[bad[0]], "got": got[bad[0]]} if bad else None)}


def main() -> int:
    d = Path(sys.argv[1])
    org = kms_share.Organization()
    t = time.perf_counter()
    org.load_state((d / "state.json").read_text(encoding="utf-8"))
    load_s = time.perf_counter() - t
    reqs = json.loads((d / "requests.json").read_text(encoding="utf-8"))
    expected = json.loads((d / "expected.json").read_text(encoding="utf-8"))
    tuples = [tuple(r) for r in reqs]
    n = len(tuples)
    # The same requests with an empty caller: each fails at the caller's parse, so a batch
    # of them costs the binding's conversion of the requests plus one parse error each,
    # a bound on what the binding adds to a batch.
    malformed = [("", a, res, reg) for _, a, res, reg in tuples]
    if any(org.allowed_many(malformed)):
        raise SystemExit("a request with an empty caller was allowed")

    def chunk(r: int) -> list:
        s = (r * CHUNK) % (n - CHUNK + 1)
        return tuples[s:s + CHUNK]

    def single_is_allowed(r: int) -> None:
        f = org.is_allowed
        for c, a, res, _ in chunk(r):
            f(c, a, res)

    def single_explain(r: int) -> None:
        f = org.explain
        for c, a, res, reg in chunk(r):
            f(c, a, res, reg).allowed

    out = {
        "runtime": "python",
        "python": sys.version.split()[0],
        "requests": n,
        "loadStateSeconds": load_s,
        "nsPerDecision": {
            "isAllowed": rounds(ROUNDS, CHUNK, single_is_allowed),
            "explain": rounds(ROUNDS, CHUNK, single_explain),
            "allowedBatch": rounds(ROUNDS // 2, n, lambda r: org.allowed_many(tuples)),
            "explainBatch": rounds(ROUNDS // 2, n, lambda r: org.explain_many(tuples)),
            "allowedBatchMalformedCaller": rounds(ROUNDS // 2, n, lambda r: org.allowed_many(malformed)),
            "emptyLoop": rounds(ROUNDS, CHUNK, lambda r: [None for _ in chunk(r)]),
        },
    }
    got_explain = [d.allowed for d in org.explain_many(tuples)]
    out["agreementWithExplain"] = {
        "explainMany": agreement(expected, got_explain, reqs),
        "allowedMany": agreement(expected, org.allowed_many(tuples), reqs),
        "isAllowed": agreement(expected, [org.is_allowed(c, a, r) for c, a, r, _ in tuples], reqs),
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
