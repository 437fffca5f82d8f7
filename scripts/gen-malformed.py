#!/usr/bin/env python3
"""Generate tests/malformed/: inputs every runtime must refuse with a documented
error code, never a crash, trap, hang or Allow.

Two kinds of entries:
- documents that are not valid scenario documents (manifest.json lists the code
  that running them must fail with);
- valid documents whose steps carry malformed inputs, each step with an `expect`
  (they must run and pass like any scenario).

Run: python3 scripts/gen-malformed.py   (rewrites tests/malformed/)
"""
import base64
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "malformed")
M = "acs:ram::1000000000000001:root"
B = "acs:ram::1000000000000002:root"

shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
manifest = []


def bad_doc(name, text, code, why):
    path = os.path.join(OUT, f"doc-{name}.json")
    with open(path, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode("utf-8"))
    manifest.append({"file": f"doc-{name}.json", "code": code, "why": why})


def scenario(name, description, steps, rules=("AZ-3",)):
    doc = {"version": 1, "name": name, "description": description, "rules": list(rules), "seed": 9, "steps": steps}
    with open(os.path.join(OUT, f"run-{name}.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")


def step(caller, action, params, expect):
    return {"caller": caller, "action": action, "params": params, "expect": expect}


good = {"version": 1, "seed": 1, "steps": [{"caller": M, "action": "RegisterAccount", "expect": {"ok": True}}]}
text = json.dumps(good)

# --- documents that do not parse ---
for n in (1, len(text) // 3, len(text) // 2, len(text) - 1):
    bad_doc(f"truncated-{n}", text[:n], "InvalidParameter", "truncated JSON")
bad_doc("empty", "", "InvalidParameter", "empty input")
bad_doc("not-json", "version: 1\nsteps: []\n", "InvalidParameter", "YAML is not JSON")
bad_doc("array", "[]", "InvalidParameter", "a list, not an object")
bad_doc("string", '"hello"', "InvalidParameter", "a string, not an object")
bad_doc("null", "null", "InvalidParameter", "null")
bad_doc("version-3", json.dumps({"version": 3, "steps": []}), "InvalidParameter", "unknown format version")
bad_doc("version-string", json.dumps({"version": "1", "steps": []}), "InvalidParameter", "version of the wrong type")
bad_doc("no-steps", json.dumps({"version": 1}), "InvalidParameter", "steps missing")
bad_doc("steps-object", json.dumps({"version": 1, "steps": {}}), "InvalidParameter", "steps of the wrong type")
bad_doc("unknown-top-field", json.dumps({"version": 1, "steps": [], "stepz": []}), "InvalidParameter", "unknown field")
bad_doc("unknown-step-field", json.dumps({"version": 1, "steps": [{"caller": M, "action": "x", "paramz": {}}]}), "InvalidParameter", "unknown step field")
bad_doc("step-caller-number", json.dumps({"version": 1, "steps": [{"caller": 5, "action": "x"}]}), "InvalidParameter", "caller of the wrong type")
bad_doc("step-expect-unknown", json.dumps({"version": 1, "steps": [{"caller": M, "action": "x", "expect": {"okay": True}}]}), "InvalidParameter", "unknown expect field")
bad_doc("seed-negative", json.dumps({"version": 1, "seed": -1, "steps": []}), "InvalidParameter", "negative seed")
bad_doc("seed-float", json.dumps({"version": 1, "seed": 1.5, "steps": []}), "InvalidParameter", "fractional seed")
bad_doc("start-bad", json.dumps({"version": 1, "start": "yesterday", "steps": []}), "InvalidParameter", "unparseable start time")
bad_doc("nul-bytes", b'{"version": 1, "steps": [\x00]}', "InvalidParameter", "NUL byte")
bad_doc("invalid-utf8", b'{"version": 1, "name": "\xff\xfe", "steps": []}', "InvalidParameter", "invalid UTF-8")
bad_doc("deep-nesting", '{"version": 1, "steps": [' + "[" * 10000 + "]" * 10000 + "]}", "InvalidParameter", "nesting deeper than the parser's limit")
bad_doc("too-many-steps", json.dumps({"version": 1, "steps": [{"caller": M, "action": "Explain"}] * 100001}), "LimitExceeded", "more than 100,000 steps")

# --- valid documents with malformed inputs in their steps ---
MB = "x" * (1 << 20)
setup = [
    step(M, "EnableResourceDirectory", {"EnterpriseId": "ent", "DirectoryId": "rd-m", "RootFolderId": "fd-root"}, {"ok": True}),
    step(M, "CreateResourceAccount", {"AccountName": "member", "DisplayName": "member", "AccountId": "1000000000000002"}, {"ok": True}),
    step(M, "EnableSharingWithResourceDirectory", {}, {"ok": True}),
    step(B, "kms:CreateInstance", {"InstanceId": "kst-m", "RegionId": "cn-hangzhou"}, {"ok": True}),
    step(B, "kms:CreateKey", {"InstanceId": "kst-m", "KeyId": "key-m"}, {"ok": True}),
]


def inv(field=None, rule=None):
    e = {"error": "InvalidParameter"}
    if field:
        e["field"] = field
    if rule:
        e["rule"] = rule
    return e


names = []
for bad in ["a", "-ab", "ab-", "a--b", "a._b", "ab cd", "аb", "ab\u0000", "a" * 51, "", MB, "ａｂ", "ab\u200b"]:
    names.append(step(M, "CreateResourceAccount", {"AccountName": bad, "DisplayName": "ok-name"}, inv("AccountName", "RD-2")))
for bad in ["x", "a b", "a\u0000b", "x" * 51, MB, "名"]:
    names.append(step(M, "CreateResourceAccount", {"AccountName": "fine", "DisplayName": bad}, inv("DisplayName", "RD-3")))
for bad in ["", "s" * 51, "a/b", "a b", "a\u0000", MB]:
    names.append(step(B, "CreateResourceShare", {"ResourceShareName": bad}, inv("ResourceShareName", "RS-1")))
for bad in ["fd-", "fd-a_b", "FD-abc", "fd-" + "a" * 65, "fd-\u0430bc"]:
    names.append(step(M, "CreateFolder", {"FolderName": "ok-folder", "ParentFolderId": bad}, inv("ParentFolderId", "RD-6")))
for bad in ["123456789012345", "12345678901234567", "12345678901234a6", "１２３４５６７８９０１２３４５６"]:
    names.append(step(M, "MoveAccount", {"AccountId": bad, "DestinationFolderId": "fd-root"}, inv("AccountId", "RD-6")))
for caller in ["acs:ram::1:root", "acs:ram::1000000000000001:group/x", "arn:aws:iam::1000000000000001:root", "", MB, "acs:ram::1000000000000001:user/"]:
    names.append(step(caller, "CreateFolder", {"FolderName": "ok-folder"}, inv("caller", None)))
names.append(step(M, "CreateFolder", {"FolderName": 5}, inv("FolderName")))
names.append(step(M, "CreateFolder", {"FolderName": ["a"]}, inv("FolderName")))
names.append(step(M, "CreateFolder", {"FolderName": "ok-folder", "Bogus": 1}, inv("Bogus")))
names.append(step(M, "CreateFolder", [], inv("params")))
names.append(step(M, "NoSuchAction", {}, inv("action")))
names.append(step(M, "kms:NoSuchAction", {}, inv("action")))
scenario("names-ids-and-types", "Every naming rule's edges (RD-2, RD-3, RS-1, RD-6), Unicode confusables, NUL bytes, 1 MB strings, wrong types, unknown parameters and actions: each is InvalidParameter naming the field.", setup + names, ("RD-2", "RD-3", "RS-1", "RD-6", "AZ-3"))

policies = []
bad_policies = [
    ({"Version": "2", "Statement": []}, "PolicyDocument.Version"),
    ({"Version": "1"}, "PolicyDocument.Statement"),
    ({"Version": "1", "Statement": [{"Effect": "allow", "Action": "kms:*", "Resource": "*"}]}, "PolicyDocument.Statement[0].Effect"),
    ({"Version": "1", "Statement": [{"Effect": "Allow", "Resource": "*"}]}, "PolicyDocument.Statement[0].Action"),
    ({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:*", "NotAction": "kms:Decrypt", "Resource": "*"}]}, "PolicyDocument.Statement[0].NotAction"),
    ({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "encrypt", "Resource": "*"}]}, "PolicyDocument.Statement[0].Action"),
    ({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*", "Condition": {"StringEqual": {"a": "b"}}}]}, "PolicyDocument.Statement[0].Condition.StringEqual"),
    ({"Version": "1", "Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}, "PolicyDocument.Statement[0].Action"),
    ({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": 7}]}, "PolicyDocument.Statement[0].Resource"),
]
for i, (doc, field) in enumerate(bad_policies):
    policies.append(step(B, "CreatePolicy", {"PolicyName": f"p{i}", "PolicyDocument": doc}, {"error": "InvalidParameter", "rule": "RAM-2", "field": field}))
policies.append(step(B, "CreatePolicy", {"PolicyName": "text", "PolicyDocument": "{not json"}, {"error": "InvalidParameter", "rule": "RAM-2"}))
policies.append(step(B, "CreatePolicy", {"PolicyName": "huge", "PolicyDocument": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "acs:" + "x" * 70000}]}}, {"error": "LimitExceeded", "rule": "RAM-2"}))
scenario("policies", "Malformed RAM policies: wrong version, missing or conflicting parts, bad wildcards, unknown condition operators, wrong types, oversized documents (RAM-2).", setup + policies, ("RAM-2",))

cts = []
enc = step(B, "kms:Encrypt", {"KeyId": "key-m", "Plaintext": "p"}, {"ok": True})
enc["bind"] = "ct"
cts.append(enc)
for i in range(0, 40, 3):
    raw = base64.b64encode(bytes(range(i))).decode()
    cts.append(step(B, "kms:Decrypt", {"CiphertextBlob": raw}, {"error": "InvalidParameter", "field": "CiphertextBlob", "rule": "CR-2"}))
for bad in ["not base64!", "AAA", "====", MB]:
    cts.append(step(B, "kms:Decrypt", {"CiphertextBlob": bad}, {"error": "InvalidParameter", "field": "CiphertextBlob", "rule": "CR-2"}))
cts.append(step(B, "kms:Decrypt", {"CiphertextBlob": 12}, {"error": "InvalidParameter", "field": "CiphertextBlob"}))
cts.append(step(B, "kms:Encrypt", {"KeyId": "key-m", "Plaintext": ""}, {"error": "InvalidParameter", "field": "Plaintext", "rule": "CR-2"}))
cts.append(step(B, "kms:Encrypt", {"KeyId": "key-m", "Plaintext": "x" * 6145}, {"error": "LimitExceeded", "field": "Plaintext", "rule": "CR-2"}))
cts.append(step(B, "kms:Encrypt", {"KeyId": "key-m", "Plaintext": MB}, {"error": "LimitExceeded", "field": "Plaintext"}))
cts.append(step(B, "kms:Encrypt", {"KeyId": "key-m", "Plaintext": "p", "EncryptionContext": {"a": 1}}, {"error": "InvalidParameter", "field": "EncryptionContext.a"}))
cts.append(step(B, "kms:GenerateDataKey", {"KeyId": "key-m", "NumberOfBytes": 0}, {"error": "InvalidParameter", "field": "NumberOfBytes"}))
cts.append(step(B, "kms:GenerateDataKey", {"KeyId": "key-m", "NumberOfBytes": -1}, {"error": "InvalidParameter", "field": "NumberOfBytes"}))
cts.append(step(B, "kms:GenerateDataKey", {"KeyId": "key-m", "NumberOfBytes": 1e9}, {"error": "InvalidParameter", "field": "NumberOfBytes"}))
scenario("ciphertexts", "Ciphertext blobs of every wrong length, non-base64 input, empty and oversized plaintexts, bad contexts and data key sizes (CR-2).", setup + cts, ("CR-2",))

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump({"documents": manifest}, f, indent=1)
    f.write("\n")
print(f"wrote {len(manifest)} bad documents and 3 scenario documents to {os.path.relpath(OUT)}")
