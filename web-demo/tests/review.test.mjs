// The review report (`kms-share review`) in a real browser: it renders, names each finding
// with its rule, and draws the quota chart. Issue "Import a real organization and review it".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const cli = process.env.KMS_SHARE_CLI ?? join(here, '../../target/debug/kms-share');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => { await browser?.close(); });

test('the review report renders and names every finding of the example', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'kms-share-review-')), 'review.html');
  const json = JSON.parse(execFileSync(cli, ['review', join(here, '../../tests/review/findings.json'), '--html', out], { encoding: 'utf8' }));
  assert.deepEqual(json.findings.map((f) => f.rule), ['KI-4', 'KI-6', 'KI-3', 'RS-7', 'PM', 'KI-2', 'RS-4', 'PM']);
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(out).href);
  assert.equal(await page.getByTestId('summary').innerText(), '3 instance(s), 8 finding(s): 1 error(s), 7 warning(s).');
  for (const [rule, n] of [['KI-2', 1], ['KI-3', 1], ['KI-4', 1], ['KI-6', 1], ['RS-4', 1], ['RS-7', 1], ['PM', 2]]) {
    assert.equal(await page.locator(`tr[data-rule="${rule}"]`).count(), n, rule);
  }
  assert.match(await page.locator('tr[data-rule="RS-7"]').innerText(), /key key-b1/);
  const chart = await page.getByTestId('quota-chart').boundingBox();
  assert.ok(chart && chart.width > 300 && chart.height > 30, 'the quota chart is drawn');
  // One pair of bars per account that reaches an instance: A (owner), B and C (principals).
  assert.deepEqual(await page.locator('[data-testid="access-chart"] rect[data-account]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-account'))),
    ['1000000000000002', '1000000000000003', '1000000000000004']);
  assert.deepEqual(await page.getByTestId('instance').allInnerTexts(), [
    'kst-csh owner 1000000000000004 · cn-shanghai · Enabled · not shared',
    'kst-depta owner 1000000000000002 · cn-hangzhou · Enabled · Joint',
    'kst-old owner 1000000000000002 · cn-hangzhou · Disabled · Joint',
  ]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the review of an imported organization names what could not be read and what is undetermined', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'kms-share-review-')), 'review.html');
  const json = JSON.parse(execFileSync(cli, ['review', join(here, '../../tests/import/example-state.json'), '--html', out], { encoding: 'utf8' }));
  assert.deepEqual(json.findings.filter((f) => f.severity === 'error').map((f) => [f.rule, f.subject]), [['AZ-3', '1000000000000004']]);
  const page = await browser.newPage();
  await page.goto(pathToFileURL(out).href);
  assert.match(await page.locator('tr[data-rule="AZ-3"]').innerText(), /could not read account 1000000000000004 at all/);
  assert.match(await page.locator('tr[data-rule="SM-1"]').innerText(), /sharing mode of instance kst-lab is unknown/);
  assert.deepEqual(await page.getByTestId('instance').allInnerTexts(), [
    'kst-depta owner 1000000000000002 · cn-hangzhou · Enabled · Joint',
    'kst-lab owner 1000000000000002 · cn-hangzhou · Enabled · Unknown',
  ]);
  assert.match(await page.locator('body').innerText(), /\+ 1 undetermined/);
  await page.close();
});
