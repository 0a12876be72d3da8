// End-to-end tests of the guided problems, the browser's save/restore, Compare in time slices,
// the memory-type grid, the in-app help and checkpoint import across scenarios, in headless
// Chromium (playwright-core) against dist/ (trunk build). Screenshots go to target/e2e/. The
// expected values are the programs' constants (seed problems: H = L1's PAT 0x0007040600070404,
// G = vmcb12 G_PAT 0x0606060606060606, G' = 0x0606060606060604), the APM and reference §9.7 /
// the memtype-matrix teaching table — not the app's own output.
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { test, before, after } from 'node:test';

const root = path.resolve(import.meta.dirname, '..', '..');
const dist = path.join(root, 'dist');
const outDir = path.join(root, 'target', 'e2e');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml' };

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
      '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); server?.close(); });

async function openApp({ query = '', scheme = 'dark' } = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: scheme });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base + query);
  await page.getByRole('button', { name: 'Step', exact: true }).waitFor({ timeout: 20000 });
  return { page, errors };
}
const tab = (page, name) => page.getByRole('tab', { name, exact: true }).click();
const steps = async (page) => Number((await page.getByTestId('steps').innerText()).replace(/\D/g, ''));

// [scenario, the difference to point at, value under the first model, under the second, panel]
const GUIDES = [
  // APM 15.25.4: G_PAT type 8 is reserved → VMRUN fails, EXITCODE = -1 (VMEXIT_INVALID).
  ['problem1-gpat-check', 'vmcb12.EXITCODE', '0xffffffffffffffff', null, 'VMCB'],
  // APM 15.25.2: L2's RDMSR PAT reads gPAT = G (EAX = low half); kvm-legacy gives L1's H.
  ['problem2-l2-pat-msr', 'rax', '0x6060606', '0x70404', 'PAT layers'],
  // #VMEXIT saves L2's gPAT G' into vmcb12.G_PAT; kvm-legacy leaves G there.
  ['problem3-writeback', 'vmcb12.G_PAT', '0x606060606060604', '0x606060606060606', 'VMCB'],
  // §9.7: merged restored into legacy loses L2's gPAT: L2 reads H instead of G'.
  ['problem4-checkpoint-cross-design', 'rax', '0x6060604', '0x70404', 'PAT layers'],
  ['problem4-checkpoint', 'rax', '0x6060604', '0x70404', 'PAT layers'],
];

