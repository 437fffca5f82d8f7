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
  console.log(`${a.request}: isAllowed ${b.isAllowedNs} ns wasm vs ${a.isAllowedNs} ns native (x${(b.isAllowedNs / a.isAllowedNs).toFixed(2)}); ` +
    `explain ${b.explainNs} ns vs ${a.explainNs} ns (x${(b.explainNs / a.explainNs).toFixed(2)})`);
}' "$native" "$wasm"
