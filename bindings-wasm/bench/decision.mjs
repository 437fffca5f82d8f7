// The Node side of `make bench-wasm`: the median cost of one decision through the npm
// package (the same requests, rounds and report as examples/decision_bench.rs, natively),
// in the whole engine's module and in the decision-only module (`kms-share/policy`).
//
//   node bench/decision.mjs [SCENARIO.json]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Organization } from "kms-share";

const ROUNDS = 31;
const CALLS = 2000;
const REQUESTS = [
  ["allow", "acs:ram::1000000000000003:user/alice", "kms:Encrypt", "key-b1"],
  ["deny", "acs:ram::1000000000000001:root", "kms:Encrypt", "key-b1"],
];

const path = process.argv[2] ?? fileURLToPath(new URL("../../tests/scenarios/01-dept-a-shares-with-dept-b.json", import.meta.url));
const { organization: org } = Organization.fromScenario(readFileSync(path, "utf8"));
const page = Organization.fromPolicyExport(org.policyExport());
// The decision-only module a page loads, on the same export.
const policy = await import("kms-share/policy");
policy.initSync({ module: readFileSync(fileURLToPath(import.meta.resolve("kms-share/policy/kms_share_policy_bg.wasm"))) });
const small = policy.Organization.fromPolicyExport(JSON.stringify(org.policyExport()));

// Median over rounds of the mean time of one call in a round.
function medianNs(f) {
  let sink = 0;
  for (let i = 0; i < CALLS; i++) sink += f() ? 1 : 0;
  const perCall = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) sink += f() ? 1 : 0;
    perCall.push(Number(process.hrtime.bigint() - t) / CALLS);
  }
  if (sink < 0) console.log(sink);
  perCall.sort((a, b) => a - b);
  return perCall[ROUNDS >> 1];
}

for (const [name, caller, action, resource] of REQUESTS) {
  const request = { caller, action, resource };
  const isAllowedNs = medianNs(() => org.isAllowed(caller, action, resource));
  const explainNs = medianNs(() => org.explain(request).effect === "Allow");
  const pageIsAllowedNs = medianNs(() => page.isAllowed(caller, action, resource));
  const policyIsAllowedNs = medianNs(() => small.isAllowed(caller, action, resource));
  const policyExplainNs = medianNs(() => small.explain(request).effect === "Allow");
  console.log(JSON.stringify({
    runtime: "wasm-node", request: name, isAllowedNs: Math.round(isAllowedNs), explainNs: Math.round(explainNs),
    pageIsAllowedNs: Math.round(pageIsAllowedNs), policyIsAllowedNs: Math.round(policyIsAllowedNs), policyExplainNs: Math.round(policyExplainNs),
  }));
}
