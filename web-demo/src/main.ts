// The browser policy simulator: every view is computed by the engine (WebAssembly)
// in this page. This file only renders what the engine returns and turns clicks
// into engine calls; no policy, quota or ownership logic lives here.
import * as kms from './engine.js';
import type { Decision, AccessMatrix, Effect, StepResult, State, Step } from './engine.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el as T;
};
const esc = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);


let org: kms.Org;
let defaultStory: { seed?: number; start?: string; steps: Step[] } = { steps: [] };
let steps: Step[] = [];
let currentInstance = '';
let pendingWhatIf: Step[] | null = null;
/** Served by `kms-share serve --web`: the organization comes from the server, refreshed. */
let live = false;
let liveMark = '';

const FEATURE_LABEL: Record<string, string> = {
  instanceManagement: 'manage instance', createResources: 'create', keyManagement: 'manage',
  secretManagement: 'manage', backup: 'backup', cryptoOperations: 'use', secretValue: 'read value',
};

/** How a cell shows an effect: an undetermined one (an imported instance's unknown sharing mode) is neither ✓ nor ✗. */
const EFFECT_LOOK: Record<Effect, { cls: string; mark: string }> = {
  Allow: { cls: 'allow', mark: '✓' }, Deny: { cls: 'deny', mark: '✗' }, Undetermined: { cls: 'undetermined', mark: '?' },
};

function state(): State { return org.state(); }

function identities(): string[] {
  const s = state();
  const out: string[] = [];
  for (const acct of Object.keys(s.accounts ?? {})) {
    out.push(`acs:ram::${acct}:root`);
    const ram = s.ram?.[acct];
    for (const u of Object.keys(ram?.users ?? {})) out.push(`acs:ram::${acct}:user/${u}`);
    for (const r of Object.keys(ram?.roles ?? {})) out.push(`acs:ram::${acct}:role/${r}`);
  }
  return out;
}

function accountLabel(id: string): string {
  const a = state().accounts?.[id];
  return a?.name ? `${a.name} (${id})` : id;
}

function shortIdentity(id: string): string {
  const m = /^acs:ram::(\d+):(.*)$/.exec(id);
  if (!m) return id;
  const a = state().accounts?.[m[1]];
  return `${a?.name ?? m[1]}:${m[2]}`;
}

function fillSelect(sel: HTMLSelectElement, items: [string, string][], keep = true): void {
  const prev = sel.value;
  sel.innerHTML = items.map(([v, l]) => `<option value="${esc(v)}">${esc(l)}</option>`).join('');
  if (keep && items.some(([v]) => v === prev)) sel.value = prev;
}

// ---- views ----

function renderDirectory(): void {
  const s = state();
  const dir = s.directory;
  if (!dir) { $('directory').innerHTML = '<p class="hint">No resource directory yet.</p>'; return; }
  const principalOf = new Map<string, string[]>();
  for (const sh of Object.values(s.shares ?? {})) {
    if (sh.state !== 'Active') continue;
    for (const [p, a] of Object.entries(sh.principals)) {
      const tag = a.state === 'Failed' ? `${sh.id} failed` : sh.id;
      if (a.state === 'Associated' || a.state === 'Failed') principalOf.set(p, [...(principalOf.get(p) ?? []), tag]);
    }
  }
  const badges = (id: string) => (principalOf.get(id) ?? [])
    .map((t) => `<span class="badge ${t.endsWith('failed') ? 'fail' : ''}" title="principal of ${esc(t)}">${esc(t)}</span>`).join('');
  const owners = new Set(Object.values(s.instances ?? {}).map((i) => i.owner));
  const children = (parent: string | null) => Object.values(dir.folders).filter((f) => (f.parent ?? null) === parent);
  const members = (folder: string) => Object.values(dir.members).filter((m) => m.folder === folder);
  const folderHtml = (f: { id: string; name: string }): string => `<li><span class="folder">${esc(f.name)}</span> <span class="acct">${esc(f.id)}</span>${badges(f.id)}
    <ul>${children(f.id).map(folderHtml).join('')}${members(f.id).map((m) => `<li data-account="${esc(m.account)}"><span class="acct acct-item">${esc(accountLabel(m.account))}</span>${m.account === dir.managementAccount ? '<span class="badge">management</span>' : ''}${owners.has(m.account) ? '<span class="badge owner">instance owner</span>' : ''}${badges(m.account)}</li>`).join('')}</ul></li>`;
  const pending = Object.values(dir.invitations ?? {}).filter((i) => i.status === 'Pending');
  $('directory').innerHTML = `<div class="tree"><ul><li><span class="folder">${esc(dir.id)}</span> <span class="hint">enterprise ${esc(dir.enterpriseId)}</span>${badges(dir.id)}<ul>${children(null).map(folderHtml).join('')}</ul></li></ul></div>
    <p class="hint">Resource sharing: ${dir.sharingEnabled ? 'enabled' : 'not enabled'}${pending.length ? ` · ${pending.length} pending invitation(s)` : ''}</p>`;
}

