// The official Node SDKs against `kms-share serve` (issue "kms-share serve", item 7): the
// data-plane story of the vendor's example with the old `@alicloud/kms20160120` (RPC v1
// signatures) and `@alicloud/openapi-core`'s `callApi` (ACS3), each with its own error type.
// Run by `make test-serve` (node --test); KMS_SHARE_CLI names the binary.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

import OpenApi, { $OpenApiUtil } from "@alicloud/openapi-core";
import * as dara from "@darabonba/typescript";
import Kms, * as $Kms from "@alicloud/kms20160120";

const here = dirname(fileURLToPath(import.meta.url));
const cli = process.env.KMS_SHARE_CLI ?? join(here, "../../../target/debug/kms-share");
const scenario = join(here, "../../scenarios/01-dept-a-shares-with-dept-b.json");
const OPERATOR = ["LTAInodeOperatorKey000", "node-operator-secret-0123456789"];
const DEPT_B = "1000000000000003";

let server;
let endpoint;
const keys = {};

function startServer() {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ALIBABA_CLOUD_ACCESS_KEY_ID: OPERATOR[0], ALIBABA_CLOUD_ACCESS_KEY_SECRET: OPERATOR[1] };
    for (const v of ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"]) delete env[v];
    const p = spawn(cli, ["serve", "--listen", "127.0.0.1:0", "--from", scenario], { env });
    const lines = createInterface({ input: p.stdout });
    lines.once("line", (line) => {
      const m = line.match(/listening on http:\/\/(\S+)/);
      m ? resolve([p, m[1]]) : reject(new Error(`unexpected banner: ${line}`));
    });
    p.once("exit", (code) => reject(new Error(`the server exited (${code})`)));
  });
}

/** A generic ACS3 client (`callApi` reaches every product's action). */
function openapi([ak, sk]) {
  return new OpenApi.default(
    new $OpenApiUtil.Config({ accessKeyId: ak, accessKeySecret: sk, endpoint, protocol: "http", regionId: "cn-hangzhou" }),
  );
}

function call(client, action, version, query) {
  const params = new $OpenApiUtil.Params({
    action,
    version,
    protocol: "HTTP",
    pathname: "/",
    method: "POST",
    authType: "AK",
    style: "RPC",
    reqBodyType: "formData",
    bodyType: "json",
  });
  return client.callApi(params, new $OpenApiUtil.OpenApiRequest({ query }), new dara.RuntimeOptions({})).then((r) => r.body);
}

/** The old-generation KMS client: RPC v1 (HMAC-SHA1) signatures only. */
function oldKms([ak, sk]) {
  return new Kms.default({ endpoint, accessKeyId: ak, accessKeySecret: sk, protocol: "http", regionId: "cn-hangzhou", type: "access_key" });
}

before(async () => {
  [server, endpoint] = await startServer();
  const op = openapi(OPERATOR);
  const b = (await call(op, "CreateAccountAccessKey", "2026-01-01", { AccountId: DEPT_B })).AccessKey;
  keys.b = [b.AccessKeyId, b.AccessKeySecret];
  const alice = (await call(openapi(keys.b), "CreateAccessKey", "2015-05-01", { UserName: "alice" })).AccessKey;
  assert.equal(alice.Status, "Active");
  keys.alice = [alice.AccessKeyId, alice.AccessKeySecret];
});

after(() => server?.kill("SIGKILL"));

test("alice encrypts and decrypts with Department B's key through the old KMS package (RPC v1)", async () => {
  const kms = oldKms(keys.alice);
  const plaintext = Buffer.from("hello from B, signed v1").toString("base64");
  const ct = await kms.encrypt(new $Kms.EncryptRequest({ keyId: "key-b1", plaintext }));
  assert.ok(ct.ciphertextBlob && ct.requestId);
  const pt = await kms.decrypt(new $Kms.DecryptRequest({ ciphertextBlob: ct.ciphertextBlob }));
  assert.equal(pt.plaintext, plaintext);
});

test("the old package's error is a plain Error whose code is the vendor code plus Error", async () => {
  await assert.rejects(oldKms(keys.alice).describeKey(new $Kms.DescribeKeyRequest({ keyId: "key-b1" })), (e) => {
    assert.equal(e.code, "Forbidden.NoPermissionError");
    assert.match(e.message, /code: 403/);
    return true;
  });
});

test("callApi (ACS3): Department B creates a key in the shared instance, alice encrypts by ARN", async () => {
  const meta = (await call(openapi(keys.b), "CreateKey", "2016-01-20", { DKMSInstanceId: "kst-depta" })).KeyMetadata;
  assert.equal(meta.Creator, DEPT_B);
  assert.equal(meta.DKMSInstanceId, "kst-depta");
  const plaintext = Buffer.from("hello, signed ACS3").toString("base64");
  const ct = await call(openapi(keys.alice), "Encrypt", "2016-01-20", { KeyId: meta.Arn, Plaintext: plaintext });
  const pt = await call(openapi(keys.alice), "Decrypt", "2016-01-20", { CiphertextBlob: ct.CiphertextBlob });
  assert.equal(pt.Plaintext, plaintext);
});

test("callApi (ACS3): a denial is a ClientError with the vendor's accessDeniedDetail", async () => {
  await assert.rejects(call(openapi(keys.alice), "ScheduleKeyDeletion", "2016-01-20", { KeyId: "key-b1", PendingWindowInDays: "7" }), (e) => {
    assert.equal(e.name, "ClientError");
    assert.equal(e.code, "Forbidden.NoPermission");
    assert.equal(e.statusCode, 403);
    assert.ok(e.requestId);
    assert.equal(e.accessDeniedDetail.AuthAction, "kms:ScheduleKeyDeletion");
    assert.equal(e.accessDeniedDetail.AuthPrincipalType, "SubUser");
    const why = JSON.parse(Buffer.from(e.accessDeniedDetail.EncodedDiagnosticMessage, "base64").toString());
    assert.equal(why.deniedBy, "ramPolicy");
    assert.match(why.fix, /grant kms:ScheduleKeyDeletion/);
    return true;
  });
});

test("a wrong secret fails closed in both signature schemes", async () => {
  const wrong = [keys.alice[0], keys.alice[1] + "x"];
  await assert.rejects(oldKms(wrong).encrypt(new $Kms.EncryptRequest({ keyId: "key-b1", plaintext: "aGk=" })), (e) => {
    assert.equal(e.code, "SignatureDoesNotMatchError");
    return true;
  });
  await assert.rejects(call(openapi(wrong), "Encrypt", "2016-01-20", { KeyId: "key-b1", Plaintext: "aGk=" }), (e) => {
    assert.equal(e.code, "SignatureDoesNotMatch");
    assert.equal(e.statusCode, 400);
    return true;
  });
});
