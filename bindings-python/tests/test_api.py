"""Every public function of the wheel, asserting exact outcomes."""

from __future__ import annotations

import base64
import gc
import json
import threading
from typing import Any, Dict, List

import pytest

import kms_share
from kms_share import Check, Decision, Organization, RunResult, StepResult
from conftest import ALICE, B_ROOT, INSTANCE, KEY, MGMT, OWNER


# --- module ---------------------------------------------------------------------------


def test_module_constants() -> None:
    assert kms_share.FORMAT_VERSION == 2
    assert kms_share.__version__ == "0.1.0"
    assert kms_share.ERROR_CODES[0] == "InvalidParameter"
    assert len(kms_share.ERROR_CODES) == len(set(kms_share.ERROR_CODES)) == 21


def test_run_returns_a_frozen_run_result(dept_text: str, dept_doc: Dict[str, Any]) -> None:
    res = kms_share.run(dept_text)
    assert isinstance(res, RunResult)
    assert (res.version, res.name, res.passed) == (2, dept_doc["name"], True)
    assert (res.steps_run, res.errors, res.expectations_failed) == (len(dept_doc["steps"]), 0, 0)
    assert [s.index for s in res.steps] == list(range(len(dept_doc["steps"])))
    as_dict = res.to_dict()
    assert as_dict["stepsRun"] == res.steps_run
    assert json.loads(res.to_json()) == as_dict
    with pytest.raises(AttributeError):
        res.passed = False  # type: ignore[misc]
    assert "passed=True" in repr(res)


def test_run_with_check_runs_the_unchanged_state_check(dept_text: str) -> None:
    assert kms_share.run(dept_text, check=True).to_json() == kms_share.run(dept_text).to_json()


def test_run_reports_failed_expectations() -> None:
    doc = {
        "version": 1,
        "seed": 3,
        "steps": [{"caller": MGMT, "action": "kms:GetKmsInstance", "params": {"InstanceId": "kst-none"},
                   "expect": {"ok": True}}],
    }
    res = kms_share.run(doc)
    assert (res.passed, res.errors, res.expectations_failed) == (False, 1, 1)
    step = res.steps[0]
    assert step.expect_held is False
    assert step.expect_failures[0].startswith("expected ok=true, got NotFound")


# --- Organization: construction, steps, calls ---------------------------------------------


def test_organization_starts_empty_and_takes_a_seed_and_start() -> None:
    org = Organization(seed=5, start="2030-05-06T07:08:09Z")
    assert org.state()["accounts"] == {}
    r = org.step({"caller": "acs:ram::1000000000000001:root", "action": "RegisterAccount"})
    assert (r.ok, r.at) == (True, "2030-05-06T07:08:09Z")
    assert "0 instances" in repr(org)


def test_same_seed_same_ids_and_no_seed_random_ids() -> None:
    def key_id(org: Organization) -> str:
        org.call(OWNER, "RegisterAccount")
        org.call(OWNER, "kms:CreateInstance", {"RegionId": "cn-hangzhou", "InstanceId": "kst-x"})
        return str(org.call(OWNER, "kms:CreateKey", {"DKMSInstanceId": "kst-x"})["KeyMetadata"]["KeyId"])

    assert key_id(Organization(seed=9)) == key_id(Organization(seed=9))
    assert key_id(Organization(seed=9)) != key_id(Organization(seed=10))
    assert key_id(Organization()) != key_id(Organization())


def test_from_scenario_returns_the_organization_and_the_result(org: Organization) -> None:
    assert org.state()["instances"][INSTANCE]["owner"] == "1000000000000002"


def test_run_scenario_continues_an_organization(org: Organization) -> None:
    more = {"version": 1, "steps": [
        {"caller": ALICE, "action": "kms:Encrypt", "params": {"KeyId": KEY, "Plaintext": "more"},
         "expect": {"ok": True, "effect": "Allow"}},
    ]}
    res = org.run_scenario(json.dumps(more))
    assert res.passed and res.steps[0].decision is not None and res.steps[0].decision.allowed


