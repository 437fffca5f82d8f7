// An imported organization (tests/import/example-state.json, what `kms-share import` makes of
// tests/import/example) loads in Node as any state document does, in the whole engine and in
// the decision-only module, and says "Undetermined" where the import could not tell (README
// Semantics 31 and 32).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as pkg from "kms-share";

const state = readFileSync(fileURLToPath(new URL("../../tests/import/example-state.json", import.meta.url)), "utf8");
const OWNER = "acs:ram::1000000000000002:root";
const CAROL = "acs:ram::1000000000000004:user/carol";

test("an imported state loads, with its gaps, and leaves undetermined what it could not read", () => {
  const org = pkg.Organization.fromPolicyExport(state);
  assert.deepEqual(org.policyExport().gaps.map((g) => [g.part, g.account, g.call]), [["Account", "1000000000000004", "sts:AssumeRole"]]);
  // kst-lab's share recorded no sharing mode (SM-1).
  const d = org.explain({ caller: OWNER, action: "kms:Encrypt", resource: "key-blab" });
  assert.equal(d.effect, "Undetermined");
  assert.equal(d.undeterminedBy, "ownership");
  assert.equal(d.rule, "SM-1");
  assert.match(d.fix, /kms:SetInstanceSharingMode/);
  assert.equal(org.isAllowed(OWNER, "kms:Encrypt", "key-blab"), false, "an undetermined decision allows nothing");
  // Department C could not be reached: its user's RAM check is undetermined (RAM-1).
  const c = org.explain({ caller: CAROL, action: "kms:CreateKey", resource: "kst-depta" });
  assert.equal(c.effect, "Undetermined");
  assert.equal(c.undeterminedBy, "ramPolicy");
  const cells = org.accessMatrix("kst-lab").cells;
  assert.ok(cells.some((x) => x.effect === "Undetermined" && x.undeterminedBy === "ownership"));
  assert.ok(cells.some((x) => x.effect === "Allow"));
  const who = org.whoCan("kms:Encrypt", "key-blab");
  assert.deepEqual(who.map((a) => [a.identity, a.undetermined !== undefined]), [
    [OWNER, true],
    ["acs:ram::1000000000000003:root", false],
    ["acs:ram::1000000000000003:user/alice", false],
  ]);
});

test("the decision-only module answers the imported state as the whole engine does", async () => {
  const policy = await import("kms-share/policy");
  policy.initSync({ module: readFileSync(fileURLToPath(import.meta.resolve("kms-share/policy/kms_share_policy_bg.wasm"))) });
  const page = policy.Organization.fromPolicyExport(state);
  const whole = pkg.Organization.fromPolicyExport(state);
  for (const [caller, action, resource] of [
    [OWNER, "kms:Encrypt", "key-blab"],
    [CAROL, "kms:CreateKey", "kst-depta"],
    ["acs:ram::1000000000000003:user/alice", "kms:Encrypt", "key-b1"],
  ]) {
    assert.deepEqual(page.explain({ caller, action, resource }), whole.explain({ caller, action, resource }));
    assert.equal(page.isAllowed(caller, action, resource), whole.isAllowed(caller, action, resource));
  }
});
