"""STS AssumeRole through the official SDKs (issue "kms-share serve", item 2): the role's
trust policy decides who may assume it (RAM-1), the temporary credentials sign with their
SecurityToken in ACS3 and v1, act as the role (its policies, RAM-2), and stop at their
expiry; every token mistake fails closed with the vendor's code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.exceptions import ClientException

from conftest import OPERATOR_ID, OPERATOR_SECRET, Server, config, simulator_call, start_server, stop_server

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "01-dept-a-shares-with-dept-b.json"
DEPT_A, DEPT_B = "1000000000000002", "1000000000000003"
ROLE = f"acs:ram::{DEPT_B}:role/kms-reader"


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    s = start_server("--from", str(SCENARIO))
    keys = {}
    for who, acct in (("a", DEPT_A), ("b", DEPT_B)):
        k = simulator_call(s.endpoint, OPERATOR_ID, OPERATOR_SECRET, "CreateAccountAccessKey", {"AccountId": acct})["AccessKey"]
        keys[who] = (k["AccessKeyId"], k["AccessKeySecret"])
    ram = RamClient(config(s.endpoint, *keys["b"]))
    trust = {"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": [f"acs:ram::{DEPT_A}:root"]}}]}
    role = ram.create_role(ram_models.CreateRoleRequest(role_name="kms-reader", assume_role_policy_document=json.dumps(trust))).body.role
    assert role.arn == ROLE
    doc = {"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["kms:DescribeKey"], "Resource": f"acs:kms:*:{DEPT_B}:key/*"}]}
    ram.create_policy(ram_models.CreatePolicyRequest(policy_name="describe-keys", policy_document=json.dumps(doc)))
    ram.attach_policy_to_role(ram_models.AttachPolicyToRoleRequest(policy_type="Custom", policy_name="describe-keys", role_name="kms-reader"))
    yield {"server": s, "keys": keys}
    stop_server(s)


def assume(s: Server, key: tuple[str, str], **extra: Any) -> Any:
    sts = StsClient(config(s.endpoint, *key))
    return sts.assume_role(sts_models.AssumeRoleRequest(role_arn=ROLE, role_session_name="review", **extra)).body


def test_a_trusted_account_assumes_the_role_and_acts_as_it(served: dict[str, Any]) -> None:
    s = served["server"]
    body = assume(s, served["keys"]["a"], duration_seconds=900)
    c = body.credentials
    assert c.access_key_id.startswith("STS.") and c.security_token and c.expiration.endswith("Z")
    assert body.assumed_role_user.arn == f"{ROLE}/review"
    for extra in ({}, {"signature_algorithm": "v2"}):
        cfg = config(s.endpoint, c.access_key_id, c.access_key_secret, security_token=c.security_token, **extra)
        me = StsClient(cfg).get_caller_identity().body
        assert (me.identity_type, me.arn, me.account_id) == ("AssumedRoleUser", ROLE, DEPT_B)
        assert (me.role_id, me.user_id) == ("kms-reader", None)
        meta = KmsClient(cfg).describe_key(kms_models.DescribeKeyRequest(key_id="key-b1")).body.key_metadata
        assert meta.creator == DEPT_B
    # The role's policies decide what it may do: Encrypt is not granted (RAM-2).
    with pytest.raises(ClientException) as e:
        KmsClient(config(s.endpoint, c.access_key_id, c.access_key_secret, security_token=c.security_token)).encrypt(
            kms_models.EncryptRequest(key_id="key-b1", plaintext="aGk=")
        )
    assert (e.value.code, e.value.access_denied_detail["AuthPrincipalType"]) == ("Forbidden.NoPermission", "AssumedRoleUser")


def test_the_trust_policy_refuses_an_account_it_does_not_name_ram1(served: dict[str, Any]) -> None:
    s = served["server"]
    with pytest.raises(ClientException) as e:
        assume(s, (OPERATOR_ID, OPERATOR_SECRET))
    assert (e.value.code, e.value.status_code) == ("Forbidden.NoPermission", 403)
    assert "trust policy does not trust" in e.value.message and "RAM-1" in e.value.message
    with pytest.raises(ClientException) as e:
        StsClient(config(s.endpoint, *served["keys"]["a"])).assume_role(
            sts_models.AssumeRoleRequest(role_arn=f"acs:ram::{DEPT_B}:role/nope", role_session_name="x1"))
    assert (e.value.code, e.value.status_code) == ("EntityNotExist.Role", 404)


def test_every_token_mistake_fails_closed(served: dict[str, Any]) -> None:
    s = served["server"]
    c = assume(s, served["keys"]["a"]).credentials
    a_id, a_secret = served["keys"]["a"]
    cases = [
        (config(s.endpoint, c.access_key_id, c.access_key_secret), "InvalidSecurityToken.Malformed"),
        (config(s.endpoint, c.access_key_id, c.access_key_secret, security_token=c.security_token + "x"),
         "InvalidSecurityToken.MismatchWithAccessKey"),
        (config(s.endpoint, a_id, a_secret, security_token=c.security_token), "InvalidSecurityToken.MismatchWithAccessKey"),
    ]
    for cfg, code in cases:
        with pytest.raises(ClientException) as e:
            StsClient(cfg).get_caller_identity()
        assert e.value.code == code, e.value.message


def test_temporary_credentials_stop_at_their_expiry(served: dict[str, Any]) -> None:
    s = served["server"]
    c = assume(s, served["keys"]["a"], duration_seconds=900).credentials
    cfg = config(s.endpoint, c.access_key_id, c.access_key_secret, security_token=c.security_token)
    assert StsClient(cfg).get_caller_identity().body.arn == ROLE
    moved = simulator_call(s.endpoint, OPERATOR_ID, OPERATOR_SECRET, "AdvanceClock", {"Seconds": "901"})
    assert moved["AheadOfWallClockSeconds"] == 901
    with pytest.raises(ClientException) as e:
        StsClient(cfg).get_caller_identity()
    assert e.value.code == "InvalidSecurityToken.Expired"
    # Only the operator moves the clock.
    with pytest.raises(ClientException) as e:
        simulator_call(s.endpoint, *served["keys"]["a"], "AdvanceClock", {"Seconds": "1"})
    assert e.value.code == "Forbidden.NoPermission"
