// End-to-end test of the trunk-built app in headless Chromium (playwright-core, Debian chromium).
// Serves dist/ on a free loopback port, loads the page, presses Step and Run, checks what changes,
// fails on any console error, and saves screenshots under target/.
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { test, before, after } from 'node:test';

const root = path.resolve(import.meta.dirname, '..', '..');
const dist = path.join(root, 'dist');
const outDir = path.join(root, 'target', 'e2e');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

let server, browser, base;
before(async () => {
  assert.ok(fs.existsSync(path.join(dist, 'index.html')), 'dist/ is missing: run trunk build first');
  fs.mkdirSync(outDir, { recursive: true });
  server = http.createServer((req, res) => {
    const p = path.join(dist, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const f = fs.existsSync(p) && fs.statSync(p).isFile() ? p : path.join(dist, 'index.html');
    res.writeHead(200, { 'content-type': types[path.extname(f)] || 'application/octet-stream' });
    fs.createReadStream(f).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'], // playwright makes its own fresh profile dir
  });
});
after(async () => { await browser?.close(); server?.close(); });

async function openApp() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base);
  await page.getByRole('button', { name: 'Step', exact: true }).waitFor({ timeout: 20000 });
  return { page, errors };
}
const rip = (page) => page.locator('tr[data-reg="rip"] td').innerText();

