// Browser tests of the simulator: Playwright (playwright-core) driving Debian's
// Chromium against the page served by serve.mjs, the same server `make demo` runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, '../../artifacts/web-demo');
mkdirSync(shots, { recursive: true });
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server;
let base;
let browser;

before(async () => {
  server = spawn(process.execPath, [join(here, '../serve.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error('the server did not start in 10 s')), 10_000);
    server.stdout.on('data', (d) => {
      const m = /(http:\/\/[^\s]+)/.exec(String(d));
      if (m) { clearTimeout(t); ok(m[1]); }
    });
    server.on('exit', (c) => fail(new Error(`the server exited with ${c}`)));
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

async function open() {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  return { page, errors };
}

const cell = (page, identity, resource, action) =>
  page.locator(`td.cell[data-identity="${identity}"][data-resource="${resource}"][data-action="${action}"]`);

const A_ROOT = 'acs:ram::1000000000000002:root';
const BOB = 'acs:ram::1000000000000003:user/bob';
const ALICE = 'acs:ram::1000000000000003:user/alice';

test('the default story renders: directory, instance, quota, matrix', async () => {
  const { page, errors } = await open();
  await assert.doesNotReject(page.getByTestId('directory').getByText('dept-b (1000000000000003)').waitFor());
  assert.equal(await page.getByTestId('mode').textContent(), 'Joint');
  assert.equal(await page.getByTestId('quota-used').textContent(), '2');
  assert.match(await page.getByTestId('quota-admitted').textContent(), /first come first served: dept-b \(1000000000000003\)$/);
  assert.equal(await page.getByTestId('matrix-mode').textContent(), 'Joint ownership');
  assert.ok((await page.getByTestId('cell').count()) > 20);
  assert.equal(await cell(page, A_ROOT, 'key-b1', 'kms:Encrypt').getAttribute('data-effect'), 'Allow');
  // The footer's rule ids lead to the list of rules, served beside the page.
  const rules = await page.request.get(new URL(await page.getByTestId('rules-link').getAttribute('href'), base).href);
  assert.equal(rules.status(), 200);
  assert.match(await rules.text(), /\| KI-4 \| A principal that would exceed the quota fails for that principal/);
  await page.screenshot({ path: join(shots, '01-default-story.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('switching Joint to Independent changes the matrix (SM-2)', async () => {
  const { page } = await open();
  page.once('dialog', (d) => d.accept());
  await page.getByTestId('switch-mode').click();
  await page.getByTestId('matrix-mode').getByText('Independent ownership').waitFor();
  assert.equal(await page.getByTestId('mode').textContent(), 'Independent');
  // The owner no longer uses the principal's key; the principal still does.
  assert.equal(await cell(page, A_ROOT, 'key-b1', 'kms:Encrypt').getAttribute('data-effect'), 'Deny');
  assert.equal(await cell(page, 'acs:ram::1000000000000003:root', 'key-b1', 'kms:Encrypt').getAttribute('data-effect'), 'Allow');
  assert.equal(await page.getByTestId('switch-mode').count(), 0, 'Independent never switches back');
  await cell(page, A_ROOT, 'key-b1', 'kms:Encrypt').click();
  assert.equal(await page.getByTestId('check-ownership').getAttribute('data-outcome'), 'failed');
  await page.screenshot({ path: join(shots, '02-independent-mode.png'), fullPage: true });
  await page.close();
});

test('a denied call shows the failing check and the fix', async () => {
  const { page } = await open();
  await page.getByTestId('call-caller').selectOption(BOB);
  await page.getByTestId('call-action').selectOption('kms:Encrypt');
  await page.getByTestId('call-resource').selectOption('key-b1');
  await page.getByTestId('call-explain').click();
  assert.equal(await page.getByTestId('why-effect').textContent(), 'Deny');
  assert.equal(await page.getByTestId('check-sharing').getAttribute('data-outcome'), 'passed');
  assert.equal(await page.getByTestId('check-ramPolicy').getAttribute('data-outcome'), 'failed');
  assert.equal(await page.getByTestId('check-ownership').getAttribute('data-outcome'), 'notReached');
  assert.match(await page.getByTestId('why-fix').textContent(), /grant kms:Encrypt on acs:kms:cn-hangzhou:1000000000000003:key\/key-b1 to user bob/);
  await page.screenshot({ path: join(shots, '03-denied-call.png'), fullPage: true });
  await page.close();
});

test('a what-if preview changes nothing until applied (RS-5)', async () => {
  const { page } = await open();
  const label = 'Add kst-depta to existing share platform-tools (RS-5)';
  await page.getByTestId('whatif-kind').selectOption({ label });
  await page.getByTestId('whatif-preview').click();
  assert.match(await page.getByTestId('whatif-quota').textContent(), /Quota of kst-depta: 2 → 4 of 4/);
  assert.match(await page.getByTestId('whatif-access').textContent(), /platform-ci \(1000000000000004\) gains access/);
  assert.match(await page.getByTestId('whatif-access').textContent(), /analytics \(1000000000000005\) gains access/);
  assert.equal(await page.getByTestId('quota-used').textContent(), '2', 'the preview did not change the state');
  await page.screenshot({ path: join(shots, '04-what-if-preview.png'), fullPage: true });
  await page.getByTestId('whatif-apply').click();
  await page.getByTestId('quota-used').getByText('4').waitFor();
  // KI-4: the accounts gained in one call join the quota in their join order, after dept-b.
  assert.match(await page.getByTestId('quota-admitted').textContent(), /dept-b \(1000000000000003\), platform-ci \(1000000000000004\), analytics \(1000000000000005\)$/);
  await page.close();
});

test('importing a bad document shows the error next to the input', async () => {
  const { page, errors } = await open();
  await page.getByTestId('import-text').fill('{"version": 1, "steps": [');
  await page.getByTestId('import-run').click();
  assert.match(await page.getByTestId('import-error').textContent(), /InvalidParameter: the document is not valid JSON/);
  await page.getByTestId('import-text').fill('{"version": 3, "steps": []}');
  await page.getByTestId('import-run').click();
  assert.match(await page.getByTestId('import-error').textContent(), /InvalidParameter.*unsupported scenario version 3/);
  await page.getByTestId('import-text').fill('{"version": 1, "steps": [{"caller": "nobody", "action": "CreateFolder"}]}');
  await page.getByTestId('import-run').click();
  assert.match(await page.getByTestId('import-ok').textContent(), /Ran 1 step\(s\): 1 error\(s\)/);
  assert.ok((await page.getByTestId('directory').textContent()).length > 0, 'the page is not blank');
  await page.screenshot({ path: join(shots, '05-import-error.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the crypto playground encrypts, decrypts and shows a denial', async () => {
  const { page } = await open();
  await page.getByTestId('crypto-caller').selectOption(ALICE);
  await page.getByTestId('crypto-key').selectOption('key-b1');
  await page.getByTestId('crypto-text').fill('shared secret');
  await page.getByTestId('crypto-encrypt').click();
  await page.getByTestId('crypto-ok').waitFor();
  await page.getByTestId('crypto-decrypt').click();
  assert.match(await page.getByTestId('crypto-out').textContent(), /shared secret/);
  await page.getByTestId('crypto-key').selectOption('key-a1');
  await page.getByTestId('crypto-encrypt').click();
  assert.match(await page.getByTestId('crypto-error').textContent(), /AccessDenied \(SM-3\)/);
  await page.getByTestId('audit-verify').click();
  assert.match(await page.getByTestId('audit-status').textContent(), /Chain intact/);
  await page.screenshot({ path: join(shots, '06-crypto.png'), fullPage: true });
  await page.close();
});

test('an imported organization shows what it could not decide (SM-1, RAM-1)', async () => {
  const { page, errors } = await open();
  const imported = readFileSync(join(here, '../../tests/import/example-state.json'), 'utf8');
  await page.getByTestId('import-text').fill(imported);
  await page.getByTestId('import-run').click();
  assert.match(await page.getByTestId('import-ok').textContent(),
    /State loaded.*1 part\(s\) of the organization could not be read and 1 instance\(s\) have an unknown sharing mode/);
  await page.getByTestId('instance-select').selectOption('kst-lab');
  const undecided = cell(page, A_ROOT, 'key-blab', 'kms:Encrypt');
  assert.equal(await undecided.getAttribute('data-effect'), 'Undetermined');
  assert.equal(await undecided.textContent(), '?');
  assert.equal(await cell(page, 'acs:ram::1000000000000003:root', 'key-blab', 'kms:Encrypt').getAttribute('data-effect'), 'Allow');
  await undecided.click();
  assert.equal(await page.getByTestId('why-effect').textContent(), 'Undetermined');
  assert.equal(await page.getByTestId('check-ownership').getAttribute('data-outcome'), 'undetermined');
  assert.match(await page.getByTestId('why-fix').textContent(), /kms:SetInstanceSharingMode/);
  await page.screenshot({ path: join(shots, '07-imported-undetermined.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
