"""Exception mapping: every engine code has its class; errors keep code, rule, field and
decision; a panic becomes KmsShareError, never pyo3's PanicException."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import kms_share
from kms_share import errors
from kms_share import KmsShareError, Organization
from conftest import ALICE, KEY, V2_SCENARIOS


def test_every_engine_code_maps_to_its_own_class() -> None:
    seen = set()
    for code in kms_share.ERROR_CODES:
        cls = errors.class_for(code)
        assert cls is not KmsShareError, f"{code} has no class"
        assert issubclass(cls, KmsShareError) and cls.code == code
        assert getattr(kms_share, cls.__name__) is cls
        seen.add(cls)
    assert len(seen) == len(kms_share.ERROR_CODES)
    # No class for a code the engine does not have.
    assert {c.code for c in KmsShareError.__subclasses__()} == set(kms_share.ERROR_CODES)


def test_invalid_input_is_the_invalid_parameter_code_and_a_value_error() -> None:
    assert kms_share.InvalidInput.code == "InvalidParameter"
    assert issubclass(kms_share.InvalidInput, ValueError)
    assert errors.class_for("InvalidParameter") is kms_share.InvalidInput


def test_unknown_code_gives_the_base_class() -> None:
    e = errors._from_native("SomethingNew", "a new failure", "XX-1", "f", None)
    assert type(e) is KmsShareError
    assert (e.code, e.message, e.rule, e.field, e.decision) == ("SomethingNew", "a new failure", "XX-1", "f", None)
    assert str(e) == "SomethingNew: a new failure (XX-1)"


def test_error_attributes_and_rendering(org: Organization) -> None:
    with pytest.raises(kms_share.InvalidInput) as e:
        org.explain("nobody", "kms:Encrypt", KEY)
    err = e.value
    assert (err.code, err.rule, err.field) == ("InvalidParameter", "RAM-1", "caller")
    assert err.decision is None
    assert str(err) == f"InvalidParameter: {err.message} (RAM-1)"
    assert err.message.startswith("`nobody` is not a RAM identity")
    assert isinstance(err, ValueError) and isinstance(err, Exception)


def test_access_denied_carries_the_decision(org: Organization) -> None:
    with pytest.raises(kms_share.AccessDenied) as e:
        org.call(ALICE, "kms:ScheduleKeyDeletion", {"KeyId": KEY, "PendingWindowInDays": 7})
    d = e.value.decision
    assert isinstance(d, kms_share.Decision)
    assert (d.effect, d.denied_by, d.rule) == ("Deny", "ramPolicy", "RAM-2")
    assert e.value.rule == d.rule and e.value.message == d.message


def test_errors_carry_the_vendors_code_status_and_access_denied_detail(org: Organization) -> None:
    with pytest.raises(kms_share.AccessDenied) as denied:
        org.call(ALICE, "kms:ScheduleKeyDeletion", {"KeyId": KEY, "PendingWindowInDays": 7})
    err = denied.value
    assert (err.code, err.vendor_code, err.http_status) == ("AccessDenied", "Forbidden.NoPermission", 403)
    detail = err.access_denied_detail
    assert detail is not None
    diagnostic = detail.pop("EncodedDiagnosticMessage")
    assert detail == {
        "AuthAction": "kms:ScheduleKeyDeletion",
        "AuthPrincipalType": "SubUser",
        "AuthPrincipalOwnerId": "1000000000000003",
        "AuthPrincipalDisplayName": "alice",
        "NoPermissionType": "ImplicitDeny",
        "PolicyType": "AccountLevelIdentityBasedPolicy",
    }
    assert err.decision is not None
    assert json.loads(base64.b64decode(diagnostic)) == json.loads(err.decision.to_json())

    cases: List[Tuple[Dict[str, Any], str, int]] = [
        ({"KeyId": "key-nosuch", "Plaintext": "x"}, "Forbidden.KeyNotFound", 404),
        ({"Plaintext": "x"}, "MissingParameter", 400),
        ({"KeyId": KEY, "Plaintext": "x", "Bogus": 1}, "InvalidParameter", 400),
    ]
    for params, vendor, status in cases:
        with pytest.raises(KmsShareError) as failed:
            org.call(ALICE, "kms:Encrypt", params)
        assert (failed.value.vendor_code, failed.value.http_status, failed.value.access_denied_detail) == (
            vendor,
            status,
            None,
        )
    with pytest.raises(kms_share.InvalidInput) as unknown:
        org.call(ALICE, "kms:Frobnicate", {})
    assert unknown.value.vendor_code == "InvalidAction.NotFound"


def _expected_errors() -> List[Any]:
    cases = []
    # Host calls speak the vendor's names (version 2); version 1 documents are the
    # runner's to translate.
    for path in V2_SCENARIOS:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if any("error" in (s.get("expect") or {}) for s in doc["steps"]):
            cases.append(pytest.param(path, id=path.name))
    return cases


def _runner_only(step: Dict[str, Any]) -> bool:
    """A step only a scenario runs: its params refer to earlier results (`$ct.Blob`,
    templating that `call` never does to a user's data), or it is a test fixture."""
    text = json.dumps(step.get("params"))
    return "$" in text or step["action"] in ("TamperAuditEvent", "SealAndReload")


@pytest.mark.parametrize("path", _expected_errors())
def test_corpus_errors_are_raised_as_their_class_by_call(path: Path) -> None:
    """Replay a scenario step by step; every step whose `expect` names an error code is
    made with `call` and must raise that code's class with the expected rule."""
    doc: Dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    org = Organization(seed=doc.get("seed"), start=doc.get("start"))
    for i, step in enumerate(doc["steps"]):
        expect = step.get("expect") or {}
        if "error" not in expect or _runner_only(step):
            org.step(step)
            continue
        cls = errors.class_for(expect["error"])
        with pytest.raises(KmsShareError) as e:
            org.call(step["caller"], step["action"], step.get("params"), at=step.get("at"))
        assert type(e.value) is cls, f"step {i}"
        assert e.value.code == expect["error"]
        if "rule" in expect:
            got = e.value.rule or (e.value.decision.rule if e.value.decision else None)
            assert got == expect["rule"], f"step {i}"
        if "deniedBy" in expect:
            assert e.value.decision is not None and e.value.decision.denied_by == expect["deniedBy"]


def test_a_panic_becomes_kms_share_error_and_the_organization_is_refused_after() -> None:
    org = Organization(seed=1)
    with pytest.raises(KmsShareError) as e:
        org._panic_for_tests()  # type: ignore[attr-defined]
    assert type(e.value) is kms_share.InternalError
    assert e.value.code == "InternalError"
    assert "deliberate panic for tests" in e.value.message
    # The organization may be half-changed: it is refused from now on, with an error.
    with pytest.raises(kms_share.InvalidState) as after:
        org.is_allowed(ALICE, "kms:Encrypt", KEY)
    assert "internal error" in after.value.message
    # Other organizations are unaffected.
    assert Organization(seed=1).state()["accounts"] == {}