def test_step_returns_success_and_failure_as_values(org: Organization) -> None:
    ok = org.step({"caller": ALICE, "action": "kms:Encrypt", "params": {"KeyId": KEY, "Plaintext": "hi"},
                   "bind": "c"})
    assert isinstance(ok, StepResult)
    assert ok.ok and ok.error is None and ok.result is not None and ok.result["KeyId"] == KEY
    assert ok.decision is not None and ok.decision.effect == "Allow"
    assert ok.expect_held is None and ok.expect_failures == []
    assert (ok.action, ok.caller, ok.at) == ("kms:Encrypt", ALICE, "2026-01-01T00:00:00Z")
    assert ok.index + 1 == org.step({"caller": ALICE, "action": "Explain",
                                     "params": {"Action": "kms:Encrypt", "Resource": KEY}}).index
    # A later step refers to the bound result.
    back = org.step({"caller": ALICE, "action": "kms:Decrypt", "params": {"CiphertextBlob": "$c.CiphertextBlob"}})
    assert ok.result is not None
    assert back.ok and back.result == {"KeyId": KEY, "KeyVersionId": ok.result["KeyVersionId"], "Plaintext": "hi"}

    denied = org.step({"caller": ALICE, "action": "kms:ScheduleKeyDeletion",
                       "params": {"KeyId": KEY, "PendingWindowInDays": 7}})
    assert not denied.ok and denied.result is None
    assert isinstance(denied.error, kms_share.AccessDenied)
    assert denied.decision is not None and denied.decision.denied_by == "ramPolicy"
    assert denied.to_dict()["error"]["code"] == "AccessDenied"
    assert json.loads(denied.to_json()) == denied.to_dict()
    assert "ok=False" in repr(denied) and "AccessDenied" in repr(denied)


def test_call_returns_the_result_document_and_raises_failures(org: Organization) -> None:
    blob = org.call(ALICE, "kms:Encrypt", {"KeyId": KEY, "Plaintext": "secret"})["CiphertextBlob"]
    assert base64.b64decode(blob)
    assert org.call(ALICE, "kms:Decrypt", {"CiphertextBlob": blob})["Plaintext"] == "secret"
    with pytest.raises(kms_share.AccessDenied) as e:
        org.call(ALICE, "kms:DisableKey", {"KeyId": KEY})
    assert e.value.code == "AccessDenied" and e.value.rule == "RAM-2"
    assert isinstance(e.value.decision, Decision) and e.value.decision.denied_by == "ramPolicy"
    with pytest.raises(kms_share.NotFound):
        org.call(OWNER, "kms:GetKmsInstance", {"KmsInstanceId": "kst-missing"})


def test_call_takes_a_time_and_refuses_going_back(org: Organization) -> None:
    org.call(B_ROOT, "CreateUser", {"UserName": "bob"}, at="2026-02-01T00:00:00Z")
    with pytest.raises(kms_share.InvalidInput) as e:
        org.call(B_ROOT, "CreateUser", {"UserName": "carol"}, at="2026-01-15T00:00:00Z")
    assert e.value.field == "at"


def test_secrets_are_calls(org: Organization) -> None:
    org.call(B_ROOT, "kms:CreateSecret", {"SecretName": "db-password", "SecretData": "hunter2",
                                          "EncryptionKeyId": KEY, "VersionId": "v1"})
    got = org.call(B_ROOT, "kms:GetSecretValue", {"SecretName": "db-password"})
    assert got["SecretData"] == "hunter2"


def test_call_passes_user_data_as_it_is_never_templated(org: Organization) -> None:
    # `$name` and `${...}` are the scenario runner's templating; a host's data is data.
    for text in ["$abc", "${x}", "$", "a ${b.c} d", "${"]:
        blob = org.call(ALICE, "kms:Encrypt", {"KeyId": KEY, "Plaintext": text})["CiphertextBlob"]
        assert org.call(ALICE, "kms:Decrypt", {"CiphertextBlob": blob})["Plaintext"] == text
    org.call(B_ROOT, "kms:CreateSecret", {"SecretName": "templated", "SecretData": "${x}", "EncryptionKeyId": KEY})
    assert org.call(B_ROOT, "kms:GetSecretValue", {"SecretName": "templated"})["SecretData"] == "${x}"


def test_call_cannot_run_test_fixtures(org: Organization) -> None:
    with pytest.raises(kms_share.InvalidInput) as e:
        org.call(OWNER, "TamperAuditEvent", {"Seq": 1, "Field": "remove"})
    assert e.value.field == "action" and "test fixture" in e.value.message
    with pytest.raises(kms_share.InvalidInput):
        org.call(OWNER, "SealAndReload", {"RootKey": base64.b64encode(bytes(32)).decode()})
    assert org.call(OWNER, "VerifyAuditTrail")["Valid"] is True