function renderInstance(m: AccessMatrix | null): void {
  const s = state();
  const inst = s.instances?.[currentInstance];
  if (!inst || !m) { $('instance-info').innerHTML = '<p class="hint">No instance.</p>'; return; }
  const q = m.quota;
  const pct = (n: number) => (q.quota ? Math.min(100, (100 * n) / q.quota) : 0);
  const shares = Object.values(s.shares ?? {}).filter((sh) => sh.resources[currentInstance]);
  $('instance-info').innerHTML = `
    <div><b class="mono">${esc(inst.id)}</b> · ${esc(inst.kind)} · ${esc(inst.region)} · ${esc(inst.state)}</div>
    <div>Owner: <span class="acct">${esc(accountLabel(inst.owner))}</span></div>
    <div>Sharing mode: <b data-testid="mode">${esc(inst.sharingMode ?? 'not shared yet')}</b>
      ${inst.sharingMode === 'Joint' ? '<button id="switch-mode" data-testid="switch-mode" class="small" title="Joint to Independent is irreversible (SM-2)">Switch to Independent…</button>' : ''}</div>
    <div style="margin-top:8px">Access management quota: <b data-testid="quota-used">${q.used}</b> of <b>${q.quota}</b> used
      (<span title="accounts the instance is shared with">${q.accounts} account(s)</span> + <span title="attached VPCs">${q.vpcs} VPC(s)</span>, KI-3)</div>
    <div class="gauge" data-testid="quota-gauge"><div class="acc" style="width:${pct(q.accounts)}%"></div><div class="vpc" style="width:${pct(q.vpcs)}%"></div></div>
    ${q.admittedAccounts?.length ? `<div class="hint" data-testid="quota-admitted">Admitted, first come first served: ${q.admittedAccounts.map((a) => esc(accountLabel(a))).join(', ')}</div>` : ''}
    ${q.overQuotaAccounts?.length ? `<div class="error" data-testid="quota-waiting">Waiting for room in the quota, in order (KI-4): ${q.overQuotaAccounts.map((a) => esc(accountLabel(a))).join(', ')}</div>` : ''}
    <table style="margin-top:6px"><tr><th>share</th><th>principal</th><th>association</th></tr>
      ${shares.flatMap((sh) => Object.entries(sh.principals).map(([p, a]) => `<tr><td class="id">${esc(sh.id)}${sh.state !== 'Active' ? ` (${esc(sh.state)})` : ''}</td><td class="id">${esc(p)}</td><td title="${esc(a.reason ?? '')}">${esc(a.state)}${a.reason ? ' ⚠' : ''}</td></tr>`)).join('') || '<tr><td colspan="3">not shared</td></tr>'}
    </table>`;
  const btn = document.getElementById('switch-mode');
  btn?.addEventListener('click', () => {
    if (!confirm('Switch to Independent ownership? This cannot be undone (SM-2).')) return;
    call({ caller: `acs:ram::${inst.owner}:root`, action: 'kms:SetInstanceSharingMode', params: { InstanceId: inst.id, SharingMode: 'Independent' } });
  });
}

