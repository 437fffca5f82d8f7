"""Nothing acknowledged is ever lost (issue "kms-share serve", item 4): with `--state`,
every accepted call is recorded before it is answered; `kill -9` at any moment and a
restart give back every acknowledged call, nothing half-applied, the audit chain intact
(AT-2), key material that still decrypts (CR-1), and AccessKeys that still sign.
"""

from __future__ import annotations

import base64
import os
import random
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_resourcemanager20200331 import models as rm_models
from alibabacloud_resourcemanager20200331.client import Client as RmClient
from alibabacloud_tea_openapi.exceptions import ClientException

from conftest import CLI, OPERATOR_ID, OPERATOR_SECRET, Server, config, simulator_call, start_server, stop_server

ROOT_KEY = "5f" * 32


def serve(state: Path, **env: str) -> Server:
    return start_server("--state", str(state), env={"KMS_SHARE_ROOT_KEY": ROOT_KEY, **_operator(), **env})


def _operator() -> dict[str, str]:
    return {"ALIBABA_CLOUD_ACCESS_KEY_ID": OPERATOR_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": OPERATOR_SECRET}


def build(server: Server) -> dict[str, Any]:
    """A directory with one member owning an instance, as the SDKs build it."""
    rm = RmClient(config(server.endpoint, OPERATOR_ID, OPERATOR_SECRET))
    rm.enable_resource_directory(rm_models.EnableResourceDirectoryRequest(enable_mode="CurrentAccount"))
    acct = rm.create_resource_account(
        rm_models.CreateResourceAccountRequest(account_name_prefix="dept-a", display_name="Department-A")
    ).body.account.account_id
    key = simulator_call(server.endpoint, OPERATOR_ID, OPERATOR_SECRET, "CreateAccountAccessKey", {"AccountId": acct})
    ak = (key["AccessKey"]["AccessKeyId"], key["AccessKey"]["AccessKeySecret"])
    inst = simulator_call(server.endpoint, *ak, "CreateInstance", {"RegionId": "cn-hangzhou", "Quota": "5"})["InstanceId"]
    return {"account": acct, "ak": ak, "instance": inst}


def audit_is_intact(server: Server) -> dict[str, Any]:
    v = simulator_call(server.endpoint, OPERATOR_ID, OPERATOR_SECRET, "VerifyAuditTrail", {})
    assert v["Valid"] is True, v
    return v


def test_a_restart_gives_back_keys_that_still_decrypt_and_keys_that_still_sign(tmp_path: Path) -> None:
    s = serve(tmp_path)
    org = build(s)
    kms = KmsClient(config(s.endpoint, *org["ak"]))
    key = kms.create_key(kms_models.CreateKeyRequest(dkmsinstance_id=org["instance"])).body.key_metadata.key_id
    text = base64.b64encode(b"kept across restarts").decode()
    blob = kms.encrypt(kms_models.EncryptRequest(key_id=key, plaintext=text)).body.ciphertext_blob
    events = audit_is_intact(s)["Events"]
    stop_server(s)  # kill -9

    s = serve(tmp_path)
    try:
        assert "state: " in "\n".join(s.banner)
        kms = KmsClient(config(s.endpoint, *org["ak"]))
        assert kms.decrypt(kms_models.DecryptRequest(ciphertext_blob=blob)).body.plaintext == text
        assert [k.key_id for k in kms.list_keys(kms_models.ListKeysRequest()).body.keys.key] == [key]
        after = audit_is_intact(s)
        assert after["Events"] == events + 2, "ListKeys and Decrypt were recorded after the restart too"
    finally:
        stop_server(s)


def test_without_the_right_root_key_the_server_refuses_to_start(tmp_path: Path) -> None:
    s = serve(tmp_path)
    build(s)
    stop_server(s)
    for env, says in (
        ({"KMS_SHARE_ROOT_KEY": "6e" * 32}, "root key does not open this state"),
        ({"KMS_SHARE_ROOT_KEY": "short"}, "64 hex digits"),
    ):
        run = subprocess.run(
            [CLI, "serve", "--listen", "127.0.0.1:0", "--state", str(tmp_path)],
            capture_output=True,
            text=True,
            env={**os.environ, **_operator(), **env},
            timeout=30,
        )
        assert run.returncode == 2 and says in run.stderr, run.stderr
        assert "5f5f" not in run.stderr + run.stdout, "a root key is never echoed"
    run = subprocess.run(
        [CLI, "serve", "--listen", "127.0.0.1:0", "--state", str(tmp_path)],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "KMS_SHARE_ROOT_KEY"},
        timeout=30,
    )
    assert run.returncode == 2 and "KMS_SHARE_ROOT_KEY" in run.stderr, run.stderr