def test_decrypt_of_a_tampered_blob_is_decrypt_failed(org: Organization) -> None:
    blob = bytearray(base64.b64decode(org.call(ALICE, "kms:Encrypt", {"KeyId": KEY, "Plaintext": "x"})["CiphertextBlob"]))
    blob[-1] ^= 1
    with pytest.raises(kms_share.DecryptFailed) as e:
        org.call(ALICE, "kms:Decrypt", {"CiphertextBlob": base64.b64encode(bytes(blob)).decode()})
    assert (e.value.code, e.value.rule, e.value.message) == ("DecryptFailed", "CR-2", "decryption failed")


# --- decisions --------------------------------------------------------------------------


def test_explain_allow(org: Organization) -> None:
    d = org.explain(ALICE, "kms:Encrypt", KEY)
    assert isinstance(d, Decision)
    assert (d.allowed, d.effect, d.denied_by, d.rule, d.fix, d.message) == (True, "Allow", None, None, None, None)
    assert (d.caller, d.action) == (ALICE, "kms:Encrypt")
    assert d.resource == "acs:kms:cn-hangzhou:1000000000000003:key/key-b1"
    assert d.via_share == "rs-depta"
    assert [c.check for c in d.checks] == ["sharing", "sharePermission", "ramPolicy", "ownership"]
    assert all(isinstance(c, Check) and c.outcome == "passed" for c in d.checks)
    assert [c.rule for c in d.checks] == ["RS-2", "RS-4", "RAM-2", "SM-3"]
    assert d.checks[0].detail == "account 1000000000000003 is an associated principal of active share rs-depta"


def test_explain_deny_names_the_check_the_rule_and_the_fix(org: Organization) -> None:
    d = org.explain(ALICE, "kms:ScheduleKeyDeletion", KEY)
    assert (d.allowed, d.effect, d.denied_by, d.rule) == (False, "Deny", "ramPolicy", "RAM-2")
    assert d.message is not None and "RAM-2" in d.message
    assert d.fix
    assert [c.outcome for c in d.checks] == ["passed", "passed", "failed", "notReached"]


def test_explain_takes_a_region(org: Organization) -> None:
    same = org.explain(ALICE, "kms:Encrypt", KEY, region="cn-hangzhou")
    other = org.explain(ALICE, "kms:Encrypt", KEY, "cn-shanghai")
    assert same.allowed and not other.allowed
    assert other.denied_by == "sharing" and other.rule == "KI-6"


def test_unknown_resource_is_a_deny_not_an_error(org: Organization) -> None:
    d = org.explain(ALICE, "kms:Encrypt", "key-nothere")
    assert not d.allowed and d.denied_by is not None


def test_decision_is_frozen_comparable_and_serializable(org: Organization) -> None:
    d = org.explain(ALICE, "kms:Encrypt", KEY)
    with pytest.raises(AttributeError):
        d.allowed = False  # type: ignore[misc]
    with pytest.raises(AttributeError):
        d.checks[0].outcome = "failed"  # type: ignore[misc]
    assert d == org.explain(ALICE, "kms:Encrypt", KEY)
    assert d != org.explain(ALICE, "kms:ScheduleKeyDeletion", KEY)
    assert d != "Allow"
    as_dict = d.to_dict()
    assert as_dict["effect"] == "Allow" and as_dict["viaShare"] == "rs-depta"
    assert as_dict["checks"][1] == d.checks[1].to_dict()
    assert list(as_dict["checks"][0]) == ["check", "outcome", "rule", "detail"]
    assert json.loads(d.to_json()) == as_dict
    assert repr(d).startswith('Decision(effect="Allow"')
    assert "ramPolicy" in repr(org.explain(ALICE, "kms:ScheduleKeyDeletion", KEY))
    assert repr(d.checks[0]).startswith('Check(check="sharing", outcome="passed"')


def test_is_allowed_fails_closed(org: Organization) -> None:
    assert org.is_allowed(ALICE, "kms:Encrypt", KEY) is True
    assert org.is_allowed(ALICE, "kms:ScheduleKeyDeletion", KEY) is False
    assert org.is_allowed("not-an-identity", "kms:Encrypt", KEY) is False
    assert org.is_allowed(ALICE, "no-colon", KEY) is False


