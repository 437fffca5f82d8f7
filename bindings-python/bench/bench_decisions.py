"""The cost of one decision through the Python wheel.

Same organization and requests as the Rust bench (``benches/explain.rs``): scenario 01
of the corpus; Alice (a RAM user of the principal account) asking to encrypt (Allow)
and to schedule key deletion (Deny) with her key. Run both with ``make bench-python``
and compare the two reports, measured one after the other on the same machine.

    python bindings-python/bench/bench_decisions.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, List, Tuple

import kms_share

SCENARIO = Path(__file__).resolve().parents[2] / "tests" / "scenarios" / "01-dept-a-shares-with-dept-b.json"
ALICE = "acs:ram::1000000000000003:user/alice"
KEY = "key-b1"
ROUNDS = 5
CALLS = 20_000
BATCH = 100_000


def best_ns_per_op(n: int, f: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        t = time.perf_counter_ns()
        f()
        best = min(best, time.perf_counter_ns() - t)
    return best / n


def main() -> int:
    org, _ = kms_share.Organization.from_scenario(SCENARIO.read_text(encoding="utf-8"))
    allow = (ALICE, "kms:Encrypt", KEY)
    deny = (ALICE, "kms:ScheduleKeyDeletion", KEY)
    mixed: List[Tuple[str, str, str]] = [allow if i % 2 == 0 else deny for i in range(BATCH)]
    assert org.explain(*allow).allowed and not org.explain(*deny).allowed

    def loop(call: Callable[[], object]) -> Callable[[], object]:
        def run() -> None:
            for _ in range(CALLS):
                call()
        return run

    rows = [
        ("explain (Allow)", best_ns_per_op(CALLS, loop(lambda: org.explain(ALICE, "kms:Encrypt", KEY)))),
        ("explain (Deny)", best_ns_per_op(CALLS, loop(lambda: org.explain(ALICE, "kms:ScheduleKeyDeletion", KEY)))),
        ("explain + .allowed", best_ns_per_op(CALLS, loop(lambda: org.explain(ALICE, "kms:Encrypt", KEY).allowed))),
        ("is_allowed", best_ns_per_op(CALLS, loop(lambda: org.is_allowed(ALICE, "kms:Encrypt", KEY)))),
        ("explain_many (100k mixed)", best_ns_per_op(BATCH, lambda: org.explain_many(mixed))),
        ("allowed_many (100k mixed)", best_ns_per_op(BATCH, lambda: org.allowed_many(mixed))),
        ("(empty Python loop)", best_ns_per_op(CALLS, loop(lambda: None))),
    ]
    print(f"kms-share decisions through Python {sys.version.split()[0]} (best of {ROUNDS}), ns per decision")
    for name, ns in rows:
        print(f"  {name:<30} {ns:>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
