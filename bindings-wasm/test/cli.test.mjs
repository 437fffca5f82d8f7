// The package's `kms-share` CLI against the native one: explain, matrix, usage and bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("../..", import.meta.url));
const native = process.env.KMS_SHARE_NATIVE ?? join(root, "target/debug/kms-share");
const cli = fileURLToPath(new URL("../pkg/bin/kms-share.mjs", import.meta.url));
const deptAB = join(root, "tests/scenarios/01-dept-a-shares-with-dept-b.json");
const ALICE = "acs:ram::1000000000000003:user/alice";

function both(args) {
  const opts = { encoding: "utf8" };
  return [spawnSync(native, args, opts), spawnSync(process.execPath, [cli, ...args], opts)];
}

function same(args) {
  const [want, got] = both(args);
  assert.equal(got.stdout, want.stdout);
  assert.equal(got.status, want.status, got.stderr);
  return got;
}

test("explain prints the decision as the Rust CLI does", () => {
  const got = same(["explain", deptAB, ALICE, "kms:Encrypt", "key-b1"]);
  assert.equal(got.status, 0);
  assert.equal(JSON.parse(got.stdout).effect, "Allow");
});

test("explain of a denied request prints the deny and exits 0 (a denial is a value)", () => {
  const got = same(["explain", deptAB, "acs:ram::1000000000000001:root", "kms:Encrypt", "key-b1"]);
  assert.equal(got.status, 0);
  assert.equal(JSON.parse(got.stdout).effect, "Deny");
});

test("matrix prints the access matrix as the Rust CLI does", () => {
  const got = same(["matrix", deptAB, "kst-depta"]);
  assert.equal(JSON.parse(got.stdout).instanceId, "kst-depta");
});

test("a malformed caller exits 2 with the engine's code, message and rule (RAM-1)", () => {
  const [want, got] = both(["explain", deptAB, "root", "kms:Encrypt", "key-b1"]);
  assert.equal(want.status, 2);
  assert.equal(got.status, 2);
  assert.equal(got.stdout, "");
  assert.equal(got.stderr, want.stderr);
  assert.match(got.stderr, /^kms-share: InvalidParameter: .* \(RAM-1\)\n$/);
});

test("an unknown instance exits 2 (NotFound)", () => {
  const [want, got] = both(["matrix", deptAB, "kst-nope"]);
  assert.equal(want.status, 2);
  assert.equal(got.status, 2);
  assert.equal(got.stderr, want.stderr);
});

test("a document that is not a scenario exits 2 naming the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "kms-share-cli-"));
  const bad = join(dir, "bad.json");
  writeFileSync(bad, '{"version": 1, "steps": [{"caller": "x"}]}');
  const [want, got] = both(["run", bad]);
  assert.equal(want.status, 2);
  assert.equal(got.status, 2);
  assert.equal(got.stderr, want.stderr);
});

test("a missing file and wrong usage exit 2", () => {
  const missing = spawnSync(process.execPath, [cli, "run", "/nonexistent.json"], { encoding: "utf8" });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^kms-share: cannot read `\/nonexistent.json`/);
  const usage = spawnSync(process.execPath, [cli, "frobnicate"], { encoding: "utf8" });
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /usage:/);
});

test("--help and --version print to stdout and exit 0, as the native CLI does", () => {
  for (const flag of ["--help", "-h", "help"]) {
    const got = spawnSync(process.execPath, [cli, flag], { encoding: "utf8" });
    assert.equal(got.status, 0, flag);
    assert.equal(got.stderr, "");
    assert.match(got.stdout, /^usage:\n  kms-share run SCENARIO.json/);
  }
  const [want, got] = both(["--version"]);
  assert.equal(got.status, 0);
  assert.equal(got.stdout, want.stdout);
  assert.match(got.stdout, /^kms-share \d+\.\d+\.\d+\n$/);
  const migrate = spawnSync(process.execPath, [cli, "migrate", "x.json"], { encoding: "utf8" });
  assert.equal(migrate.status, 2);
  assert.match(migrate.stderr, /native `kms-share` and in `python -m kms_share`/);
});

test("a failed expectation exits 1", () => {
  const dir = mkdtempSync(join(tmpdir(), "kms-share-cli-"));
  const doc = join(dir, "fails.json");
  writeFileSync(
    doc,
    JSON.stringify({
      version: 1,
      seed: 1,
      steps: [{ caller: "acs:ram::1000000000000001:root", action: "CreateFolder", params: { FolderName: "x" }, expect: { ok: true } }],
    }),
  );
  const got = same(["run", doc]);
  assert.equal(got.status, 1);
  assert.equal(JSON.parse(got.stdout).passed, false);
});
