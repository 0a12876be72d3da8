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
  const saved = path.join(outDir, 'exported-checkpoint.json');
  await download.saveAs(saved);
  const doc = JSON.parse(fs.readFileSync(saved, 'utf8'));
  assert.equal(doc.format, 'nestscope-checkpoint');
  assert.equal(doc.state.steps, 3);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit' }).waitFor();
  // A corrupt file: refused with a message, the finished machine stays as it is.
  const bad = path.join(outDir, 'corrupt-checkpoint.json');
  fs.writeFileSync(bad, JSON.stringify({ ...doc, checksum: 'fnv1a64:0000000000000000' }));
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