def test_explain_many_matches_explain_and_returns_errors_as_values(org: Organization) -> None:
    reqs: List[Any] = [
        (ALICE, "kms:Encrypt", KEY),
        [ALICE, "kms:ScheduleKeyDeletion", KEY],
        (ALICE, "kms:Encrypt", KEY, "cn-shanghai"),
        (ALICE, "kms:Encrypt", KEY, None),
        {"caller": OWNER, "action": "kms:Decrypt", "resource": KEY},
        {"caller": OWNER, "action": "kms:Decrypt", "resource": KEY, "region": "cn-hangzhou"},
        ("nobody", "kms:Encrypt", KEY),
    ]
    got = org.explain_many(reqs)
    assert len(got) == len(reqs)
    assert got[0] == org.explain(ALICE, "kms:Encrypt", KEY)
    assert got[1] == org.explain(ALICE, "kms:ScheduleKeyDeletion", KEY)
    assert got[2] == org.explain(ALICE, "kms:Encrypt", KEY, "cn-shanghai")
    assert got[3] == got[0]
    assert got[4] == org.explain(OWNER, "kms:Decrypt", KEY)
    assert got[5] == org.explain(OWNER, "kms:Decrypt", KEY, "cn-hangzhou")
    err = got[6]
    assert isinstance(err, kms_share.InvalidInput) and err.rule == "RAM-1"
    assert org.explain_many([]) == []
    # Any iterable.
    assert org.explain_many(r for r in reqs[:2]) == got[:2]


def test_explain_many_starts_no_collection_and_leaves_the_collector_as_it_found_it(org: Organization) -> None:
    # Each Decision is an object the collector tracks; a batch pauses it while they are
    # made (a Decision holds no Python object, so no pass could find a cycle through one).
    reqs: List[Any] = [(ALICE, "kms:Encrypt", KEY), (ALICE, "kms:ScheduleKeyDeletion", KEY), ("nobody", "kms:Encrypt", KEY)]
    started: List[int] = []

    def on_gc(phase: str, info: Dict[str, Any]) -> None:
        if phase == "start":
            started.append(info["generation"])

    was = gc.isenabled()
    gc.callbacks.append(on_gc)
    try:
        gc.enable()
        gc.collect()
        started.clear()
        # 5,100 tracked results (decisions and refusals): without the pause, the youngest
        # generation's threshold (700 in CPython) would start several passes in the call.
        batch = reqs * 1700
        got = org.explain_many(batch)
        # Read as a number: a new list would be a tracked allocation, and the first one
        # after a batch starts a pass (as it should).
        during = len(started)
        assert during == 0
        assert gc.isenabled() is True
        assert [isinstance(d, Decision) and d.allowed for d in got[:2]] == [True, False]
        assert isinstance(got[2], kms_share.InvalidInput)
        # Resumed, it collects on its own again: as many new containers start a pass.
        containers: List[List[int]] = [[] for _ in range(5000)]
        assert len(started) > 0
        del containers, got
        # A program that turned the collector off keeps it off.
        gc.disable()
        org.explain_many(reqs)
        assert gc.isenabled() is False
        # A batch refused for its shape (before any result is made) leaves it on.
        gc.enable()
        with pytest.raises(kms_share.InvalidInput):
            org.explain_many([(ALICE, "kms:Encrypt")])
        assert gc.isenabled() is True
    finally:
        gc.callbacks.remove(on_gc)
        if was:
            gc.enable()
        else:
            gc.disable()


def test_batches_read_non_ascii_text_as_single_calls_do(org: Organization) -> None:
    # A batch's strings share one buffer: each must come back whole, multi-byte
    # characters included, and its neighbours untouched.
    reqs: List[Any] = [
        ("acs:ram::1000000000000003:user/élise", "kms:Encrypt", KEY),
        (ALICE, "kms:Encrypt", KEY),
        (ALICE, "kms:Encrypt", "clé-secrète"),
        (ALICE, "kms:Encrypt", KEY, "région-ü"),
        (ALICE, "kms:Encrypt", KEY),
    ]
    got = org.explain_many(reqs)
    for r, d in zip(reqs, got):
        try:
            want: Any = org.explain(*r)
        except kms_share.KmsShareError as e:
            want = e
        if isinstance(want, Exception):
            assert type(d) is type(want) and str(d) == str(want), r
        else:
            assert d == want, r
    assert org.allowed_many(reqs) == [False, True, False, False, True]


