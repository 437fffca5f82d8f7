// The scenario corpus (version 2, and the same documents as version 1 wrote them) through the npm package, compared with the Rust runner byte for
// byte: the package's Node entry, its browser (web) entry and its `kms-share` CLI must print
// exactly what `kms-share run FILE` (the native CLI) prints, with the same exit status.
//
// KMS_SHARE_NATIVE names the native CLI (default: target/debug/kms-share).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { Organization, runScenarioJson } from "kms-share";
import initWeb, * as web from "kms-share/web";

const root = fileURLToPath(new URL("../..", import.meta.url));
const corpora = ["tests/scenarios", "tests/scenarios-v1"].map((d) => join(root, d));
const native = process.env.KMS_SHARE_NATIVE ?? join(root, "target/debug/kms-share");
const cli = fileURLToPath(new URL("../pkg/bin/kms-share.mjs", import.meta.url));
const files = corpora.flatMap((dir) =>
  readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => join(dir, f)),
);

web.initSync({ module: readFileSync(fileURLToPath(import.meta.resolve("kms-share/web/kms_share_bg.wasm"))) });
void initWeb;

function run(command, args) {
  const r = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(r.error, undefined, `${command} did not run`);
  return r;
}

test("the corpus is not empty", () => {
  assert.ok(files.length >= 80, `only ${files.length} scenarios in ${corpora.join(" and ")}`);
});

for (const path of files) {
  const file = path.slice(root.length);
  test(`corpus ${file}: the package prints the Rust runner's result byte for byte`, () => {
    const text = readFileSync(path, "utf8");
    const want = run(native, ["run", path]);
    assert.ok(want.status === 0 || want.status === 1, `native exit ${want.status}: ${want.stderr}`);

    // The Node entry (CommonJS, through the package's exports map).
    const node = runScenarioJson(text);
    assert.equal(node + "\n", want.stdout);
    assert.equal(JSON.parse(node).passed ? 0 : 1, want.status);

    // The browser entry (ES module), initialised from the same bytes a page would fetch.
    assert.equal(web.runScenarioJson(text), node);

    // The object form carries the same document, in the same key order.
    const { organization, result } = Organization.fromScenario(text);
    assert.equal(JSON.stringify(result, null, 2), node);
    organization.free();

    // The CLI in the package: same output, same exit status.
    const got = run(process.execPath, [cli, "run", path]);
    assert.equal(got.stdout, want.stdout);
    assert.equal(got.status, want.status, got.stderr);
  });
}