for (const [scenario, what, a, b, panel] of GUIDES) {
  test(`What to look at: ${scenario} lands on its divergence (${what})`, async () => {
    const { page, errors } = await openApp({ query: `?scenario=${scenario}` });
    await tab(page, 'Scenario');
    await page.getByTestId('guide-start').click();
    const result = page.getByTestId('guide-result');
    await result.waitFor({ timeout: 120000 });
    const point = await page.getByTestId('guide-point').innerText();
    assert.ok(point.includes(what), point);
    assert.ok(point.includes(a), `${point} has ${a}`);
    if (b) assert.ok(point.includes(b), `${point} has ${b}`);
    assert.match(await page.locator('.guide-explain').innerText(), /\.\s.+\./s, 'two sentences');
    if (scenario.startsWith('problem4')) {
      assert.match(await page.getByTestId('guide-lost').innerText(), /lost: L2's gPAT/);
    }
    const where = await page.getByTestId('guide-where').innerText();
    const at = Number(where.match(/step (\d+)/)[1]);
    await page.screenshot({ path: path.join(outDir, `guide-${scenario}.png`) });
    // "Open … at step N+1": the workspace goes there under the second model, on the panel.
    await page.getByTestId('guide-show').click();
    await page.waitForFunction((n) => document.querySelector('[data-testid=steps]').innerText.replace(/\D/g, '') === String(n), at + 1, { timeout: 60000 });
    assert.equal(await page.getByRole('tab', { name: panel, exact: true }).getAttribute('aria-selected'), 'true');
    await page.screenshot({ path: path.join(outDir, `guide-${scenario}-panel.png`) });
    assert.deepEqual(errors, []);
  });
}

test('Problem 4 in the browser: the save/restore runs and the verdict says what was lost, consistently', async () => {
  // The scenario's expectations (reference §9.7 table): merged → legacy loses L2's gPAT; within
  // one design nothing is lost.
  for (const [scenario, model, lost] of [['problem4-checkpoint-cross-design', 'kvm-merged', "lost: L2's gPAT"], ['problem4-checkpoint', 'kvm-merged', 'nothing lost']]) {
    const { page, errors } = await openApp({ query: `?scenario=${scenario}&model=${model}` });
    await tab(page, 'Scenario');
    assert.match(await page.getByTestId('migrate-status').innerText(), /pending: save\/restore at step 20000/);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByTestId('status').filter({ hasText: 'debug-exit' }).waitFor({ timeout: 60000 });
    await tab(page, 'Scenario');
    const status = await page.getByTestId('migrate-status').innerText();
    assert.ok(status.includes(lost), status);
    const verdict = await page.getByTestId('verdict').innerText();
    assert.match(verdict, /✓ the run matched the expectation/, verdict);
    assert.doesNotMatch(verdict, /expected \[\], got \[\]/);
    await page.screenshot({ path: path.join(outDir, `problem4-browser-${scenario}.png`) });
    // Without the save/restore the verdict says so (it does not contradict itself).
    await page.getByTestId('migrate-on').uncheck();
    await page.getByTestId('migrate-apply').click();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByTestId('status').filter({ hasText: 'debug-exit' }).waitFor({ timeout: 60000 });
    await tab(page, 'Scenario');
    const v2 = await page.getByTestId('verdict').innerText();
    assert.doesNotMatch(v2, /expected \[\], got \[\]/, v2);
    assert.match(await page.locator('.panel.scenario').innerText(), /this run did none/);
    assert.deepEqual(errors, []);
  }
});

test('Compare on a 10^6-step program runs in slices: progress, clicks handled, the step limit said', async () => {
  const { page, errors } = await openApp();
  // mov ecx, 1000000 / dec / jnz: 2 000 001 instructions, more than hello's limit of 1 000 000.
  await tab(page, 'Source');
  await page.getByTestId('source').fill('bits 64\norg 0x100000\n  mov ecx, 1000000\n.l:\n  dec ecx\n  jnz .l\n  hlt\n');
  await page.getByRole('button', { name: 'Assemble & load', exact: true }).click();
  await tab(page, 'Compare');
  await page.evaluate(() => {
    window.__lat = []; window.__long = [];
    document.addEventListener('click', (e) => { if (e.target.closest('summary')) window.__lat.push(performance.now() - e.timeStamp); }, true);
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask' });
  });
  const tStart = Date.now();
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await page.getByTestId('compare-progress').waitFor({ timeout: 10000 });
  // Clicks during the comparison: the "How to read this" toggle must open and close.
  const help = page.getByTestId('how-to-read').first();
  let clicks = 0;
  for (let i = 0; i < 6; i++) {
    if (!(await page.getByTestId('compare-progress').isVisible())) break;
    const t0 = Date.now();
    await help.locator('summary').click();
    const open = await help.evaluate((d) => d.open);
    assert.equal(open, i % 2 === 0, 'the click was handled');
    clicks++;
    console.log(`click ${i}: round trip ${Date.now() - t0} ms`);
    await page.waitForTimeout(200);
  }
  assert.ok(clicks >= 2, `${clicks} clicks during the comparison`);
  await page.screenshot({ path: path.join(outDir, 'compare-long-progress.png') });
  const result = page.getByTestId('compare-result');
  await result.waitFor({ timeout: 300000 });
  console.log(`Compare of 1 000 000 instructions (bare vs kvm-merged): ${Date.now() - tStart} ms wall`);
  assert.match(await result.innerText(), /Step limit reached: .*agree on the first 1000000 instructions/s);
  const { lat, long } = await page.evaluate(() => ({ lat: window.__lat, long: window.__long }));
  console.log(`input delay of ${lat.length} clicks during Compare (ms): ${lat.map((x) => x.toFixed(1)).join(', ')}; max ${Math.max(...lat).toFixed(1)}`);
  console.log(`long tasks during Compare (ms): ${long.length ? long.map((x) => x.toFixed(0)).join(', ') : 'none'}`);
  console.log(`slices: ${await page.getByTestId('compare-slices').innerText()}`);
  fs.writeFileSync(path.join(outDir, 'compare-long-latency.json'), JSON.stringify({ inputDelayMs: lat, longTasksMs: long }, null, 1));
  await page.screenshot({ path: path.join(outDir, 'compare-long-limit.png') });
  assert.deepEqual(errors, []);
});

test('Compare: Pause, Resume and Cancel between slices', async () => {
  const { page, errors } = await openApp();
  await tab(page, 'Source');
  await page.getByTestId('source').fill('bits 64\norg 0x100000\n  mov ecx, 1000000\n.l:\n  dec ecx\n  jnz .l\n  hlt\n');
  await page.getByRole('button', { name: 'Assemble & load', exact: true }).click();
  await tab(page, 'Compare');
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  const prog = page.getByTestId('compare-progress');
  await prog.waitFor();
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await prog.filter({ hasText: 'paused at' }).waitFor();
  const paused = await prog.innerText();
  await page.waitForTimeout(500);
  assert.equal(await prog.innerText(), paused, 'nothing moves while paused');
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await prog.filter({ hasText: 'comparing' }).waitFor();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await prog.filter({ hasText: 'cancelled after' }).waitFor();
  assert.deepEqual(errors, []);
});

test('memtype-matrix: the L2 PAT × L1 NPT × L0 PAT grid, bare metal against the model', async () => {
  // The teaching table (APM Tables 15-19/15-20, reference §6.4, §9.8): 0x604000 is WC on bare
  // metal and CD under kvm-rfc/swap/merged; 0x602000 is CD on bare metal and WB under them.
  const { page, errors } = await openApp({ query: '?scenario=memtype-matrix&model=kvm-merged' });
  await tab(page, 'Scenario');
  const grid = page.getByTestId('memtype-grid');
  await grid.waitFor();
  const cell = (a) => grid.locator(`[data-page="${a}"]`);
  assert.deepEqual([await cell('0x604000').getAttribute('data-bare'), await cell('0x604000').getAttribute('data-model')], ['WC', 'CD']);
  assert.deepEqual([await cell('0x602000').getAttribute('data-bare'), await cell('0x602000').getAttribute('data-model')], ['CD', 'WB']);
  assert.match(await cell('0x604000').innerText(), /bare WC\s*≠\s*kvm-merged CD/, 'the colours have a text equivalent');
  assert.equal(await grid.locator('[data-page]').count(), 8);
  await grid.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(outDir, 'memtype-grid-kvm-merged.png') });
  await grid.screenshot({ path: path.join(outDir, 'memtype-grid-kvm-merged-grid.png') });
  assert.deepEqual(errors, []);
});

