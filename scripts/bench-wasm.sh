#!/usr/bin/env bash
# One decision (isAllowed, explain) on the Department A/B organization: through the npm
# package in Node, and natively in Rust, run one after the other in one go so the ratio is
# measured under the same machine load. Prints both reports and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
ln -sfn ../pkg bindings-wasm/node_modules/kms-share
native=$(cargo run --release --quiet -p kms-share-wasm --example decision_bench)
wasm=$(cd bindings-wasm && node bench/decision.mjs)
echo "$native"
echo "$wasm"
node -e '
const parse = (s) => s.trim().split("\n").map((l) => JSON.parse(l));
const [n, w] = [parse(process.argv[1]), parse(process.argv[2])];
for (const a of n) {
  const b = w.find((x) => x.request === a.request);
  const x = (w, n) => `x${(w / n).toFixed(2)}`;
  console.log(`${a.request}: isAllowed ${b.isAllowedNs} ns wasm vs ${a.isAllowedNs} ns native (${x(b.isAllowedNs, a.isAllowedNs)}); ` +
    `explain ${b.explainNs} ns vs ${a.explainNs} ns (${x(b.explainNs, a.explainNs)}); ` +
    `decision-only module: isAllowed ${b.policyIsAllowedNs} ns (${x(b.policyIsAllowedNs, a.isAllowedNs)}), ` +
    `explain ${b.policyExplainNs} ns (${x(b.policyExplainNs, a.explainNs)})`);
}' "$native" "$wasm"
