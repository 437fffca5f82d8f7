"""Bad input never crashes and never leaks a TypeError or a panic: it is InvalidInput.

Wrong types, None, huge strings, invalid JSON, lone surrogates, NaN, huge integers,
cyclic and deeply nested structures, and a few thousand random documents and steps.
"""

from __future__ import annotations

import json
import random
from typing import Any, Callable, List

import pytest

import kms_share
from kms_share import InvalidInput, KmsShareError, Organization
from conftest import ALICE, INSTANCE, KEY

HUGE = "x" * 5_000_000
WRONG = [None, 1, 2.5, b"acs:ram::1000000000000003:root", ["a"], {"a": 1}, object(), True]


def calls(org: Organization, bad: Any) -> List[Callable[[], Any]]:
    """Every public entry point with `bad` in one argument."""
    return [
        lambda: org.explain(bad, "kms:Encrypt", KEY),
        lambda: org.explain(ALICE, bad, KEY),
        lambda: org.explain(ALICE, "kms:Encrypt", bad),
        lambda: org.is_allowed(bad, "kms:Encrypt", KEY),
        lambda: org.is_allowed(ALICE, "kms:Encrypt", bad),
        lambda: org.allowed_actions(bad, KEY),
        lambda: org.who_can(bad, KEY),
        lambda: org.who_can("kms:Encrypt", bad),
        lambda: org.access_matrix(bad),
        lambda: org.call(bad, "kms:Encrypt", {"KeyId": KEY, "Plaintext": "x"}),
        lambda: org.call(ALICE, bad),
        lambda: org.explain_many([(bad, "kms:Encrypt", KEY)]),
        lambda: org.allowed_many([(ALICE, bad, KEY)]),
        lambda: org.allowed_many([bad]),
    ]


@pytest.mark.parametrize("bad", WRONG, ids=[type(w).__name__ for w in WRONG])
def test_wrong_types_are_invalid_input(org: Organization, bad: Any) -> None:
    for i, call in enumerate(calls(org, bad)):
        if isinstance(bad, (list, tuple)) and i == 13:
            continue  # a list is a valid request shape: checked below
        with pytest.raises(InvalidInput) as e:
            call()
        assert e.value.code == "InvalidParameter", i
        assert e.value.field, i


def test_wrong_type_names_the_argument(org: Organization) -> None:
    with pytest.raises(InvalidInput) as e:
        org.explain(ALICE, "kms:Encrypt", 42)  # type: ignore[arg-type]
    assert (e.value.field, e.value.message) == ("resource", "`resource` must be a str, not `int`")
    with pytest.raises(InvalidInput) as e:
        org.allowed_many([(ALICE, "kms:Encrypt", KEY), (ALICE, 7, KEY)])  # type: ignore[list-item]
    assert e.value.field == "requests[1].action"
    with pytest.raises(InvalidInput) as e:
        org.explain_many([(ALICE, "kms:Encrypt")])
    assert e.value.message == "`requests[0]` must have 3 or 4 items, not 2"
    with pytest.raises(InvalidInput) as e:
        org.allowed_many([{"caller": ALICE, "action": "kms:Encrypt", "resource": KEY, "extra": 1}])  # type: ignore[dict-item]
    assert e.value.field == "requests[0]" and "unknown field" in e.value.message
    for not_iterable in (None, 3, "abc", {"caller": ALICE}):
        with pytest.raises(InvalidInput):
            org.allowed_many(not_iterable)  # type: ignore[arg-type]


def test_none_where_a_value_is_needed(org: Organization) -> None:
    for call in (
        lambda: org.step(None),  # type: ignore[arg-type]
        lambda: org.run_scenario(None),  # type: ignore[arg-type]
        lambda: kms_share.run(None),  # type: ignore[arg-type]
        lambda: Organization.from_scenario(None),  # type: ignore[arg-type]
        lambda: org.load_state(None),  # type: ignore[arg-type]
        lambda: org.what_if(None),  # type: ignore[arg-type]
        lambda: org.save_sealed(None),  # type: ignore[arg-type]
        lambda: Organization.load_sealed(None, bytes(32)),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidInput):
            call()


def test_bad_constructor_arguments() -> None:
    for seed in (-1, 2**64, "1", 1.0, True):
        with pytest.raises(InvalidInput) as e:
            Organization(seed=seed)  # type: ignore[arg-type]
        assert e.value.field == "seed"
    Organization(seed=2**64 - 1)
    for start in ("yesterday", "2026-13-01T00:00:00Z", 5):
        with pytest.raises(InvalidInput):
            Organization(start=start)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        kms_share.run('{"version": 1, "steps": []}', check="yes")  # type: ignore[arg-type]


