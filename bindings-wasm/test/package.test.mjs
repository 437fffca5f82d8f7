// The npm package's entry points and the JavaScript face of the API: real Errors with codes,
// the in-page surface loaded from a policy-only export, and each entry point loading.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as pkg from "kms-share";

const require = createRequire(import.meta.url);
const deptAB = readFileSync(fileURLToPath(new URL("../../tests/scenarios/01-dept-a-shares-with-dept-b.json", import.meta.url)), "utf8");
const ALICE = "acs:ram::1000000000000003:user/alice";

test("require() and import give the same Node entry", () => {
  const cjs = require("kms-share");
  assert.equal(cjs.Organization, pkg.Organization);
  assert.equal(pkg.version(), JSON.parse(readFileSync(fileURLToPath(new URL("../pkg/package.json", import.meta.url)), "utf8")).version);
});

test("errors are real Errors named KmsShareError with code, rule and field", () => {
  const { organization } = pkg.Organization.fromScenario(deptAB);
  assert.throws(
    () => organization.explain({ caller: "nobody", action: "kms:Encrypt", resource: "key-b1" }),
    (e) => {
      assert.ok(e instanceof Error);
      assert.equal(e.name, "KmsShareError");
      assert.equal(e.code, "InvalidParameter");
      assert.equal(e.rule, "RAM-1");
      assert.equal(e.field, "caller");
      assert.ok(e.stack.length > 0);
      return true;
    },
  );
  assert.throws(() => organization.accessMatrix("kst-none"), { name: "KmsShareError", code: "NotFound" });
  assert.throws(() => pkg.runScenarioJson("{"), { code: "InvalidParameter", field: "document" });
  assert.deepEqual(pkg.errorCodes().slice(0, 3), ["InvalidParameter", "NotFound", "AlreadyExists"]);
});

test("a page's organization from a policy-only export answers like the full one", () => {
  const { organization } = pkg.Organization.fromScenario(deptAB);
  const exported = JSON.stringify(organization.policyExport());
  assert.ok(!exported.includes("ciphertext"), "the policy export carries no secret values");
  const page = pkg.Organization.fromPolicyExport(exported);
  const requests = [];
  for (const caller of [ALICE, "acs:ram::1000000000000002:root", "acs:ram::1000000000000003:root", "acs:ram::1000000000000001:root"]) {
    for (const action of ["kms:Encrypt", "kms:Decrypt", "kms:CreateKey", "kms:DescribeKey", "kms:ScheduleKeyDeletion"]) {
      for (const resource of ["key-b1", "kst-depta"]) requests.push({ caller, action, resource });
    }
  }
  for (const r of requests) {
    assert.equal(page.isAllowed(r.caller, r.action, r.resource), organization.isAllowed(r.caller, r.action, r.resource), JSON.stringify(r));
  }
  assert.deepEqual(page.allowedBatch(requests), organization.allowedBatch(requests));
  assert.deepEqual(page.allowedActions(ALICE, "key-b1"), organization.allowedActions(ALICE, "key-b1"));
  assert.ok(page.allowedActions(ALICE, "key-b1").includes("kms:Encrypt"));
});

test("the decision-only policy module answers like the full engine", async () => {
  const policy = await import("kms-share/policy");
  policy.initSync({ module: readFileSync(fileURLToPath(import.meta.resolve("kms-share/policy/kms_share_policy_bg.wasm"))) });
  const { organization } = pkg.Organization.fromScenario(deptAB);
  const page = policy.Organization.fromPolicyExport(JSON.stringify(organization.policyExport()));
  for (const caller of [ALICE, "acs:ram::1000000000000001:root", "acs:ram::1000000000000003:root", "bad"]) {
    for (const action of ["kms:Encrypt", "kms:CreateKey", "kms:DescribeKey"]) {
      assert.equal(page.isAllowed(caller, action, "key-b1"), organization.isAllowed(caller, action, "key-b1"));
    }
  }
  assert.deepEqual(page.allowedActions(ALICE, "key-b1"), organization.allowedActions(ALICE, "key-b1"));
  assert.deepEqual(page.explain({ caller: ALICE, action: "kms:Encrypt", resource: "key-b1" }),
    organization.explain({ caller: ALICE, action: "kms:Encrypt", resource: "key-b1" }));
  // Only the decision surface is there: no scenarios, no steps.
  assert.equal(policy.Organization.fromScenario, undefined);
  assert.equal(typeof page.step, "undefined");
  assert.throws(() => page.explain({ caller: "x", action: "y", resource: "z" }), { name: "KmsShareError", code: "InvalidParameter" });
});