function renderMatrix(m: AccessMatrix | null): void {
  if (!m) { $('matrix').innerHTML = ''; $('matrix-mode').textContent = ''; return; }
  $('matrix-mode').textContent = `${m.sharingMode ?? 'not shared'} ownership`;
  const cols: { r: number; f: string }[] = [];
  m.resources.forEach((_res, ri) => {
    const feats = [...new Set(m.cells.filter((c) => c.resource === ri).map((c) => c.feature))];
    for (const f of feats) cols.push({ r: ri, f });
  });
  const cellAt = new Map(m.cells.map((c) => [`${c.identity}/${c.resource}/${c.feature}`, c]));
  const head1 = m.resources.map((res, ri) => {
    const n = cols.filter((c) => c.r === ri).length;
    const who = res.creator ? ` · by ${accountLabel(res.creator)}` : '';
    return `<th colspan="${n}" title="${esc(res.arn)}">${esc(res.kind)} ${esc(res.name)}<br><small>${esc(who)}</small></th>`;
  }).join('');
  const head2 = cols.map((c) => `<th>${esc(FEATURE_LABEL[c.f] ?? c.f)}</th>`).join('');
  const rows = m.identities.map((id, ii) => `<tr><td class="id" title="${esc(id.identity)}">${esc(shortIdentity(id.identity))} <span class="badge ${id.role === 'owner' ? 'owner' : ''}">${esc(id.role)}</span></td>${cols.map((c) => {
    const cell = cellAt.get(`${ii}/${c.r}/${c.f}`);
    if (!cell) return '<td></td>';
    const look = EFFECT_LOOK[cell.effect];
    const by = cell.deniedBy ?? cell.undeterminedBy;
    return `<td class="cell ${look.cls}" data-testid="cell" data-identity="${esc(id.identity)}" data-resource="${esc(m.resources[c.r].name)}" data-action="${esc(cell.action)}" data-effect="${esc(cell.effect)}" title="${esc(cell.action)}: ${esc(cell.effect)}${by ? ` by ${by}` : ''}">${look.mark}</td>`;
  }).join('')}</tr>`).join('');
  $('matrix').innerHTML = `<table><thead><tr><th rowspan="2">identity</th>${head1}</tr><tr>${head2}</tr></thead><tbody>${rows}</tbody></table>`;
  for (const td of $('matrix').querySelectorAll<HTMLTableCellElement>('td.cell')) {
    td.addEventListener('click', () => explain(td.dataset.identity ?? '', td.dataset.action ?? '', td.dataset.resource ?? ''));
  }
}

function renderDecision(d: Decision, title: string): void {
  $('why-title').textContent = title;
  $('why').innerHTML = `<div>Effect: <span class="effect ${esc(d.effect)}" data-testid="why-effect">${esc(d.effect)}</span>
      <span class="mono">${esc(shortIdentity(d.caller))} · ${esc(d.action)} · ${esc(d.resource)}</span></div>
    <ol class="checks">${d.checks.map((c) => `<li class="${esc(c.outcome)}" data-testid="check-${esc(c.check)}" data-outcome="${esc(c.outcome)}"><b>${esc(c.check.replace(/([A-Z])/g, ' $1'))}</b> — ${esc(c.outcome)} <span class="rule">${esc(c.rule)}</span><br>${esc(c.detail)}</li>`).join('')}</ol>
    ${d.effect !== 'Allow' ? `<div class="error" data-testid="why-message">${esc(d.message)}</div><div class="fix" data-testid="why-fix"><b>Fix:</b> ${esc(d.fix)}</div>` : ''}`;
}

