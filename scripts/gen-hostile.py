#!/usr/bin/env python3
"""Generate tests/hostile/: small documents built to make the engine work hard (README
Semantics 20 and 25, issue: bounded work). Each runs in every runtime with every
expectation held, and gives the same result document in each; the expectations state
each outcome exactly: what the engine refused, and what the bounded result is.

The one hostile input too large to keep here, a `WhatIf` wider than the step limit, is
built by each runtime's test itself (see core/tests/hostile.rs).

Run: python3 scripts/gen-hostile.py   (rewrites tests/hostile/)
"""
import datetime
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "hostile")
M = "acs:ram::1000000000000001:root"
A = "acs:ram::1000000000000002:root"
B = "acs:ram::1000000000000003:root"
DAY = 86400
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
FAR = "9999-01-01T00:00:00Z"
MAX_KEY_VERSIONS = 100

shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)


def step(caller, action, params=None, expect=None, at=None, note=None):
    s = {"caller": caller, "action": action}
    if params is not None:
        s["params"] = params
    if at:
        s["at"] = at
    s["expect"] = expect if expect is not None else {"ok": True}
    if note:
        s["note"] = note
    return s


def write(name, description, rules, steps):
    doc = {"version": 1, "name": name, "description": description, "rules": rules, "seed": 21, "steps": steps}
    with open(os.path.join(OUT, f"{name}.json"), "w", encoding="utf-8") as f:
        f.write("{\n")
        for k in ("version", "name", "description", "rules", "seed"):
            f.write(f"  {json.dumps(k)}: {json.dumps(doc[k], ensure_ascii=False)},\n")
        f.write('  "steps": [\n')
        f.write(",\n".join("    " + json.dumps(s, ensure_ascii=False) for s in steps))
        f.write("\n  ]\n}\n")