def test_huge_strings(org: Organization) -> None:
    with pytest.raises(InvalidInput) as e:
        org.explain(HUGE, "kms:Encrypt", KEY)
    assert len(e.value.message) < 1000
    with pytest.raises(InvalidInput):
        org.explain(ALICE, HUGE, KEY)
    assert org.is_allowed(ALICE, "kms:Encrypt", HUGE) is False
    assert org.allowed_many([(HUGE, HUGE, HUGE)]) == [False]
    with pytest.raises(InvalidInput):
        org.access_matrix(HUGE)
    r = org.step({"caller": ALICE, "action": "kms:Encrypt", "params": {"KeyId": HUGE, "Plaintext": "x"}})
    assert not r.ok and r.error is not None and len(r.error.message) < 1000
    with pytest.raises(KmsShareError):
        org.call(ALICE, HUGE)


def test_invalid_json_text(org: Organization) -> None:
    for text in ("", "{", "[1, 2", "nul", '{"version": 1, "steps": [}', "\x00", '{"version": 3, "steps": []}',
                 '{"version": 1}', '{"version": 1, "steps": [], "extra": 1}', "[]", "1e999999"):
        with pytest.raises(InvalidInput):
            kms_share.run(text)
        with pytest.raises(InvalidInput):
            Organization.from_scenario(text)
        with pytest.raises(InvalidInput):
            org.run_scenario(text)
    states: List[Any] = ["", "{", "nul", "\x00", '{"accounts": 5}', {"keys": {"bad id": {}}}, {"instances": []}, [1]]
    for state in states:
        with pytest.raises(InvalidInput) as e:
            org.load_state(state)
        assert e.value.field == "state"
    with pytest.raises(InvalidInput) as e:
        kms_share.run(b"\xff\xfe")
    assert e.value.message == "`document` is not UTF-8 text"
    with pytest.raises(kms_share.SnapshotInvalid):
        Organization.load_sealed("not a snapshot", bytes(32))



def test_records_are_objects_not_arrays(org: Organization) -> None:
    """README Semantics 24: a record given as the array of its field values is refused."""
    with pytest.raises(InvalidInput) as e:
        org.load_state([{}, None])  # type: ignore[arg-type]
    assert e.value.field == "state"
    assert "invalid type: sequence, expected struct State" in e.value.message
    with pytest.raises(InvalidInput) as e:
        org.step([ALICE, "kms:Encrypt"])  # type: ignore[arg-type]
    assert "invalid type: sequence, expected struct Step" in e.value.message
    key = {"id": "key-a", "instance": "kst-a", "creator": "1000000000000002", "spec": "Aliyun_AES_256",
           "state": ["enabled"], "deletionProtection": False, "versions": [], "createdAt": 0}
    with pytest.raises(InvalidInput) as e:
        org.load_state({"keys": {"key-a": key}})
    assert "key-a: state: invalid type: sequence, expected struct KeyState" in e.value.message

def test_values_that_are_not_json(org: Organization) -> None:
    cyclic: List[Any] = []
    cyclic.append(cyclic)
    deep: Any = "x"
    for _ in range(10_000):
        deep = [deep]
    bad_params = [
        {"KeyId": float("nan")},
        {"KeyId": float("inf")},
        {"KeyId": 2**70},
        {"KeyId": -(2**70)},
        {"KeyId": "\ud800"},
        {"\udc00": 1},
        {1: "x"},
        {"KeyId": {1, 2}},
        {"KeyId": object()},
        {"KeyId": b"bytes"},
        {"KeyId": cyclic},
        {"KeyId": deep},
    ]
    for params in bad_params:
        with pytest.raises(InvalidInput) as e:
            org.call(ALICE, "kms:Encrypt", params)  # type: ignore[arg-type]
        assert e.value.field is not None and e.value.field.startswith("params")
    with pytest.raises(InvalidInput) as e:
        org.call(ALICE, "kms:Encrypt", {"KeyId": KEY, "Tags": [{"Key": float("nan")}]})
    assert e.value.field == "params.Tags[0].Key"
    with pytest.raises(InvalidInput):
        org.explain("\ud800", "kms:Encrypt", KEY)
    with pytest.raises(InvalidInput):
        org.what_if([cyclic])  # type: ignore[list-item]
    with pytest.raises(InvalidInput):
        org.step({"caller": ALICE, "action": "kms:Encrypt", "params": deep})