function explain(identity: string, action: string, resource: string): void {
  try {
    renderDecision(org.explain({ caller: identity, action, resource }), `${action} on ${resource}`);
  } catch (e) {
    $('why').innerHTML = `<div class="error">${esc(errText(e))}</div>`;
  }
}

function renderAudit(): void {
  const ev = state().audit ?? [];
  $('audit').innerHTML = ev.slice(-60).reverse().map((e) => `<li value="${e.seq}"${e.outcome === 'Denied' ? ` class="clickable" data-seq="${e.seq}" data-testid="audit-denied" title="Why was it denied?"` : ''}><span class="${esc(e.outcome)}">${esc(e.outcome)}</span> ${esc(e.action)} <span class="hint">by ${esc(shortIdentity(e.caller))} ${esc(e.resource)}</span></li>`).join('');
}

/** A denied call of the audit trail, explained against the organization as it stands. */
function whyDenied(seq: number): void {
  const e = (state().audit ?? []).find((x) => x.seq === seq);
  if (!e) return;
  explain(e.caller, e.action, e.resource ?? '');
  $('why-title').textContent = `${e.action} on ${e.resource} (audit event ${e.seq})`;
}

function renderControls(m: AccessMatrix | null): void {
  const s = state();
  fillSelect($<HTMLSelectElement>('instance'), Object.keys(s.instances ?? {}).map((i) => [i, i]));
  const ids = identities().map((i): [string, string] => [i, shortIdentity(i)]);
  fillSelect($<HTMLSelectElement>('call-caller'), ids);
  fillSelect($<HTMLSelectElement>('crypto-caller'), ids);
  const actions = [...new Set(m?.cells.map((c) => c.action) ?? [])].concat(['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ScheduleKeyDeletion', 'kms:PutSecretValue']);
  fillSelect($<HTMLSelectElement>('call-action'), [...new Set(actions)].map((a) => [a, a]));
  fillSelect($<HTMLSelectElement>('call-resource'), (m?.resources ?? []).map((r) => [r.name, `${r.kind} ${r.name}`]));
  const keys = Object.values(s.keys ?? {}).filter((k) => k.instance === currentInstance);
  fillSelect($<HTMLSelectElement>('crypto-key'), keys.map((k) => [k.id, `${k.id} (by ${accountLabel(k.creator)})`]));
  fillSelect($<HTMLSelectElement>('whatif-kind'), whatIfOptions().map((o, i) => [String(i), o.label]));
}

function render(): void {
  const s = state();
  const instances = Object.keys(s.instances ?? {});
  if (!instances.includes(currentInstance)) currentInstance = instances[0] ?? '';
  let m: AccessMatrix | null = null;
  if (currentInstance) {
    try { m = org.accessMatrix(currentInstance); } catch (e) { showFatal(e); }
  }
  renderControls(m);
  $<HTMLSelectElement>('instance').value = currentInstance;
  renderDirectory();
  renderInstance(m);
  renderMatrix(m);
  renderAudit();
}

// ---- actions ----

function errText(e: unknown): string {
  const x = e as { code?: string; rule?: string; field?: string; message?: string };
  if (x && x.code) return `${x.code}${x.rule ? ` (${x.rule})` : ''}${x.field ? ` in ${x.field}` : ''}: ${x.message ?? ''}`;
  return String(e);
}

function call(step: Step): StepResult | null {
  try {
    const r = org.step(step);
    steps.push(step);
    if (r.decision) renderDecision(r.decision, `${step.action} by ${shortIdentity(step.caller)}`);
    else if (!r.ok && r.error) $('why').innerHTML = `<div class="error">${esc(errText(r.error))}</div>`;
    render();
    return r;
  } catch (e) {
    $('why').innerHTML = `<div class="error">${esc(errText(e))}</div>`;
    return null;
  }
}

interface WhatIfOption { label: string; steps: () => Step[] }

