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
  await page.getByRole('button', { name: 'Step' }).waitFor({ timeout: 20000 });
  return { page, errors };
}
const rip = (page) => page.locator('tr[data-reg="rip"] td').innerText();

test('Step advances RIP and highlights the new instruction', async () => {
  const { page, errors } = await openApp();
  assert.equal(await rip(page), '0x0000000000100000');
  await page.getByRole('button', { name: 'Step' }).click();
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
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit' }).waitFor({ timeout: 20000 });
  assert.equal(await page.getByTestId('console').textContent(), 'ok\n');
  assert.ok(await page.getByRole('button', { name: 'Step' }).isDisabled());
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.waitForFunction(() => document.querySelector('tr[data-reg="rip"] td').innerText === '0x0000000000100000');
  assert.equal(await page.getByTestId('console').textContent(), '');
  await page.screenshot({ path: path.join(outDir, 'after-run-reset.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
