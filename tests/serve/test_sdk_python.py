"""The vendor's Department A / Department B story through the official Python SDKs only,
against `kms-share serve` (issue "kms-share serve", item 7).

Every call below is an SDK call signed with a real AccessKey; the server recomputes the
signature and decides as the engine decides. Rule ids are DOMAIN.md's.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_resourcemanager20200331 import models as rm_models
from alibabacloud_resourcemanager20200331.client import Client as RmClient
from alibabacloud_resourcesharing20200110 import models as rs_models
from alibabacloud_resourcesharing20200110.client import Client as RsClient
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.exceptions import ClientException
from Tea.exceptions import TeaException

from conftest import OPERATOR_ID, OPERATOR_SECRET, Server, config, simulator_call

MANAGEMENT = "1000000000000001"


def refusal(call: Any) -> tuple[str, int]:
    """The vendor code and HTTP status of a refused SDK call. The ACS4 path (the KMS
    client's gateway plug-in) raises the older Tea exceptions, wrapped; the others raise
    `ClientException`."""
    try:
        call()
    except ClientException as e:
        return e.code, e.status_code
    except TeaException as e:
        return e.code, (e.data or {}).get("statusCode")
    raise AssertionError("the call was not refused")


class Story:
    """What the story built, shared by the tests of this module (they run in order)."""

    folder: str
    dept_a: str
    dept_b: str
    keys: dict[str, tuple[str, str]] = {}
    instance: str
    share: str
    key_arn: str
    ciphertext: str


def clients(server: Server, who: str, **extra: Any) -> tuple[KmsClient, RsClient, RmClient, RamClient]:
    ak, secret = Story.keys[who]
    c = config(server.endpoint, ak, secret, **extra)
    return KmsClient(c), RsClient(c), RmClient(c), RamClient(c)


def test_the_management_account_builds_the_directory(server: Server) -> None:
    Story.keys["operator"] = (OPERATOR_ID, OPERATOR_SECRET)
    _, rs, rm, _ = clients(server, "operator")
    rd = rm.enable_resource_directory(rm_models.EnableResourceDirectoryRequest(enable_mode="CurrentAccount")).body
    assert rd.resource_directory.master_account_id == MANAGEMENT
    assert rd.request_id
    folder = rm.create_folder(rm_models.CreateFolderRequest(folder_name="Departments")).body.folder
    assert folder.folder_name == "Departments"
    Story.folder = folder.folder_id
    for name, attr in (("dept-a", "dept_a"), ("dept-b", "dept_b")):
        acct = rm.create_resource_account(
            rm_models.CreateResourceAccountRequest(
                account_name_prefix=name, display_name=name.replace("dept", "Department"), parent_folder_id=Story.folder
            )
        ).body.account
        assert acct.folder_id == Story.folder and acct.type == "ResourceAccount"
        setattr(Story, attr, acct.account_id)
    listed = rm.list_accounts(rm_models.ListAccountsRequest()).body
    assert {a.account_id for a in listed.accounts.account} == {MANAGEMENT, Story.dept_a, Story.dept_b}
    rs.enable_sharing_with_resource_directory()


def test_each_department_gets_its_root_access_key(server: Server) -> None:
    for who, account in (("a", Story.dept_a), ("b", Story.dept_b)):
        body = simulator_call(server.endpoint, OPERATOR_ID, OPERATOR_SECRET, "CreateAccountAccessKey", {"AccountId": account})
        Story.keys[who] = (body["AccessKey"]["AccessKeyId"], body["AccessKey"]["AccessKeySecret"])
    sts = StsClient(config(server.endpoint, *Story.keys["b"]))
    me = sts.get_caller_identity().body
    assert (me.account_id, me.identity_type, me.arn) == (Story.dept_b, "Account", f"acs:ram::{Story.dept_b}:root")


def test_department_a_buys_an_instance_and_shares_it_with_b(server: Server) -> None:
    inst = simulator_call(server.endpoint, *Story.keys["a"], "CreateInstance", {"RegionId": "cn-hangzhou", "Quota": "5"})
    Story.instance = inst["InstanceId"]
    _, rs, _, _ = clients(server, "a")
    share = rs.create_resource_share(
        rs_models.CreateResourceShareRequest(
            resource_share_name="kms-for-dept-b",
            resources=[rs_models.CreateResourceShareRequestResources(resource_id=Story.instance, resource_type="KMSInstance")],
            targets=[Story.dept_b],
            # The sharing mode (SM-1) rides in the vendor's generic per-resource property.
            resource_properties=[
                rs_models.CreateResourceShareRequestResourceProperties(
                    resource_arn=Story.instance, property=json.dumps({"SharingMode": "Joint"})
                )
            ],
        )
    ).body.resource_share
    assert share.resource_share_name == "kms-for-dept-b" and share.resource_share_status == "Active"
    Story.share = share.resource_share_id
    assoc = rs.list_resource_share_associations(
        rs_models.ListResourceShareAssociationsRequest(association_type="Target", resource_share_ids=[Story.share])
    ).body.resource_share_associations
    assert [(a.entity_id, a.association_status) for a in assoc] == [(Story.dept_b, "Associated")]


def test_b_creates_a_user_allowed_to_encrypt_and_a_key_in_the_shared_instance(server: Server) -> None:
    kms, _, _, ram = clients(server, "b")
    ram.create_user(ram_models.CreateUserRequest(user_name="alice"))
    doc = {
        "Version": "1",
        "Statement": [
            {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": f"acs:kms:cn-hangzhou:{Story.dept_b}:key/*"}
        ],
    }
    ram.create_policy(ram_models.CreatePolicyRequest(policy_name="kms-crypto", policy_document=json.dumps(doc)))
    ram.attach_policy_to_user(ram_models.AttachPolicyToUserRequest(policy_type="Custom", policy_name="kms-crypto", user_name="alice"))
    ak = ram.create_access_key(ram_models.CreateAccessKeyRequest(user_name="alice")).body.access_key
    assert ak.status == "Active" and ak.access_key_id.startswith("LTAI")
    Story.keys["alice"] = (ak.access_key_id, ak.access_key_secret)
    listed = ram.list_access_keys(ram_models.ListAccessKeysRequest(user_name="alice")).body.access_keys.access_key
    assert [k.access_key_id for k in listed] == [ak.access_key_id]
    assert not hasattr(listed[0], "access_key_secret") or not getattr(listed[0], "access_key_secret", None)
    meta = kms.create_key(kms_models.CreateKeyRequest(dkmsinstance_id=Story.instance)).body.key_metadata
    assert meta.creator == Story.dept_b and meta.dkmsinstance_id == Story.instance and meta.key_state == "Enabled"
    Story.key_arn = meta.arn


@pytest.mark.parametrize("signing", ["acs3", "v1", "acs4"])
def test_alice_encrypts_and_decrypts_by_arn_in_each_signature_scheme(server: Server, signing: str) -> None:
    extra = {"acs3": {}, "v1": {"signature_algorithm": "v2"}, "acs4": {"signature_version": "v4"}}[signing]
    kms, _, _, _ = clients(server, "alice", **extra)
    text = base64.b64encode(f"hello from B ({signing})".encode()).decode()
    ct = kms.encrypt(kms_models.EncryptRequest(key_id=Story.key_arn, plaintext=text)).body
    assert ct.key_id and ct.ciphertext_blob
    pt = kms.decrypt(kms_models.DecryptRequest(ciphertext_blob=ct.ciphertext_blob)).body
    assert pt.plaintext == text
    Story.ciphertext = ct.ciphertext_blob


def test_a_ram_denial_is_a_client_exception_with_the_access_denied_detail(server: Server) -> None:
    kms, _, _, _ = clients(server, "alice")
    with pytest.raises(ClientException) as e:
        kms.create_key(kms_models.CreateKeyRequest(dkmsinstance_id=Story.instance))
    err = e.value
    assert (err.status_code, err.code) == (403, "Forbidden.NoPermission")
    assert err.request_id
    detail = err.access_denied_detail
    assert detail["AuthAction"] == "kms:CreateKey"
    assert detail["AuthPrincipalType"] == "SubUser" and detail["AuthPrincipalDisplayName"] == "alice"
    assert detail["NoPermissionType"] == "ImplicitDeny"
    assert detail["PolicyType"] == "AccountLevelIdentityBasedPolicy"
    decision = json.loads(base64.b64decode(detail["EncodedDiagnosticMessage"]))
    assert decision["effect"] == "Deny" and decision["deniedBy"] == "ramPolicy"
    assert decision["fix"], "the explained decision says how to fix it"


def test_secrets_and_quota(server: Server) -> None:
    kms_b, _, _, _ = clients(server, "b")
    kms_b.create_secret(
        kms_models.CreateSecretRequest(
            secret_name="db-password",
            secret_data="s3cr3t value",
            version_id="v1",
            dkmsinstance_id=Story.instance,
            encryption_key_id=Story.key_arn,
        )
    )
    got = kms_b.get_secret_value(kms_models.GetSecretValueRequest(secret_name="db-password")).body
    assert (got.secret_data, got.version_id) == ("s3cr3t value", "v1")
    kms_a, _, _, _ = clients(server, "a")
    quota = kms_a.get_kms_instance_quota_infos(
        kms_models.GetKmsInstanceQuotaInfosRequest(kms_instance_id=Story.instance, resource_type="VPC")
    ).body
    assert quota.request_id


def test_revocation_is_refused_while_b_still_owns_keys_rs7(server: Server) -> None:
    _, rs, _, _ = clients(server, "a")
    with pytest.raises(ClientException) as e:
        rs.disassociate_resource_share(
            rs_models.DisassociateResourceShareRequest(resource_share_id=Story.share, targets=[Story.dept_b])
        )
    assert e.value.code == "PrincipalResourcesRemain" and e.value.status_code == 409
    assert "RS-7" in e.value.message


def test_every_signature_and_key_mistake_fails_closed(server: Server) -> None:
    ak, secret = Story.keys["alice"]
    cases = [
        (config(server.endpoint, ak, secret + "x"), "SignatureDoesNotMatch", 400),
        (config(server.endpoint, ak, secret + "x", signature_algorithm="v2"), "SignatureDoesNotMatch", 400),
        (config(server.endpoint, ak, secret + "x", signature_version="v4"), "SignatureDoesNotMatch", 400),
        (config(server.endpoint, "LTAInoSuchKey000000000000", secret), "InvalidAccessKeyId.NotFound", 404),
        # An ACS4 credential scoped to another region than the endpoint's.
        (config(server.endpoint, ak, secret, signature_version="v4", region_id="cn-shanghai"), "IncompleteSignature", 400),
    ]
    for cfg, code, status in cases:
        got = refusal(lambda: KmsClient(cfg).decrypt(kms_models.DecryptRequest(ciphertext_blob=Story.ciphertext)))
        assert got == (code, status)
    # An Inactive key signs nothing; Active again, it does.
    _, _, _, ram_b = clients(server, "b")
    ram_b.update_access_key(ram_models.UpdateAccessKeyRequest(user_access_key_id=ak, status="Inactive", user_name="alice"))
    kms, _, _, _ = clients(server, "alice")
    with pytest.raises(ClientException) as e:
        kms.decrypt(kms_models.DecryptRequest(ciphertext_blob=Story.ciphertext))
    assert e.value.code == "InvalidAccessKeyId.Inactive"
    ram_b.update_access_key(ram_models.UpdateAccessKeyRequest(user_access_key_id=ak, status="Active", user_name="alice"))
    assert kms.decrypt(kms_models.DecryptRequest(ciphertext_blob=Story.ciphertext)).body.plaintext
    # A second key, deleted, signs nothing; a third would be over the vendor's two.
    second = ram_b.create_access_key(ram_models.CreateAccessKeyRequest(user_name="alice")).body.access_key
    with pytest.raises(ClientException) as e:
        ram_b.create_access_key(ram_models.CreateAccessKeyRequest(user_name="alice"))
    assert e.value.code == "LimitExceeded.User.AccessKey"
    ram_b.delete_access_key(ram_models.DeleteAccessKeyRequest(user_access_key_id=second.access_key_id, user_name="alice"))
    got = refusal(lambda: KmsClient(config(server.endpoint, second.access_key_id, second.access_key_secret)).decrypt(
        kms_models.DecryptRequest(ciphertext_blob=Story.ciphertext)))
    assert got == ("InvalidAccessKeyId.NotFound", 404)
    # Alice (a RAM user) manages her own keys only when her policies grant it (RAM-2).
    alice_ram = RamClient(config(server.endpoint, ak, secret))
    with pytest.raises(ClientException) as e:
        alice_ram.list_access_keys(ram_models.ListAccessKeysRequest())
    assert (e.value.code, e.value.status_code) == ("Forbidden.NoPermission", 403)
    assert "ram:ListAccessKeys" in e.value.message
    grant = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:ListAccessKeys",
                                            "Resource": f"acs:ram::{Story.dept_b}:user/alice"}]}
    ram_b.create_policy(ram_models.CreatePolicyRequest(policy_name="own-keys", policy_document=json.dumps(grant)))
    ram_b.attach_policy_to_user(ram_models.AttachPolicyToUserRequest(policy_type="Custom", policy_name="own-keys", user_name="alice"))
    assert [k.access_key_id for k in alice_ram.list_access_keys(ram_models.ListAccessKeysRequest()).body.access_keys.access_key] == [ak]
    with pytest.raises(ClientException) as e:
        alice_ram.create_access_key(ram_models.CreateAccessKeyRequest())
    assert e.value.code == "Forbidden.NoPermission", "the grant is ListAccessKeys only"


def test_an_unknown_action_is_invalid_action_not_found(server: Server) -> None:
    with pytest.raises(ClientException) as e:
        simulator_call(server.endpoint, OPERATOR_ID, OPERATOR_SECRET, "Frobnicate", {})
    assert e.value.code == "InvalidAction.NotFound"
    # The simulator's questions about the whole organization are the operator's.
    with pytest.raises(ClientException) as e:
        simulator_call(server.endpoint, *Story.keys["b"], "AccessMatrix", {"InstanceId": Story.instance})
    assert (e.value.code, e.value.status_code) == ("Forbidden.NoPermission", 403)