function whatIfOptions(): WhatIfOption[] {
  const s = state();
  const inst = s.instances?.[currentInstance];
  if (!inst) return [];
  const owner = `acs:ram::${inst.owner}:root`;
  const opts: WhatIfOption[] = [];
  const shares = Object.values(s.shares ?? {}).filter((sh) => sh.owner === inst.owner && sh.state === 'Active');
  for (const sh of shares.filter((x) => !x.resources[inst.id] || x.resources[inst.id].state !== 'Associated')) {
    opts.push({ label: `Add ${inst.id} to existing share ${sh.name} (RS-5)`, steps: () => [{ caller: owner, action: 'AssociateResourceShare', params: { ResourceShareId: sh.id, Resources: [inst.id] } }] });
  }
  const holding = shares.filter((x) => x.resources[inst.id]?.state === 'Associated');
  for (const f of Object.values(s.directory?.folders ?? {})) {
    if (!f.parent) continue;
    for (const sh of holding) {
      if (sh.principals[f.id]?.state === 'Associated') continue;
      opts.push({ label: `Add folder ${f.name} as principal of ${sh.name}`, steps: () => [{ caller: owner, action: 'AssociateResourceShare', params: { ResourceShareId: sh.id, Targets: [f.id] } }] });
    }
  }
  if (inst.sharingMode === 'Joint') {
    opts.push({ label: 'Switch Joint to Independent (SM-2)', steps: () => [{ caller: owner, action: 'kms:SetInstanceSharingMode', params: { InstanceId: inst.id, SharingMode: 'Independent' } }] });
  }
  opts.push({ label: `Raise the quota of ${inst.id} by 2`, steps: () => [{ caller: owner, action: 'kms:UpgradeInstance', params: { InstanceId: inst.id, Quota: inst.quota + 2 } }] });
  return opts;
}

function previewWhatIf(): void {
  const opt = whatIfOptions()[Number($<HTMLSelectElement>('whatif-kind').value)];
  if (!opt) return;
  const st = opt.steps();
  try {
    const diff = org.whatIf(st) as { Steps: { ok: boolean; error?: unknown }[]; Quota: { InstanceId: string; Before: { used: number; quota: number }; After: { used: number; quota: number } }[]; Access: { InstanceId: string; Gained: string[]; Lost: string[] }[]; Matrix: { Identity: string; Resource: string; Feature: string; Before: string; After: string }[] };
    const failed = diff.Steps.find((x) => !x.ok);
    pendingWhatIf = failed ? null : st;
    $<HTMLButtonElement>('whatif-apply').disabled = !!failed;
    $('whatif').innerHTML = `${failed ? `<div class="error" data-testid="whatif-error">${esc(errText(failed.error))}</div>` : ''}
      <div data-testid="whatif-quota">${diff.Quota.map((q) => `Quota of ${esc(q.InstanceId)}: ${q.Before.used} → <b>${q.After.used}</b> of ${q.After.quota}`).join('<br>') || 'Quota unchanged.'}</div>
      <div data-testid="whatif-access">${diff.Access.map((a) => `${a.Gained.map((g) => `<div class="diff-plus">+ ${esc(accountLabel(g))} gains access to ${esc(a.InstanceId)}</div>`).join('')}${a.Lost.map((g) => `<div class="diff-minus">− ${esc(accountLabel(g))} loses access to ${esc(a.InstanceId)}</div>`).join('')}`).join('') || 'No account gains or loses access.'}</div>
      <div data-testid="whatif-matrix">${diff.Matrix.length ? `<table><tr><th>identity</th><th>resource</th><th>feature</th><th>now</th><th>after</th></tr>${diff.Matrix.slice(0, 40).map((c) => `<tr><td class="id">${esc(shortIdentity(c.Identity))}</td><td class="id" title="${esc(c.Resource)}">${esc(c.Resource.split(':').pop())}</td><td>${esc(FEATURE_LABEL[c.Feature] ?? c.Feature)}</td><td class="${EFFECT_LOOK[c.Before as Effect].cls}">${esc(c.Before)}</td><td class="${EFFECT_LOOK[c.After as Effect].cls}">${esc(c.After)}</td></tr>`).join('')}</table>${diff.Matrix.length > 40 ? `<p class="hint">…and ${diff.Matrix.length - 40} more cells</p>` : ''}` : 'No matrix cell changes.'}</div>`;
  } catch (e) {
    $('whatif').innerHTML = `<div class="error" data-testid="whatif-error">${esc(errText(e))}</div>`;
  }
}