def test_allowed_many_matches_is_allowed_on_a_large_batch(org: Organization) -> None:
    identities = [OWNER, B_ROOT, ALICE, MGMT, "acs:ram::1000000000000003:user/nobody", "bad"]
    actions = ["kms:Encrypt", "kms:Decrypt", "kms:ScheduleKeyDeletion", "kms:GetKmsInstance", "nocolon"]
    resources = [KEY, INSTANCE, "key-none", "alias/none"]
    reqs = [(c, a, r) for c in identities for a in actions for r in resources] * 50
    expected = [org.is_allowed(c, a, r) for c, a, r in reqs]
    assert org.allowed_many(reqs) == expected
    assert True in expected and False in expected
    assert org.allowed_many([{"caller": ALICE, "action": "kms:Encrypt", "resource": KEY}]) == [True]
    decisions = org.explain_many(reqs[:120])
    assert [isinstance(d, Decision) and d.allowed for d in decisions] == expected[:120]


def test_allowed_actions(org: Organization) -> None:
    actions = org.allowed_actions(ALICE, KEY)
    assert "kms:Encrypt" in actions and "kms:Decrypt" in actions
    assert "kms:ScheduleKeyDeletion" not in actions
    assert all(org.is_allowed(ALICE, a, KEY) for a in actions)


def test_who_can_lists_identities_with_reasons(org: Organization) -> None:
    who = org.who_can("kms:Decrypt", KEY)
    assert [w["identity"] for w in who] == [OWNER, B_ROOT, ALICE]
    assert [w["role"] for w in who] == ["owner", "principal", "principal"]
    assert "viaShare" not in who[0] and who[2]["viaShare"] == "rs-depta"
    assert "kms-crypto" in who[2]["reason"]
    assert ALICE not in [w["identity"] for w in org.who_can("kms:ScheduleKeyDeletion", KEY)]


def test_access_matrix(org: Organization) -> None:
    m = org.access_matrix(INSTANCE)
    assert (m["instanceId"], m["owner"], m["sharingMode"]) == (INSTANCE, "1000000000000002", "Joint")
    assert m["quota"]["quota"] == 5
    assert {i["identity"] for i in m["identities"]} >= {OWNER, B_ROOT, ALICE}
    assert all(c["effect"] in ("Allow", "Deny") for c in m["cells"])
    with pytest.raises(kms_share.NotFound):
        org.access_matrix("kst-nothere")


def test_what_if_previews_without_changing_anything(org: Organization) -> None:
    before = org.state()
    preview = org.what_if([
        {"caller": MGMT, "action": "CreateResourceAccount",
         "params": {"AccountNamePrefix": "dept-c", "DisplayName": "Department-C", "AccountId": "1000000000000004",
                    "ParentFolderId": "fd-depts"}},
        {"caller": OWNER, "action": "AssociateResourceShare",
         "params": {"ResourceShareId": "rs-depta", "Targets": ["1000000000000004"]}},
    ])
    assert [s["ok"] for s in preview["Steps"]] == [True, True]
    assert preview["Access"] == [{"InstanceId": INSTANCE, "Gained": ["1000000000000004"], "Lost": []}]
    assert [(q["Before"]["used"], q["After"]["used"]) for q in preview["Quota"]] == [(1, 2)]
    assert org.state() == before
    assert "1000000000000004" not in org.state()["accounts"]


def test_state_policy_export_and_load_state_keep_decisions(org: Organization) -> None:
    state = org.state()
    assert set(state) >= {"accounts", "instances", "shares", "keys", "ram", "audit"}
    export = org.policy_export()
    assert export["audit"] != state["audit"]
    copy = Organization(seed=1)
    copy.load_state(export)
    reqs = [(c, a, KEY) for c in (OWNER, B_ROOT, ALICE) for a in ("kms:Encrypt", "kms:ScheduleKeyDeletion")]
    assert copy.explain_many(reqs) == org.explain_many(reqs)
    # Loaded keys have no material: cryptography fails, decisions still work.
    with pytest.raises(kms_share.InvalidState):
        copy.call(ALICE, "kms:Encrypt", {"KeyId": KEY, "Plaintext": "x"})
    text_copy = Organization()
    text_copy.load_state(json.dumps(export))
    assert text_copy.policy_export() == export


