// Using the kms-share package from TypeScript. `make test-wasm` type-checks this file
// (`tsc --noEmit`) against the package's generated declarations: the types of scenarios,
// decisions, errors and states come from the Rust types, not from a hand-written copy.
import {
  Organization,
  runScenarioJson,
  type AccessMatrix,
  type CreateKeyRequest,
  type Decision,
  type DecisionOutcome,
  type EngineError,
  type ErrorCode,
  type KeyMetadataResponse,
  type ListKeysResponse,
  type RunResult,
  type Scenario,
  type State,
  type StepResult,
} from "kms-share";

const owner = "acs:ram::1000000000000001:root";
const scenario: Scenario = {
  version: 2,
  name: "one account buys an instance and encrypts",
  seed: 7,
  steps: [
    { caller: owner, action: "kms:CreateInstance", params: { InstanceId: "kst-demo", RegionId: "cn-hangzhou" } },
    { caller: owner, action: "kms:CreateKey", params: { DKMSInstanceId: "kst-demo", KeyId: "key-1" }, expect: { ok: true } },
  ],
};

const { organization, result }: { organization: Organization; result: RunResult } = Organization.fromScenario(scenario);
const passed: boolean = result.passed;
const canonical: string = runScenarioJson(JSON.stringify(scenario));

// The vendor's requests and responses are typed too: a call's result is the vendor's
// response (the generated types name them after the call).
const request: CreateKeyRequest = { DKMSInstanceId: "kst-demo", KeyId: "key-2" };
const created = organization.call(owner, "kms:CreateKey", request) as unknown as KeyMetadataResponse;
const keyState: string = created.KeyMetadata.KeyState;
const listed = organization.call(owner, "kms:ListKeys", { PageSize: 10 }) as unknown as ListKeysResponse;
const total: number = listed.TotalCount;
void keyState;
void total;

// Crypto is a step, like every vendor call.
const encrypted: StepResult = organization.step({
  caller: owner,
  action: "kms:Encrypt",
  params: { KeyId: "key-1", Plaintext: "hello" },
});
if (encrypted.ok && encrypted.decision) {
  const effect: "Allow" | "Deny" | "Undetermined" = encrypted.decision.effect;
  console.log(effect);
}

const decision: Decision = organization.explain({ caller: owner, action: "kms:Decrypt", resource: "key-1" });
if (decision.effect === "Deny") {
  console.log(decision.deniedBy, decision.rule, decision.fix);
} else if (decision.effect === "Undetermined") {
  // A check depends on what the engine was not told (an imported instance's sharing mode).
  console.log(decision.undeterminedBy, decision.message, decision.fix);
}
const outcomes: DecisionOutcome[] = organization.explainBatch([{ caller: owner, action: "kms:Encrypt", resource: "key-1" }]);
for (const o of outcomes) {
  if ("Ok" in o) console.log(o.Ok.effect);
  else console.log(o.Err.code);
}

const matrix: AccessMatrix = organization.accessMatrix("kst-demo");
console.log(matrix.quota.used, matrix.cells.length);

// Errors are real Errors carrying the engine's code, rule and field.
try {
  organization.explain({ caller: "not-an-identity", action: "kms:Encrypt", resource: "key-1" });
} catch (e) {
  const err = e as Error & Pick<EngineError, "code" | "rule" | "field">;
  const code: ErrorCode = err.code;
  console.log(err.name, code, err.rule, err.field, err.message);
}

// In-page checks from the policy-only export a server hands the page.
const exported: State = organization.policyExport();
const page = Organization.fromPolicyExport(JSON.stringify(exported));
const allowed: boolean = page.isAllowed(owner, "kms:Encrypt", "key-1");
const actions: string[] = page.allowedActions(owner, "key-1");
console.log(passed, canonical.length, allowed, actions);

// The generated types catch mistakes:
// @ts-expect-error an effect is "Allow", "Deny" or "Undetermined"
const wrongEffect: Decision["effect"] = "Maybe";
// @ts-expect-error a decision request needs a resource
organization.explain({ caller: owner, action: "kms:Encrypt" });
// @ts-expect-error a scenario's steps are steps
const wrongScenario: Scenario = { version: 1, steps: [{ action: "kms:Encrypt" }] };
// @ts-expect-error error codes are a closed set
const wrongCode: ErrorCode = "Oops";
console.log(wrongEffect, wrongScenario, wrongCode);