function applyWhatIf(): void {
  if (!pendingWhatIf) return;
  for (const s of pendingWhatIf) call(s);
  pendingWhatIf = null;
  $<HTMLButtonElement>('whatif-apply').disabled = true;
  $('whatif').innerHTML = '<p class="ok">Applied.</p>';
}

let lastBlob = '';
function crypto(kind: 'encrypt' | 'decrypt'): void {
  const caller = $<HTMLSelectElement>('crypto-caller').value;
  const key = $<HTMLSelectElement>('crypto-key').value;
  const text = $<HTMLInputElement>('crypto-text').value;
  const step: Step = kind === 'encrypt'
    ? { caller, action: 'kms:Encrypt', params: { KeyId: key, Plaintext: text } }
    : { caller, action: 'kms:Decrypt', params: { CiphertextBlob: lastBlob } };
  if (kind === 'decrypt' && !lastBlob) { $('crypto-out').innerHTML = '<p class="hint">Encrypt something first.</p>'; return; }
  const r = call(step);
  if (!r) return;
  const res = r.result as Record<string, unknown> | undefined;
  if (r.ok && kind === 'encrypt') lastBlob = String(res?.CiphertextBlob ?? '');
  $('crypto-out').innerHTML = r.ok
    ? `<div class="ok" data-testid="crypto-ok">${kind === 'encrypt' ? `Ciphertext (key version ${esc(res?.KeyVersionId)}):` : 'Plaintext:'}</div><div class="mono">${esc(kind === 'encrypt' ? lastBlob : res?.Plaintext)}</div>`
    : `<div class="error" data-testid="crypto-error">${esc(errText(r.error))}</div>${r.decision?.fix ? `<div class="fix"><b>Fix:</b> ${esc(r.decision.fix)}</div>` : ''}`;
}

function download(name: string, text: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  a.download = name;
  a.click();
  URL.revokeObjectURL(a.href);
}

function importText(text: string): void {
  const err = $('import-error');
  const ok = $('import-ok');
  err.hidden = true; ok.hidden = true;
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) {
    err.textContent = `InvalidParameter: the document is not valid JSON: ${(e as Error).message}`;
    err.hidden = false;
    return;
  }
  try {
    if (doc && typeof doc === 'object' && 'steps' in (doc as object)) {
      const { org: o, result } = kms.fromScenario(text);
      org = o;
      steps = ((doc as { steps: Step[] }).steps ?? []).slice();
      ok.textContent = `Ran ${result.stepsRun} step(s): ${result.errors} error(s), ${result.expectationsFailed} expectation(s) failed.`;
    } else {
      org.loadState(doc as State);
      steps = [];
      const st = state();
      const gaps = st.gaps?.length ?? 0;
      const unknown = Object.values(st.instances ?? {}).filter((i) => i.sharingMode === 'Unknown').length;
      ok.textContent = 'State loaded (decisions only: no key material).' + (gaps + unknown > 0
        ? ` It was imported: ${gaps} part(s) of the organization could not be read and ${unknown} instance(s) have an unknown sharing mode; the decisions that depend on them are undetermined (?).`
        : '');
    }
    ok.hidden = false;
    currentInstance = '';
    render();
  } catch (e) {
    err.textContent = errText(e);
    err.hidden = false;
  }
}

function showFatal(e: unknown): void {
  const f = $('fatal');
  f.innerHTML = `<div class="error">The simulator hit an error: ${esc(errText(e))}. Reset to start over.</div>`;
  f.hidden = false;
}

