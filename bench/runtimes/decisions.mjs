// The decision set of bench/ (100,000 requests on the 10,000-account organization) through
// the npm package's wasm module in Node: single calls (isAllowed, explain) and the batch
// entry points (allowedBatch, explainBatch). Prints one JSON document; the native side of
// the same run is `kms-share-bench native` (see scripts/bench.sh).
//
//   node bench/runtimes/decisions.mjs DIR [PKG]   # DIR holds state.json, requests.json, expected.json
//                                                 # PKG: bindings-wasm/pkg/node/kms_share.js by default
//
// PKG may also be the decision-only module (pkg/policy/kms_share_policy.js, the one a page
// loads for in-page checks): an ES module for the web, given its .wasm bytes here.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2];
const pkg = path.resolve(process.argv[3] ?? path.join(here, "../../bindings-wasm/pkg/node/kms_share.js"));
const decisionOnly = path.basename(pkg) === "kms_share_policy.js";
const { Organization } = await (async () => {
  if (!decisionOnly) return createRequire(import.meta.url)(pkg);
  const m = await import(pathToFileURL(pkg).href);
  m.initSync({ module: readFileSync(pkg.replace(/\.js$/, "_bg.wasm")) });
  return m;
})();

const CHUNK = 10000;
const ROUNDS = 10;

function summary(samples, ops) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => {
    const i = p * (s.length - 1);
    const lo = Math.floor(i);
    const hi = Math.ceil(i);
    return s[lo] + (s[hi] - s[lo]) * (i - lo);
  };
  return { median: q(0.5), p25: q(0.25), p75: q(0.75), min: s[0], max: s[s.length - 1], rounds: s.length, ops_per_round: ops };
}

function rounds(n, ops, f) {
  f(0);
  const out = [];
  for (let r = 0; r < n; r++) {
    const t = process.hrtime.bigint();
    f(r);
    out.push(Number(process.hrtime.bigint() - t) / ops);
  }
  return summary(out, ops);
}

function agreement(expected, got, reqs) {
  const bad = [];
  for (let i = 0; i < expected.length; i++) if (expected[i] !== got[i]) bad.push(i);
  return {
    mismatches: bad.length,
    mismatchesWithRegion: bad.filter((i) => reqs[i][3] !== null).length,
    example: bad.length ? { request: reqs[bad[0]], explain: expected[bad[0]], got: got[bad[0]] } : null,
  };
}

const stateText = readFileSync(path.join(dir, "state.json"), "utf8");
let t = process.hrtime.bigint();
const org = Organization.fromPolicyExport(stateText);
const loadStateSeconds = Number(process.hrtime.bigint() - t) / 1e9;
const reqs = JSON.parse(readFileSync(path.join(dir, "requests.json"), "utf8"));
const expected = JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8"));
const objs = reqs.map(([caller, action, resource, region]) =>
  region === null ? { caller, action, resource } : { caller, action, resource, region });
const n = reqs.length;
const chunk = (r) => {
  const s = (r * CHUNK) % (n - CHUNK + 1);
  return [s, s + CHUNK];
};
let sink = 0;
const out = {
  runtime: "wasm-node",
  module: decisionOnly ? "decision-only" : "whole engine",
  node: process.version,
  requests: n,
  loadStateSeconds,
  nsPerDecision: {
    isAllowed: rounds(ROUNDS, CHUNK, (r) => {
      const [a, b] = chunk(r);
      for (let i = a; i < b; i++) sink += org.isAllowed(reqs[i][0], reqs[i][1], reqs[i][2]) ? 1 : 0;
    }),
    explain: rounds(ROUNDS, CHUNK, (r) => {
      const [a, b] = chunk(r);
      for (let i = a; i < b; i++) sink += org.explain(objs[i]).effect === "Allow" ? 1 : 0;
    }),
    allowedBatch: rounds(ROUNDS >> 1, n, () => {
      sink += org.allowedBatch(objs).length;
    }),
    explainBatch: rounds(ROUNDS >> 1, n, () => {
      sink += org.explainBatch(objs).length;
    }),
  },
};
out.agreementWithExplain = {
  explainBatch: agreement(expected, org.explainBatch(objs).map((o) => ("Ok" in o ? o.Ok.effect === "Allow" : false)), reqs),
  allowedBatch: agreement(expected, org.allowedBatch(objs), reqs),
  isAllowed: agreement(expected, reqs.map((q) => org.isAllowed(q[0], q[1], q[2])), reqs),
};
if (sink < 0) console.error(sink);
console.log(JSON.stringify(out, null, 2));