def test_state_gives_a_policy_as_the_document_created_ram2(org: Organization, dept_doc: Dict[str, Any]) -> None:
    # The core keeps a policy's document as compact text; the binding must still give
    # it as the dict that CreatePolicy was given, in every form of the state.
    step = next(s for s in dept_doc["steps"] if s["action"] == "CreatePolicy")
    account = step["caller"].split(":")[3]
    given = step["params"]["PolicyDocument"]
    name = step["params"]["PolicyName"]
    assert org.state()["ram"][account]["policies"][name] == given
    assert org.policy_export()["ram"][account]["policies"][name] == given
    copy = Organization(seed=1)
    copy.load_state(org.policy_export())
    assert copy.state()["ram"][account]["policies"][name] == given
    got = org.call(B_ROOT, "GetPolicy", {"PolicyName": name, "PolicyType": "Custom"})
    assert json.loads(got["DefaultPolicyVersion"]["PolicyDocument"]) == given


def test_sealed_snapshot_round_trip(org: Organization) -> None:
    root = bytes(range(32))
    blob = org.call(ALICE, "kms:Encrypt", {"KeyId": KEY, "Plaintext": "kept"})["CiphertextBlob"]
    sealed = org.save_sealed(root)
    assert isinstance(sealed, str) and json.loads(sealed)["format"] == "kms-share-snapshot"
    back = Organization.load_sealed(sealed, root)
    assert back.call(ALICE, "kms:Decrypt", {"CiphertextBlob": blob})["Plaintext"] == "kept"
    assert Organization.load_sealed(sealed, bytearray(root), seed=4).is_allowed(ALICE, "kms:Encrypt", KEY)
    with pytest.raises(kms_share.SnapshotInvalid) as e:
        Organization.load_sealed(sealed, bytes(32))
    assert e.value.rule == "CR-5"
    with pytest.raises(kms_share.InvalidInput):
        org.save_sealed(b"short")


def test_sealed_snapshot_versions(org: Organization) -> None:
    """Version 3 by default (the keys as a binary table); version 2 on request, for the
    WebAssembly module (README Semantics 33); both load back; any other is refused."""
    root = bytes(range(32))
    v3, v2 = org.save_sealed(root), org.save_sealed(root, version=2)
    assert json.loads(v3)["version"] == 3 and "keyTable" in json.loads(v3)["body"]
    assert json.loads(v2)["version"] == 2 and "keyTable" not in json.loads(v2)["body"]
    assert json.loads(org.save_sealed(root, 3))["version"] == 3
    for text in (v3, v2):
        assert Organization.load_sealed(text, root).state() == org.state()
    for bad in (1, 4):
        with pytest.raises(kms_share.InvalidInput) as e:
            org.save_sealed(root, version=bad)
        assert e.value.field == "version" and e.value.rule == "CR-5"
    wrong_types: List[Any] = ["3", True, -1, 2**40]
    for wrong in wrong_types:
        with pytest.raises(kms_share.InvalidInput) as e:
            org.save_sealed(root, version=wrong)
        assert e.value.field == "version"


def test_organization_is_usable_from_several_threads(org: Organization) -> None:
    out: List[bool] = []

    def work() -> None:
        for _ in range(200):
            out.append(org.is_allowed(ALICE, "kms:Encrypt", KEY))
            out.append(org.explain(ALICE, "kms:ScheduleKeyDeletion", KEY).allowed)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out.count(True) == out.count(False) == 800


# --- loading states ---------------------------------------------------------------------


def test_load_state_keeps_the_os_random_source(org: Organization) -> None:
    export = org.policy_export()
    keys = []
    for _ in range(2):
        fresh = Organization()
        fresh.load_state(export)
        keys.append(fresh.call(B_ROOT, "kms:CreateKey", {"DKMSInstanceId": INSTANCE})["KeyMetadata"]["KeyId"])
    assert keys[0] != keys[1]


def test_load_state_refuses_a_document_that_is_not_a_state() -> None:
    with pytest.raises(kms_share.InvalidInput):
        Organization().load_state({"version": 1, "steps": []})