test("the decision-only module's hash lookups answer a large organization like the whole engine's tree searches", async () => {
  // Maps of more than 8 entries answer by hash in the decision-only module (the core's
  // `hash-index`), by tree search in the whole engine: the same state, the same answers.
  const policy = await import("kms-share/policy");
  policy.initSync({ module: readFileSync(fileURLToPath(import.meta.resolve("kms-share/policy/kms_share_policy_bg.wasm"))) });
  const { organization } = pkg.Organization.fromScenario(deptAB);
  const state = organization.policyExport();
  const keys = [];
  for (let i = 0; i < 40; i++) {
    const id = `key-b1x${String(i).padStart(2, "0")}`;
    state.keys[id] = { ...state.keys["key-b1"], id, creator: i % 2 ? "1000000000000001" : "1000000000000003" };
    keys.push(id);
  }
  const roots = [];
  for (let i = 0; i < 40; i++) {
    const id = `10000000000001${String(i).padStart(2, "0")}`;
    state.accounts[id] = { ...state.accounts["1000000000000003"], id };
    state.ram[id] = { users: { app: ["all"] }, roles: {}, policies: { all: { Version: "1", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] } } };
    roots.push(`acs:ram::${id}:root`, `acs:ram::${id}:user/app`);
  }
  const text = JSON.stringify(state);
  const page = policy.Organization.fromPolicyExport(text);
  const whole = pkg.Organization.fromPolicyExport(text);
  const requests = [];
  for (const caller of [ALICE, "acs:ram::1000000000000001:root", "acs:ram::1000000000000003:root", ...roots.slice(0, 12), "acs:ram::1000000000000199:root"]) {
    for (const action of ["kms:Encrypt", "kms:DescribeKey", "kms:ScheduleKeyDeletion"]) {
      for (const resource of [...keys, "key-b1", "kst-depta", "key-none"]) requests.push({ caller, action, resource });
    }
  }
  const answers = page.allowedBatch(requests);
  assert.deepEqual(answers, whole.allowedBatch(requests));
  for (const r of requests.filter((_, i) => i % 7 === 0)) {
    assert.equal(page.isAllowed(r.caller, r.action, r.resource), whole.isAllowed(r.caller, r.action, r.resource), JSON.stringify(r));
    assert.deepEqual(page.explain(r), whole.explain(r));
  }
  const allowed = answers.filter((a) => a).length;
  assert.ok(allowed > 40 && allowed < requests.length / 2, `${allowed} of ${requests.length} allowed`);
});

test("the bundler entry loads where ES module integration of wasm is available", () => {
  // Bundlers import the .wasm as a module; Node does so behind a flag.
  const r = spawnSync(
    process.execPath,
    ["--experimental-wasm-modules", "--no-warnings", "--input-type=module", "-e",
      'import * as m from "kms-share/bundler"; console.log(m.version(), m.errorCodes().join())'],
    { encoding: "utf8", cwd: fileURLToPath(new URL(".", import.meta.url)) },
  );
  assert.equal(r.stderr, "");
  assert.equal(r.stdout.trim(), `${pkg.version()} ${pkg.errorCodes().join()}`);
});

test("call passes a user's data as it is: nothing is templated, and test fixtures are not calls", () => {
  const { organization } = pkg.Organization.fromScenario(deptAB);
  for (const text of ["$abc", "${x}", "$", "a ${b.c} d", "${"]) {
    const { CiphertextBlob } = organization.call(ALICE, "kms:Encrypt", { KeyId: "key-b1", Plaintext: text });
    assert.equal(organization.call(ALICE, "kms:Decrypt", { CiphertextBlob }).Plaintext, text);
  }
  const B = "acs:ram::1000000000000003:root";
  organization.call(B, "kms:CreateSecret", { SecretName: "templated", SecretData: "${x}", EncryptionKeyId: "key-b1" });
  assert.equal(organization.call(B, "kms:GetSecretValue", { SecretName: "templated" }).SecretData, "${x}");
  assert.throws(() => organization.call(B, "TamperAuditEvent", { Seq: 1, Field: "remove" }), { code: "InvalidParameter", field: "action" });
  assert.throws(() => organization.call(ALICE, "kms:DisableKey", { KeyId: "key-b1" }), (e) => e.code === "AccessDenied" && e.decision.deniedBy === "ramPolicy");
  assert.equal(organization.call(B, "VerifyAuditTrail").Valid, true);
});

test("thrown errors carry the vendor's code, HTTP status and AccessDeniedDetail", () => {
  const { organization } = pkg.Organization.fromScenario(deptAB);
  let err;
  try {
    organization.call(ALICE, "kms:DisableKey", { KeyId: "key-b1" });
  } catch (e) {
    err = e;
  }
  assert.equal(err.name, "KmsShareError");
  assert.deepEqual([err.code, err.vendorCode, err.httpStatus], ["AccessDenied", "Forbidden.NoPermission", 403]);
  const { EncodedDiagnosticMessage, ...detail } = err.accessDeniedDetail;
  assert.deepEqual(detail, {
    AuthAction: "kms:DisableKey",
    AuthPrincipalType: "SubUser",
    AuthPrincipalOwnerId: "1000000000000003",
    AuthPrincipalDisplayName: "alice",
    NoPermissionType: "ImplicitDeny",
    PolicyType: "AccountLevelIdentityBasedPolicy",
  });
  assert.deepEqual(JSON.parse(Buffer.from(EncodedDiagnosticMessage, "base64").toString("utf8")), err.decision);
  assert.throws(
    () => organization.call(ALICE, "kms:Encrypt", { KeyId: "key-nosuch", Plaintext: "x" }),
    (e) => e.code === "NotFound" && e.vendorCode === "Forbidden.KeyNotFound" && e.httpStatus === 404 && e.accessDeniedDetail === undefined,
  );
});