def test_unknown_step_fields_and_parameters(org: Organization) -> None:
    with pytest.raises(InvalidInput) as e:
        org.step({"caller": ALICE, "action": "kms:Encrypt", "unknown": 1})
    assert "unknown field" in e.value.message
    with pytest.raises(InvalidInput):
        org.call(ALICE, "kms:Encrypt", {"KeyId": KEY, "Plaintext": "x", "Nope": 1})
    with pytest.raises(InvalidInput):
        org.call(ALICE, "kms:Encrypt", ["not", "a", "dict"])  # type: ignore[arg-type]


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 7, 2**63 - 1, 2**64 - 1, -(2**63)])
    if kind == 3:
        return rng.choice([0.5, -1e300, 1e-300])
    if kind in (4, 5):
        return rng.choice(["", "kst-depta", KEY, ALICE, "alias/x", "$x.Y", "${x}", "${", "ü" * 3, "acs:kms:*", "\u0000",
                           "2026-01-01T00:00:00Z", "Joint", "kms:Encrypt"])
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["KeyId", "InstanceId", "Plaintext", "CiphertextBlob", "Targets", "Resources", "SharingMode", "Quota",
            "PolicyDocument", "Tags", "RegionId", "Steps", "Action", "Resource", "x"]
    return {rng.choice(keys): _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:CreateKey", "kms:CreateInstance", "CreateResourceShare",
           "AssociateResourceShare", "CreatePolicy", "Explain", "WhoCan", "AccessMatrix", "WhatIf",
           "kms:CreateSecret", "kms:GetSecretValue", "kms:ReEncrypt", "EnableResourceDirectory", "Nope",
           "kms:SetInstanceSharingMode", "TamperAuditEvent", "VerifyAuditTrail", "LookupEvents"]


def test_random_steps_never_crash(org: Organization) -> None:
    rng = random.Random(20260101)
    outcomes = {"ok": 0, "failed": 0, "raised": 0}
    for _ in range(3000):
        step = {"caller": rng.choice([ALICE, "acs:ram::1000000000000002:root", "bad", "${x.y}"]),
                "action": rng.choice(ACTIONS),
                "params": _random_value(rng) if rng.random() < 0.2 else
                {k: _random_value(rng) for k in rng.sample(["KeyId", "InstanceId", "Plaintext", "Steps",
                                                             "CiphertextBlob", "Action", "Resource"], 3)}}
        try:
            r = org.step(step)
        except KmsShareError as e:
            assert e.code == "InvalidParameter"
            outcomes["raised"] += 1
            continue
        if r.ok:
            outcomes["ok"] += 1
        else:
            assert r.error is not None and r.error.code in kms_share.ERROR_CODES
            outcomes["failed"] += 1
    assert outcomes["failed"] > 0
    # The organization still answers.
    assert org.is_allowed(ALICE, "kms:Encrypt", KEY) in (True, False)


def test_random_documents_never_crash() -> None:
    rng = random.Random(7)
    for _ in range(500):
        doc = _random_value(rng) if rng.random() < 0.3 else {
            "version": rng.choice([1, 1, 1, 2, "1", None]),
            "seed": rng.choice([1, -1, None, "x"]),
            "steps": [{"caller": rng.choice([ALICE, "x"]), "action": rng.choice(ACTIONS),
                       "params": _random_value(rng)} for _ in range(rng.randrange(4))],
        }
        try:
            res = kms_share.run(doc if rng.random() < 0.5 else json.dumps(doc))
        except KmsShareError as e:
            assert e.code in ("InvalidParameter", "LimitExceeded")
        else:
            assert json.loads(res.to_json())["version"] == doc["version"]


def test_subclasses_of_builtins_are_read_as_the_builtin(org: Organization) -> None:
    class Params(dict):  # type: ignore[type-arg]
        def __getitem__(self, key: Any) -> Any:
            raise AssertionError("conversion must not call back into Python")

    class Name(str):
        pass

    assert org.call(ALICE, "kms:Encrypt", Params(KeyId=KEY, Plaintext="x"))["KeyId"] == KEY
    assert org.access_matrix(Name(INSTANCE))["instanceId"] == INSTANCE