/** Where `kms-share serve --web` keeps the live organization (it adds this tag to the page). */
const liveUrl = document.querySelector<HTMLMetaElement>('meta[name="kms-share-live"]')?.content;

async function fetchLive(): Promise<State | null> {
  if (!liveUrl) return null;
  try {
    const r = await fetch(liveUrl, { cache: 'no-store' });
    return r.ok && (r.headers.get('content-type') ?? '').includes('json') ? ((await r.json()) as State) : null;
  } catch {
    return null;
  }
}

/** Load the server's organization when it changed (its audit trail grew or moved on). */
function loadLive(s: State): void {
  const ev = s.audit ?? [];
  const mark = `${ev.length}:${ev[ev.length - 1]?.hash ?? ''}`;
  if (mark === liveMark) return;
  liveMark = mark;
  org.loadState(s);
  steps = [];
  render();
}

function boot(): void {
  const { org: o } = kms.fromScenario(JSON.stringify(defaultStory));
  org = o;
  steps = defaultStory.steps.slice();
  currentInstance = '';
  render();
}

async function main(): Promise<void> {
  await kms.ready();
  const res = await fetch('default-story.json');
  if (!res.ok) throw new Error(`cannot load the default story: HTTP ${res.status}`);
  defaultStory = await res.json();
  $('instance').addEventListener('change', () => { currentInstance = $<HTMLSelectElement>('instance').value; render(); });
  $('call-explain').addEventListener('click', () => explain($<HTMLSelectElement>('call-caller').value, $<HTMLSelectElement>('call-action').value, $<HTMLSelectElement>('call-resource').value));
  $('whatif-preview').addEventListener('click', previewWhatIf);
  $('whatif-apply').addEventListener('click', applyWhatIf);
  $('crypto-encrypt').addEventListener('click', () => crypto('encrypt'));
  $('crypto-decrypt').addEventListener('click', () => crypto('decrypt'));
  $('audit-verify').addEventListener('click', () => {
    const r = org.step({ caller: identities()[0] ?? 'acs:ram::1000000000000001:root', action: 'VerifyAuditTrail' });
    const v = r.result as { Valid: boolean; Events: number; BrokenLink?: { seq: number; reason: string } };
    $('audit-status').innerHTML = v.Valid ? `<span class="ok">Chain intact: ${v.Events} events.</span>` : `<span class="error">Broken at event ${v.BrokenLink?.seq}: ${esc(v.BrokenLink?.reason)}</span>`;
  });
  $('export-state').addEventListener('click', () => download('kms-share-state.json', JSON.stringify(org.policyExport(), null, 2)));
  $('export-scenario').addEventListener('click', () => download('kms-share-scenario.json', JSON.stringify({ version: 1, name: 'exported from the simulator', seed: defaultStory.seed, start: defaultStory.start, steps }, null, 2)));
  $('reset').addEventListener('click', boot);
  $('import-run').addEventListener('click', () => importText($<HTMLTextAreaElement>('import-text').value));
  $<HTMLInputElement>('import-file').addEventListener('change', async (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) importText(await f.text());
  });
  $('audit').addEventListener('click', (ev) => {
    const li = (ev.target as HTMLElement).closest('li[data-seq]');
    if (li) whyDenied(Number(li.getAttribute('data-seq')));
  });
  boot();
  const served = await fetchLive();
  if (served) {
    live = true;
    const banner = $('live');
    banner.innerHTML = `<b>Live:</b> the organization <span class="mono">kms-share serve</span> holds at ${esc(location.host)}, with every SDK call in the audit trail; refreshed every 2 s. Click a denied call to see its four checks and the fix. Changes made in this page stay in this page until the next refresh.`;
    banner.hidden = false;
    loadLive(served);
    setInterval(async () => {
      const s = await fetchLive();
      if (s) loadLive(s);
    }, 2000);
  }
  document.body.dataset.ready = 'true';
  document.body.dataset.live = String(live);
}

main().catch(showFatal);