test('Step advances RIP and highlights the new instruction', async () => {
  const { page, errors } = await openApp();
  assert.equal(await rip(page), '0x0000000000100000');
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('tr[data-reg="rip"] td').innerText !== '0x0000000000100000');
  const after = await rip(page);
  assert.equal(after, '0x0000000000100004', 'mov dx, 0xe9 is 4 bytes long');
  assert.match(await page.locator('tr.current').innerText(), /0x100004/);
  assert.match(await page.locator('tr[data-reg="rdx"]').getAttribute('class'), /changed/);
  await page.screenshot({ path: path.join(outDir, 'after-step.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('Run executes to the debug exit and shows the console text', async () => {
  const { page, errors } = await openApp();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit' }).waitFor({ timeout: 20000 });
  assert.equal(await page.getByTestId('console').textContent(), 'ok\n');
  assert.ok(await page.getByRole('button', { name: 'Step', exact: true }).isDisabled());
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('tr[data-reg="rip"] td').innerText === '0x0000000000100000');
  assert.equal(await page.getByTestId('console').textContent(), '');
  await page.screenshot({ path: path.join(outDir, 'after-run-reset.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('Export and import a checkpoint; a corrupt file is refused and nothing is lost', async () => {
  const { page, errors } = await openApp();
  const step = page.getByRole('button', { name: 'Step', exact: true });
  for (let i = 0; i < 3; i++) await step.click();
  await page.getByTestId('steps').filter({ hasText: 'steps: 3' }).waitFor();
  const ripAt3 = await rip(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export checkpoint' }).click()]);
  const saved = path.join(outDir, 'exported-checkpoint.nsc');
  await download.saveAs(saved);
  const file = fs.readFileSync(saved);
  assert.deepEqual([...file.subarray(0, 8)], [0x89, 0x4e, 0x53, 0x43, 0x0d, 0x0a, 0x1a, 0x0a], 'the v2 magic');
  assert.equal(file.readUInt16LE(8), 2, 'format version 2');
  assert.ok(file.length < 16 * 1024, `a small file (${file.length} bytes)`);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit' }).waitFor();
  // A corrupt file: refused with a message, the finished machine stays as it is.
  const bad = path.join(outDir, 'corrupt-checkpoint.nsc');
  const corrupt = Buffer.from(file);
  corrupt[corrupt.length - 1] ^= 1;
  fs.writeFileSync(bad, corrupt);
  await page.getByTestId('import').setInputFiles(bad);
  await page.getByTestId('checkpoint-message').filter({ hasText: 'import refused' }).waitFor();
  assert.match(await page.getByTestId('checkpoint-message').innerText(), /checksum mismatch/);
  assert.match(await page.getByTestId('status').innerText(), /debug-exit/);
  // The exported file: back to step 3, and the run continues to the same end.
  await page.getByTestId('import').setInputFiles(saved);
  await page.getByTestId('checkpoint-message').filter({ hasText: 'imported a bare checkpoint at step 3' }).waitFor();
  assert.equal(await rip(page), ripAt3);
  assert.equal(await page.getByTestId('console').textContent(), 'o', 'three steps: mov dx, mov al, out');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit, code 0' }).waitFor();
  assert.equal(await page.getByTestId('console').textContent(), 'ok\n');
  assert.match(await page.getByTestId('steps').innerText(), /steps: 19/);
  assert.deepEqual(errors, []);
});

test('Editor: assembler errors at their line, autosave across reload, revert to the catalog', async () => {
  const { page, errors } = await openApp();
  const source = page.getByTestId('source');
  await source.fill('bits 64\norg 0x100000\n  mov rax, [\n  hlt\n');
  await page.getByRole('button', { name: 'Assemble & load' }).click();
  await page.getByTestId('asm-errors').waitFor();
  assert.match(await page.getByTestId('asm-errors').innerText(), /^line 3, column \d+: /);
  assert.equal(await page.locator('.gutter .bad').innerText(), '3');
  assert.equal(await rip(page), '0x0000000000100000', 'the last good program stays loaded');
  const hi = "bits 64\norg 0x100000\n  mov al, 'h'\n  out 0xe9, al\n  mov al, 'i'\n  out 0xe9, al\n  mov al, 7\n  out 0xf4, al\n";
  await source.fill(hi);
  await page.getByRole('button', { name: 'Assemble & load' }).click();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit, code 7' }).waitFor();
  assert.equal(await page.getByTestId('console').textContent(), 'hi');
  // Nothing lost on reload: the edit comes back from localStorage.
  await page.reload();
  await page.getByRole('button', { name: 'Step', exact: true }).waitFor();
  assert.equal(await page.getByTestId('source').inputValue(), hi);
  assert.match(await page.locator('.editor h2').innerText(), /edited, autosaved/);
  await page.getByRole('button', { name: 'Revert to catalog' }).click();
  assert.match(await page.getByTestId('source').inputValue(), /countdown/);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit, code 0' }).waitFor();
  assert.equal(await page.getByTestId('console').textContent(), 'ok\n');
  await page.screenshot({ path: path.join(outDir, 'editor.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('A long run shows its speed in steps and world switches per second', async () => {
  const { page, errors } = await openApp();
  const source = page.getByTestId('source');
  // 2 000 000 steps of a register loop: long enough for the browser clock to time it.
  await source.fill('bits 64\norg 0x100000\n  mov ecx, 1000000\n.l:\n  dec ecx\n  jnz .l\n  mov al, 0\n  out 0xf4, al\n');
  await page.getByRole('button', { name: 'Assemble & load' }).click();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit, code 0' }).waitFor({ timeout: 60000 });
  assert.match(await page.getByTestId('steps').innerText(), /2000003/);
  const rate = await page.getByTestId('rate').innerText();
  const m = rate.match(/^([\d.]+) ([kM]) steps\/s · 0 world switches\/s$/);
  assert.ok(m, rate);
  assert.ok(Number(m[1]) * (m[2] === 'M' ? 1e6 : 1e3) > 10000, `${rate}: a register loop runs faster than that`);
  await page.screenshot({ path: path.join(outDir, 'run-speed.png'), clip: { x: 0, y: 0, width: 1280, height: 80 } });
  assert.deepEqual(errors, []);
});

// ---- nested virtualization flows ------------------------------------------------------------

async function pickScenario(page, name) {
  const sel = page.getByTestId('scenario-select');
  const label = await sel.evaluate((s, n) => [...s.options].find((o) => o.text.startsWith(`${n} — `))?.text, name);
  assert.ok(label, `scenario ${name} is in the catalog`);
  await sel.selectOption({ label });
  await page.locator('header .program').filter({ hasText: `scenario: ${name} ` }).waitFor();
}
const switchRows = (page) => page.locator('[data-testid="switch-list"] tr[data-event]');
// "Run to next VMRUN/#VMEXIT", then wait until the trace grew and the run paused.
async function toSwitch(page) {
  const before = await switchRows(page).count();
  await page.getByRole('button', { name: 'Run to next VMRUN/#VMEXIT' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="switch-list"] tr[data-event]').length > n, before);
  await page.getByTestId('status').filter({ hasText: 'ready' }).waitFor();
}
const cellTexts = (loc) => loc.locator('td').allInnerTexts();

test('World switches step by step on bare: VMRUN, #VMEXIT(VMMCALL), VMCB changes, L2 registers, expectation', async () => {
  const { page, errors } = await openApp();
  await pickScenario(page, 'hello-vmrun');
  assert.equal(await page.getByTestId('model-select').inputValue(), 'bare', 'the scenario\'s first model');
  assert.match(await page.getByLabel('VMCB', { exact: true }).innerText(), /No VMCB yet/);
  await toSwitch(page);
  await switchRows(page).first().waitFor();
  assert.deepEqual((await cellTexts(switchRows(page).nth(0))).slice(1, 4), ['VMRUN', 'L1→L2', '']);
  assert.equal(await page.getByTestId('level').innerText(), 'L2');
  assert.equal(await page.locator('tr[data-reg="rax"] td.l1').innerText(), '0x0000000000200000', 'L1\'s RAX = the VMCB');
  assert.equal(await page.locator('tr[data-reg="rsp"] td.l2').innerText(), '0x0000000000380000', 'L2\'s RSP from the VMCB');
  assert.match(await page.getByTestId('vmcb-change').innerText(), /did not change VMCB/);
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await page.getByTestId('steps').filter({ hasText: /steps: \d+/ }).waitFor();
  await toSwitch(page);
  await page.locator('tr[data-event="1"]').waitFor();
  assert.deepEqual((await cellTexts(switchRows(page).nth(1))).slice(1, 4), ['#VMEXIT', 'L2→L1', '0x81 VMEXIT_VMMCALL']);
  assert.equal(await page.getByTestId('level').innerText(), 'L1');
  // The VMCB panel highlights what the #VMEXIT wrote.
  const exitRow = page.locator('[data-testid="vmcb-fields"] tr[data-field="exit_code"]');
  assert.match(await exitRow.getAttribute('class'), /changed/);
  assert.deepEqual((await cellTexts(exitRow)), ['0x070', 'exit_code', '0x0000000000000081', 'VMEXIT_VMMCALL']);
  assert.doesNotMatch(await page.locator('[data-testid="vmcb-fields"] tr[data-field="asid"]').getAttribute('class') ?? '', /changed/);
  assert.match(await page.getByTestId('vmcb-change').innerText(), /#VMEXIT L2→L1 0x81 VMEXIT_VMMCALL at step \d+/);
  await page.getByTestId('vmcb-raw-toggle').check();
  const raw = page.getByTestId('vmcb-raw');
  assert.equal(await raw.locator('tr').count(), 256, 'a 4 KiB page in 16-byte rows');
  assert.equal(await raw.locator('tr').nth(7).locator('mark').first().innerText(), '81 ', 'EXITCODE at 0x070');
  await page.getByTestId('vmcb-raw-toggle').uncheck();
  // The trace entry's detail lists the fields the switch changed.
  await page.locator('tr[data-event="1"]').click();
  const detail = page.getByTestId('switch-detail');
  assert.match(await detail.innerText(), /event #1: #VMEXIT L2→L1 0x81 VMEXIT_VMMCALL/);
  assert.match(await detail.innerText(), /VMCB exit_code: 0x0000000000000000 → 0x0000000000000081/);
  await page.screenshot({ path: path.join(outDir, 'world-switch-bare.png'), fullPage: true });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit, code 0' }).waitFor();
  assert.equal(await page.getByTestId('verdict').innerText(), '✓ the run matched the expectation');
  assert.equal(await page.getByTestId('console').textContent(), 'L2\nL1: L2 exited with VMMCALL\n');
  // The run's speed stays shown after it ended (a run this short may beat the clock's resolution).
  assert.match(await page.getByTestId('rate').innerText(),
    /^([\d.]+ [kM]? ?steps\/s · [\d.]+ [kM]? ?world switches\/s|\d+ steps · \d+ world switches in (under )?[\d.]+ ms)$/);
  assert.deepEqual(errors, []);
});

test('Model selector: kvm-merged runs L1 under L0; vmcb01/vmcb02; a kvm checkpoint restores as kvm', async () => {
  const { page, errors } = await openApp();
  await pickScenario(page, 'hello-vmrun');
  await page.getByTestId('model-select').selectOption('kvm-merged');
  await page.locator('header .program').filter({ hasText: 'model: kvm-merged' }).waitFor();
  await toSwitch(page);
  await switchRows(page).first().waitFor();
  assert.deepEqual((await cellTexts(switchRows(page).nth(0))).slice(1, 3), ['#VMEXIT', 'L1→L0'], 'L1\'s WRMSR(EFER) exits to L0');
  // On to L1's VMRUN: L0 emulates it (#VMEXIT L1→L0 VMRUN, then VMRUN L1→L2).
  while ((await page.getByTestId('level').innerText()) !== 'L2') await toSwitch(page);
  const n = await switchRows(page).count();
  assert.deepEqual((await cellTexts(switchRows(page).nth(n - 2))).slice(1, 4), ['#VMEXIT', 'L1→L0', '0x80 VMEXIT_VMRUN']);
  assert.deepEqual((await cellTexts(switchRows(page).nth(n - 1))).slice(1, 3), ['VMRUN', 'L1→L2']);
  const options = await page.getByTestId('vmcb-select').locator('option').allInnerTexts();
  assert.deepEqual(options.map((o) => o.split(' ')[0]), ['vmcb12', 'vmcb01', 'vmcb02']);
  await page.getByTestId('vmcb-select').selectOption({ index: 2 });
  assert.match(await page.getByTestId('vmcb-change').innerText(), /changed by #VMEXIT L1→L0 0x80 VMEXIT_VMRUN \+ VMRUN L1→L2/);
  assert.match(await page.locator('[data-testid="vmcb-fields"] tr[data-field="nested_cr3"]').getAttribute('class'), /changed/, 'L0 built vmcb02 with its shadow NPT');
  // The page walk of L2 under L0 is 2-D: nested sub-walks through the shadow NPT.
  const walk = page.getByLabel('Page walk');
  assert.match(await walk.locator('h2').innerText(), /\(L2\)/);
  assert.ok(await walk.locator('tr.nested').count() > 0);
  assert.match(await walk.getByTestId('provenance').innerText(), /Table 15-19/);
  const steps = Number((await page.getByTestId('steps').innerText()).replace('steps: ', ''));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export checkpoint' }).click()]);
  const saved = path.join(outDir, 'kvm-checkpoint.nsc');
  await download.saveAs(saved);
  assert.equal(fs.readFileSync(saved).readUInt16LE(8), 2, 'a v2 file');
  // Its model and L0 state are checked below: it restores as kvm-merged, in L2.
  await page.screenshot({ path: path.join(outDir, 'kvm-l2.png'), fullPage: true });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit, code 0' }).waitFor();
  assert.equal(await page.getByTestId('verdict').innerText(), '✓ the run matched the expectation');
  const endSteps = await page.getByTestId('steps').innerText();
  // Back to bare, then import the kvm checkpoint: it restores as kvm-merged, in L2.
  await page.getByTestId('model-select').selectOption('bare');
  await page.locator('header .program').filter({ hasText: 'model: bare' }).waitFor();
  await page.getByTestId('import').setInputFiles(saved);
  await page.getByTestId('checkpoint-message').filter({ hasText: `imported a kvm-merged checkpoint at step ${steps}` }).waitFor();
  assert.equal(await page.getByTestId('model-select').inputValue(), 'kvm-merged');
  assert.equal(await page.getByTestId('level').innerText(), 'L2');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit, code 0' }).waitFor();
  assert.equal(await page.getByTestId('steps').innerText(), endSteps, 'the resumed run ends at the same step');
  assert.equal(await page.getByTestId('verdict').innerText(), '✓ the run matched the expectation');
  assert.deepEqual(errors, []);
});

test('A VMRUN that fails a consistency check is explained; the edited run is compared with a caveat', async () => {
  const { page, errors } = await openApp();
  await pickScenario(page, 'hello-vmrun');
  const source = page.getByTestId('source');
  const text = await source.inputValue();
  await source.fill(text.replace('mov dword [VMCB + 0x058], 1', 'mov dword [VMCB + 0x058], 0'));
  await page.getByRole('button', { name: 'Assemble & load' }).click();
  await page.getByTestId('checkpoint-message').filter({ hasText: 'assembled and loaded' }).waitFor();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit, code 1' }).waitFor();
  const bad = page.locator('[data-testid="switch-list"] tr.invalid');
  assert.equal(await bad.count(), 1);
  assert.match((await cellTexts(bad))[3], /^-1 VMEXIT_INVALID$/);
  await bad.click();
  assert.match(await page.getByTestId('failed-check').innerText(), /^VMRUN failed the consistency check \S+.* \(APM [\d.]+.*\): .*ASID/i);
  assert.match(await page.getByTestId('verdict').innerText(), /differs/);
  assert.match(await page.getByTestId('caveat').innerText(), /program differs from the scenario's source/);
  await page.screenshot({ path: path.join(outDir, 'vmexit-invalid.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('Page walk: RIP by default, another address and access kind, a fault shown as such', async () => {
  const { page, errors } = await openApp();
  const walk = page.getByLabel('Page walk');
  assert.equal(await walk.getByTestId('walk-addr').inputValue(), '0x100000');
  assert.deepEqual(await walk.locator('tr.guest td:first-child').allInnerTexts(), ['PML4E', 'PDPTE']);
  assert.match(await walk.locator('tr.guest[data-level="3"] td.bits').innerText(), /^P RW us pwt pcd a d PS pat nx → 0x0$/);
  assert.equal(await walk.locator('tr[data-step="result"] td').innerText(), 'WB');
  assert.match(await walk.locator('tr[data-step="PAT"] td').innerText(), /PAT\[0\] = 0x06 → WB/);
  assert.match(await walk.locator('tr[data-step="effective"] td').innerText(), /Table 15-20: PAT WB × MTRR WB = WB/);
  await walk.getByTestId('walk-addr').fill('0x123456789000');
  await walk.getByTestId('walk-addr').press('Enter');
  await walk.getByTestId('walk-access').selectOption('write');
  await walk.getByTestId('walk-fault').waitFor();
  assert.match(await walk.getByTestId('walk-fault').innerText(), /#PF, error code 0x2 \(W\)/);
  await walk.getByRole('button', { name: 'Follow RIP' }).click();
  assert.equal(await walk.getByTestId('walk-addr').inputValue(), '0x100000');
  assert.deepEqual(errors, []);
});

test('Compare view and PAT layers on the seed\'s second problem', async () => {
  const { page, errors } = await openApp();
  await pickScenario(page, 'problem2-l2-pat-msr');
  const cmp = page.getByRole('region', { name: 'Compare' });
  await cmp.getByLabel('Second model').selectOption('kvm-legacy');
  await cmp.getByRole('button', { name: 'Compare', exact: true }).click();
  const result = cmp.getByTestId('compare-result');
  await result.waitFor();
  // Legacy KVM gives L2 L1's PAT: the first difference is an L2 RDMSR (reference §9.2).
  assert.match(await result.innerText(), /First divergence at step \d+ — L2 at 0x[0-9a-f]+: rdmsr/);
  assert.ok((await cmp.locator('tr.differs').count()) >= 1);
  await cmp.getByLabel('Second model').selectOption('kvm-merged');
  await cmp.getByRole('button', { name: 'Compare', exact: true }).click();
  await cmp.getByTestId('compare-result').filter({ hasText: 'agree on all' }).waitFor();
  // PAT layers while L2 runs under kvm-merged (hello-vmrun: L2 runs after three world switches).
  await pickScenario(page, 'hello-vmrun');
  await page.getByTestId('model-select').selectOption('kvm-merged');
  const layers = page.getByRole('region', { name: 'PAT layers' });
  assert.match(await layers.getByTestId('pat-layers-none').innerText(), /L2 is not running/);
  for (let i = 0; i < 10 && !(await layers.locator('tr[data-layer="L0 PAT"]').count()); i++) {
    await toSwitch(page);
  }
  assert.equal(await layers.locator('tr[data-layer]').count(), 3);
  // hello-vmrun runs L2 without nested paging: L1's PAT layer does not apply (§8.3).
  assert.match(await layers.locator('tr[data-layer="L1 PAT"]').innerText(), /not in this model/);
  assert.match(await layers.locator('tr[data-layer="L0 PAT"] .memtype').innerText(), /^WB$/);
  assert.match(await layers.getByTestId('pat-verdict').innerText(), /this model: /);
  await page.screenshot({ path: path.join(outDir, 'compare-pat-layers.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