def test_kill_9_under_concurrent_writers_loses_no_acknowledged_call(tmp_path: Path) -> None:
    rng = random.Random(17)
    s = serve(tmp_path)
    org = build(s)
    acknowledged: set[str] = set()
    lock = threading.Lock()
    rounds = 3
    for round_ in range(rounds):
        before = len(acknowledged)
        stop = threading.Event()

        def writer(endpoint: str) -> None:
            kms = KmsClient(config(endpoint, *org["ak"]))
            while not stop.is_set():
                try:
                    meta = kms.create_key(kms_models.CreateKeyRequest(dkmsinstance_id=org["instance"])).body.key_metadata
                except Exception:  # the server was killed mid-call: not acknowledged
                    return
                with lock:
                    acknowledged.add(meta.key_id)

        threads = [threading.Thread(target=writer, args=(s.endpoint,)) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 1.2))
        stop_server(s)  # kill -9 while the writers write
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert len(acknowledged) > before, f"round {round_}: the writers were writing when the server was killed"
        s = serve(tmp_path)
        kms = KmsClient(config(s.endpoint, *org["ak"]))
        present = set()
        page = 1
        while True:
            body = kms.list_keys(kms_models.ListKeysRequest(page_number=page, page_size=100)).body
            present |= {k.key_id for k in body.keys.key}
            if page * 100 >= body.total_count:
                break
            page += 1
        missing = acknowledged - present
        assert not missing, f"round {round_}: acknowledged keys lost: {sorted(missing)[:5]}"
        for key in rng.sample(sorted(present), min(3, len(present))):
            meta = kms.describe_key(kms_models.DescribeKeyRequest(key_id=key)).body.key_metadata
            assert meta.key_state == "Enabled" and meta.dkmsinstance_id == org["instance"], "nothing half-applied"
        audit_is_intact(s)
    stop_server(s)


def test_sts_credentials_and_the_moved_clock_survive_restarts(tmp_path: Path) -> None:
    import json

    from alibabacloud_ram20150501 import models as ram_models
    from alibabacloud_ram20150501.client import Client as RamClient
    from alibabacloud_sts20150401 import models as sts_models
    from alibabacloud_sts20150401.client import Client as StsClient

    s = serve(tmp_path)
    org = build(s)
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": [org["account"]]}}]}
    RamClient(config(s.endpoint, *org["ak"])).create_role(
        ram_models.CreateRoleRequest(role_name="ops", assume_role_policy_document=json.dumps(trust)))
    c = StsClient(config(s.endpoint, *org["ak"])).assume_role(sts_models.AssumeRoleRequest(
        role_arn=f"acs:ram::{org['account']}:role/ops", role_session_name="s1", duration_seconds=900)).body.credentials
    simulator_call(s.endpoint, OPERATOR_ID, OPERATOR_SECRET, "AdvanceClock", {"Seconds": "100"})
    # Twice: the first restart replays the log into a snapshot, the second loads only that.
    for _ in range(2):
        stop_server(s)
        s = serve(tmp_path)
        cfg = config(s.endpoint, c.access_key_id, c.access_key_secret, security_token=c.security_token)
        assert StsClient(cfg).get_caller_identity().body.arn == f"acs:ram::{org['account']}:role/ops"
    # 100 + 850 seconds ahead: past the 900-second expiry only if the first 100 were kept.
    simulator_call(s.endpoint, OPERATOR_ID, OPERATOR_SECRET, "AdvanceClock", {"Seconds": "850"})
    with pytest.raises(ClientException) as e:
        StsClient(cfg).get_caller_identity()
    assert e.value.code == "InvalidSecurityToken.Expired"
    stop_server(s)