def fmt(t):
    return (START + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def shared_org():
    """Account 2 owns instance kst-h, shared in Joint ownership with account 3."""
    return [
        step(M, "EnableResourceDirectory", {"EnterpriseId": "ent-h", "DirectoryId": "rd-h", "RootFolderId": "fd-root"}),
        step(M, "CreateResourceAccount", {"AccountName": "owner", "DisplayName": "owner", "AccountId": "1000000000000002"}),
        step(M, "CreateResourceAccount", {"AccountName": "user", "DisplayName": "user", "AccountId": "1000000000000003"}),
        step(M, "EnableSharingWithResourceDirectory"),
        step(A, "kms:CreateInstance", {"InstanceId": "kst-h", "RegionId": "cn-hangzhou", "Quota": 10}),
        step(A, "CreateResourceShare", {"ResourceShareName": "h", "ResourceShareId": "rs-h", "Resources": ["kst-h"],
                                        "Targets": ["1000000000000003"], "SharingMode": "Joint"}),
    ]


# --- 1. automatic rotation over a far-future span (CR-1, README Semantics 20) ---
far = int((datetime.datetime(9999, 1, 1, tzinfo=datetime.timezone.utc) - START).total_seconds())
steps = shared_org()
n_keys = 20
for i in range(n_keys):
    steps.append(step(A if i % 2 == 0 else B, "kms:CreateKey",
                      {"InstanceId": "kst-h", "KeyId": f"key-r{i}", "EnableAutomaticRotation": True, "RotationInterval": "7d"}))
steps.append(step(A, "kms:CreateKey", {"InstanceId": "kst-h", "KeyId": "key-year", "EnableAutomaticRotation": True,
                                       "RotationInterval": "30d"}))
steps.append(step(A, "kms:CreateKey", {"InstanceId": "kst-h", "KeyId": "key-off", "EnableAutomaticRotation": True,
                                       "RotationInterval": "7d"}))
steps.append(step(A, "kms:DisableKey", {"KeyId": "key-off"}))
# One year later: 12 rotations of the 30-day key, each stamped at its due time.
year = 365 * DAY
steps.append(step(A, "kms:DescribeKey", {"KeyId": "key-year"}, at=fmt(year), expect={"ok": True, "result": {"KeyMetadata": {
    "KeyVersions": list(range(1, 2 + year // (30 * DAY))), "AutomaticRotation": "Enabled",
    "NextRotationDate": fmt(30 * DAY * (1 + year // (30 * DAY)))}}}, note="caught up one version per interval"))
# Then the far future: every 7-day key stops at the version limit.
for i in range(n_keys):
    caller = A if i % 2 == 0 else B
    steps.append(step(caller, "kms:DescribeKey", {"KeyId": f"key-r{i}"}, at=FAR if i == 0 else None,
                      expect={"ok": True, "result": {"KeyMetadata": {"CurrentKeyVersion": MAX_KEY_VERSIONS,
                                                                     "AutomaticRotation": "Suspended", "NextRotationDate": None}}},
                      note="a key keeps at most 100 versions: automatic rotation is suspended there" if i == 0 else None))
steps.append(step(A, "kms:CreateKeyVersion", {"KeyId": "key-r0"}, expect={"ok": False, "error": "LimitExceeded", "rule": "CR-1"}))
ct = {"ok": True, "result": {"KeyVersion": MAX_KEY_VERSIONS}}
steps.append(step(A, "kms:Encrypt", {"KeyId": "key-r0", "Plaintext": "still works"}, expect=ct))
# The disabled key skipped every rotation due while disabled: one version, the next
# rotation at the first interval boundary after the far step.
week = 7 * DAY
first_due = week
after = first_due + week * ((far - first_due) // week + 1)
steps.append(step(A, "kms:DescribeKey", {"KeyId": "key-off"}, expect={"ok": True, "result": {"KeyMetadata": {
    "KeyVersions": [1], "KeyState": "Disabled", "AutomaticRotation": "Enabled", "NextRotationDate": fmt(after)}}}))
write("run-far-future-rotation",
      "CR-1, README Semantics 20: twenty keys rotating every 7 days, one every 30 days, one disabled, then a step at 9999-01-01. "
      "The 30-day key catches up one version per interval over a year; the 7-day keys stop at the limit of 100 versions with "
      "automatic rotation Suspended (and a manual rotation is LimitExceeded); the disabled key skips the rotations due while "
      "it was disabled. At most 100 versions per key, whatever the span.",
      ["CR-1"], steps)

# --- 2. wide and deep WhatIf previews (README Semantics 25) ---
steps = shared_org()
wide = [step(A, "kms:CreateKey", {"InstanceId": "kst-h", "KeyId": f"key-w{i}"}, expect=None) for i in range(1000)]
for s in wide:
    del s["expect"]
steps.append(step(A, "WhatIf", {"Steps": wide}, expect={"ok": True, "result": {"Quota": [], "Access": []}},
                  note="1,000 previewed steps run on a copy"))
steps.append(step(A, "kms:CreateKey", {"InstanceId": "kst-h", "KeyId": "key-w0"}, expect={"ok": True},
                  note="the preview changed nothing: the key does not exist yet"))


def deep(level):
    inner = {"caller": A, "action": "kms:CreateKey", "params": {"InstanceId": "kst-h", "KeyId": f"key-d{level}"}}
    if level == 0:
        return inner
    return {"caller": A, "action": "WhatIf", "params": {"Steps": [inner, deep(level - 1)]}}


depth = 30
nested = deep(depth)
steps.append(step(A, "WhatIf", nested["params"], expect={"ok": True}, note=f"{depth} previews nested in one another"))
steps.append(step(A, "kms:DescribeKey", {"KeyId": f"key-d{depth}"}, expect={"ok": False, "error": "NotFound"}))
write("run-wide-and-deep-whatif",
      "README Semantics 25: a WhatIf of 1,000 steps and WhatIf previews nested 30 deep run on copies and change nothing; "
      "their steps count against the document's 100,000 (a wider one is refused before anything runs: core/tests/hostile.rs).",
      ["AZ-2"], steps)

# --- 3. many secret versions (CR-4) ---
steps = shared_org()
steps.append(step(B, "kms:CreateKey", {"InstanceId": "kst-h", "KeyId": "key-s"}))
steps.append(step(B, "kms:CreateSecret", {"SecretName": "many", "SecretData": "v1", "EncryptionKeyId": "key-s"}))
big = "x" * 30720
for i in range(2, 101):
    steps.append(step(B, "kms:PutSecretValue", {"SecretName": "many", "SecretData": big if i == 100 else f"v{i}", "VersionId": f"v{i}"}))
steps.append(step(B, "kms:PutSecretValue", {"SecretName": "many", "SecretData": "one more", "VersionId": "v101"},
                  expect={"ok": False, "error": "LimitExceeded", "rule": "CR-4"}, note="a secret keeps at most 100 versions"))
steps.append(step(B, "kms:PutSecretValue", {"SecretName": "many", "SecretData": big + "x", "VersionId": "v102"},
                  expect={"ok": False, "error": "LimitExceeded", "field": "SecretData"}, note="a value is at most 30,720 bytes"))
steps.append(step(B, "kms:GetSecretValue", {"SecretName": "many", "VersionId": "v2"}, expect={"ok": True, "result": {"SecretData": "v2"}}))
steps.append(step(A, "kms:GetSecretValue", {"SecretName": "many"}, expect={"ok": True, "result": {"VersionId": "v100"}}))
write("run-many-secret-versions",
      "CR-4: a secret written 102 times keeps 100 versions (the 101st is LimitExceeded), a value over 30,720 bytes is "
      "refused, and every kept version still reads.",
      ["CR-4"], steps)

# --- 4. the largest policies, attached to many users (RAM-2) ---
steps = shared_org()
for i in range(8):
    steps.append(step(A if i % 2 == 0 else B, "kms:CreateKey", {"InstanceId": "kst-h", "KeyId": f"key-p{i}"}))


def statement(i, n):
    # n actions that each need a wildcard match and miss, except the last statement's.
    actions = [f"kms:N{i:02d}{j:02d}*Hit?" for j in range(n)]
    if i == 99:
        actions[-1] = "kms:Encr?pt"
        return {"Effect": "Allow", "Action": actions, "Resource": ["acs:kms:*:*:key/key-p*"]}
    actions[-1] = f"kms:Describe{i}*"
    return {"Effect": "Allow", "Action": actions, "Resource": [f"acs:kms:cn-*:*:key/key-nothing{i}-*"]}


# As many actions per statement as 64 KiB of JSON allows, for 100 statements.
n = 1
while len(json.dumps({"Version": "1", "Statement": [statement(i, n + 1) for i in range(100)]}, separators=(",", ":"))) <= 65536:
    n += 1
policy = {"Version": "1", "Statement": [statement(i, n) for i in range(100)]}
text = json.dumps(policy, separators=(",", ":"))
assert len(text) <= 65536, len(text)
deny = {"Version": "1", "Statement": [{"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "acs:kms:*:*:key/key-p7"}]}
steps.append(step(A, "CreatePolicy", {"PolicyName": "big", "PolicyDocument": policy}))
steps.append(step(A, "CreatePolicy", {"PolicyName": "deny", "PolicyDocument": deny}))
users = 40
for i in range(users):
    acct = A
    steps.append(step(acct, "CreateUser", {"UserName": f"u{i}"}))
    steps.append(step(acct, "AttachPolicyToUser", {"UserName": f"u{i}", "PolicyName": "big"}))
    steps.append(step(acct, "AttachPolicyToUser", {"UserName": f"u{i}", "PolicyName": "deny"}))
too_many = {"Version": "1", "Statement": [statement(0, 2)] * 101}
steps.append(step(A, "CreatePolicy", {"PolicyName": "more", "PolicyDocument": too_many},
                  expect={"ok": False, "error": "LimitExceeded", "rule": "RAM-2"}, note="at most 100 statements"))
over = json.loads(text)
over["Statement"][0]["Action"][0] += "x" * (65536 - len(text) + 1)
steps.append(step(A, "CreatePolicy", {"PolicyName": "huge", "PolicyDocument": over},
                  expect={"ok": False, "error": "LimitExceeded", "rule": "RAM-2"}, note="at most 64 KiB of JSON"))
u0 = "acs:ram::1000000000000002:user/u0"
u1 = "acs:ram::1000000000000002:user/u1"
steps.append(step(u0, "kms:Encrypt", {"KeyId": "key-p2", "Plaintext": "p"}, expect={"ok": True, "effect": "Allow"},
                  note="allowed by the last statement, after 99 that miss"))
steps.append(step(u1, "kms:Encrypt", {"KeyId": "key-p7", "Plaintext": "p"},
                  expect={"ok": False, "error": "AccessDenied", "deniedBy": "ramPolicy", "rule": "RAM-2"},
                  note="the explicit Deny wins"))
steps.append(step(u0, "kms:DescribeKey", {"KeyId": "key-p2"}, expect={"ok": False, "error": "AccessDenied", "deniedBy": "ramPolicy"}))
allowed = [f"acs:ram::1000000000000002:user/u{i}" for i in range(users)]
steps.append(step(A, "WhoCan", {"Action": "kms:Encrypt", "Resource": "key-p2"}, expect={"ok": True, "result": {
    "Allowed": [{"identity": "acs:ram::1000000000000002:root"}] + [{"identity": u} for u in sorted(allowed)]}},
    note="every user of the owner may encrypt with key-p2 (Joint ownership)"))
n_ids = 2 + users
n_res = 1 + 8
cells = n_ids * (2 + 8 * 3)
steps.append(step(A, "AccessMatrix", {"InstanceId": "kst-h"}, expect={"ok": True, "result": {
    "identities": [{}] * n_ids, "resources": [{}] * n_res, "cells": [{}] * cells}},
    note=f"{n_ids} identities x {n_res} resources, every cell decided against the largest policy"))
write("run-largest-policies-many-users",
      f"RAM-2: a policy at the limits (100 statements of {n} wildcard actions, 64 KiB of JSON) and an explicit Deny attached to "
      f"{users} users; decisions, WhoCan and the access matrix answer exactly; one statement more or one byte more is LimitExceeded.",
      ["RAM-2"], steps)

# --- 5. the largest encryption contexts (CR-2) ---
steps = shared_org()
steps.append(step(A, "kms:CreateKey", {"InstanceId": "kst-h", "KeyId": "key-c"}))
ctx = {f"k{i:02d}": "v" * (128 - 3) for i in range(64)}
assert sum(len(k) + len(v) for k, v in ctx.items()) == 8192
steps.append(step(A, "kms:Encrypt", {"KeyId": "key-c", "Plaintext": "bound", "EncryptionContext": ctx}, expect={"ok": True}))
steps[-1]["bind"] = "ct"
steps.append(step(A, "kms:Decrypt", {"CiphertextBlob": "$ct.CiphertextBlob", "EncryptionContext": json.dumps(ctx)},
                  expect={"ok": True, "result": {"Plaintext": "bound"}}, note="the same context, as JSON text"))
one_more = dict(ctx)
one_more["k00"] += "v"
steps.append(step(A, "kms:Encrypt", {"KeyId": "key-c", "Plaintext": "p", "EncryptionContext": one_more},
                  expect={"ok": False, "error": "LimitExceeded", "rule": "CR-2", "field": "EncryptionContext"}))
wide_ctx = {f"k{i:02d}": "v" for i in range(65)}
steps.append(step(A, "kms:Encrypt", {"KeyId": "key-c", "Plaintext": "p", "EncryptionContext": wide_ctx},
                  expect={"ok": False, "error": "LimitExceeded", "field": "EncryptionContext"}))
steps.append(step(A, "kms:Decrypt", {"CiphertextBlob": "$ct.CiphertextBlob", "EncryptionContext": one_more},
                  expect={"ok": False, "error": "LimitExceeded", "field": "EncryptionContext"}))
write("run-largest-encryption-contexts",
      "CR-2, README Semantics 25: an encryption context of 64 entries and 8,192 bytes encrypts and decrypts; one byte more "
      "or one entry more is LimitExceeded.",
      ["CR-2"], steps)

print("tests/hostile: written")