test('How to read this on every panel; a § citation opens the reference there', async () => {
  const { page, errors } = await openApp({ query: '?scenario=problem4-checkpoint' });
  for (const t of ['Registers', 'Memory', 'Page walk', 'PAT layers', 'Compare', 'Scenario', 'Console', 'Source']) {
    await tab(page, t);
    assert.ok(await page.getByTestId('how-to-read').count() >= 1, `${t} has its help`);
  }
  await tab(page, 'Scenario');
  await page.locator('a.cite[data-sec="9.7"]').first().click();
  assert.equal(await page.getByRole('tab', { name: 'Reference', exact: true }).getAttribute('aria-selected'), 'true');
  const h = page.locator('#ref-9\\.7');
  await h.waitFor();
  assert.match(await h.innerText(), /^9\.7 Nested-state ABI/);
  assert.equal(await h.getAttribute('data-cited'), 'true');
  assert.ok(await h.isVisible());
  await page.screenshot({ path: path.join(outDir, 'reference-9.7.png') });
  assert.deepEqual(errors, []);
});

test('An imported checkpoint of another scenario replaces the listing, source and expectation', async () => {
  const { page, errors } = await openApp({ query: '?scenario=problem2-l2-pat-msr' });
  for (let i = 0; i < 5; i++) await page.getByRole('button', { name: 'Step', exact: true }).click();
  await page.getByTestId('steps').filter({ hasText: 'steps: 5' }).waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export checkpoint' }).click()]);
  const saved = path.join(outDir, 'problem2-step5.nsc');
  await download.saveAs(saved);
  const listing = await page.locator('.disassembly').innerText();
  await page.getByTestId('scenario-select').selectOption({ index: 0 });
  await page.waitForFunction(() => document.querySelector('.program').innerText.includes('hello'));
  await page.getByTestId('import').setInputFiles(saved);
  await page.getByTestId('checkpoint-message').filter({ hasText: 'imported a bare checkpoint at step 5' }).waitFor();
  assert.match(await page.locator('.program').innerText(), /scenario: problem2-l2-pat-msr/);
  assert.match(await page.getByTestId('scenario-select').locator('option:checked').innerText(), /^problem2-l2-pat-msr/);
  assert.equal(await page.locator('.disassembly').innerText(), listing, "problem 2's listing, at step 5");
  await tab(page, 'Source');
  assert.match(await page.getByTestId('source').inputValue(), /L2_PAT|G_PAT|problem 2|RDMSR/i);
  await tab(page, 'Scenario');
  assert.match(await page.locator('.panel.scenario h2').innerText(), /^problem2-l2-pat-msr/);
  assert.equal(await steps(page), 5);
  assert.deepEqual(errors, []);
});
