// The simulator's page served by `kms-share serve --web` (issue "kms-share serve", item 6):
// it shows the organization the server holds, with every signed call in the audit trail,
// and a denied call explains itself (the four checks and the fix) when clicked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const cli = process.env.KMS_SHARE_CLI ?? join(here, '../../target/debug/kms-share');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OPERATOR = ['LTAIpageOperatorKey0000', 'page-operator-secret-0123456789'];

let server;
let host;
let browser;

before(async () => {
  const env = { ...process.env, ALIBABA_CLOUD_ACCESS_KEY_ID: OPERATOR[0], ALIBABA_CLOUD_ACCESS_KEY_SECRET: OPERATOR[1] };
  server = spawn(cli, ['serve', '--listen', '127.0.0.1:0', '--web', join(here, '../dist'),
    '--from', join(here, '../../tests/scenarios/01-dept-a-shares-with-dept-b.json')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  host = await new Promise((ok, fail) => {
    createInterface({ input: server.stdout }).once('line', (l) => {
      const m = /listening on http:\/\/(\S+)/.exec(l);
      m ? ok(m[1]) : fail(new Error(`unexpected banner: ${l}`));
    });
    server.once('exit', (c) => fail(new Error(`the server exited with ${c}`)));
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGKILL');
});

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const pct = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** One RPC call signed with ACS3-HMAC-SHA256, as the SDKs sign it. */
function signedCall([ak, sk], action, version, query) {
  const headers = {
    host,
    'x-acs-action': action,
    'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': randomUUID(),
    'x-acs-version': version,
  };
  const q = Object.keys(query).sort().map((k) => `${pct(k)}=${pct(query[k])}`).join('&');
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', q, names.map((n) => `${n}:${headers[n]}\n`).join(''), names.join(';'), sha256('')].join('\n');
  const signature = createHmac('sha256', sk).update(`ACS3-HMAC-SHA256\n${sha256(canonical)}`).digest('hex');
  headers.authorization = `ACS3-HMAC-SHA256 Credential=${ak},SignedHeaders=${names.join(';')},Signature=${signature}`;
  return new Promise((ok, fail) => {
    const [hostname, port] = host.split(':');
    const req = request({ hostname, port, method: 'POST', path: `/?${q}`, headers }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => ok({ status: res.statusCode, body: JSON.parse(body) }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('the page shows the served organization and explains a denied SDK call', async () => {
  const denied = await signedCall(OPERATOR, 'Encrypt', '2016-01-20', { KeyId: 'key-b1', Plaintext: 'aGk=' });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.Code, 'Forbidden.NoPermission');

  const page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://${host}/`);
  await page.waitForSelector('body[data-live="true"]', { timeout: 20_000 });
  assert.match(await page.getByTestId('live').innerText(), /kms-share serve/);
  // The scenario's organization: Department B's account is in the directory.
  await page.getByTestId('directory').getByText('1000000000000003').first().waitFor();
  const entry = page.getByTestId('audit-denied').first();
  assert.match(await entry.innerText(), /Denied kms:Encrypt/);
  await entry.click();
  assert.equal(await page.getByTestId('why-effect').innerText(), 'Deny');
  assert.equal(await page.getByTestId('check-sharing').getAttribute('data-outcome'), 'failed');
  assert.match(await page.getByTestId('why-fix').innerText(), /ask the owner 1000000000000002/);

  // A call made after the page opened appears at the next refresh.
  await signedCall(OPERATOR, 'Decrypt', '2016-01-20', { CiphertextBlob: 'not-a-blob' });
  await page.waitForFunction(() => document.querySelector('[data-testid="audit"] li')?.textContent?.includes('kms:Decrypt'), null, { timeout: 10_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page is read-only over the network: only the state is served, no call is reachable without a signature', async () => {
  const res = await fetch(`http://${host}/kms-share/state`, { method: 'POST' });
  assert.notEqual(res.status, 200);
  const state = await (await fetch(`http://${host}/kms-share/state`)).json();
  assert.ok(state.keys && !JSON.stringify(state).includes('"material"'), 'the policy export carries no key material');
  const traversal = await fetch(`http://${host}/..%2f..%2fCargo.toml`);
  assert.equal(traversal.status, 404);
});
