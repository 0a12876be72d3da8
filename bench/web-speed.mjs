// The web app's speed readout in headless Chromium (playwright-core), the way BENCHMARKS.md "The
// web app" measures it: bench/programs/roundtrip.asm (20 000 round trips) typed into the editor and
// run under bare and kvm-merged, and a 2 000 000-step register loop; median of 3 runs each.
//   node bench/web-speed.mjs [DIR (a built bundle: dist/ or scripts/bundle-size.sh's target/bundle)] [--no-time-travel]
// (--no-time-travel unticks "time travel" first: the run without the core's snapshots.)
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const travelOff = args.includes('--no-time-travel');
const dir = path.resolve(args.find((a) => !a.startsWith('--')) || path.join(root, 'dist'));
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const server = http.createServer((req, res) => {
  const p = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  const f = fs.existsSync(p) && fs.statSync(p).isFile() ? p : path.join(dir, 'index.html');
  res.writeHead(200, { 'content-type': types[path.extname(f)] || 'application/octet-stream' });
  fs.createReadStream(f).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});

// The nasm source with its ITERS default replaced (the project's assembler has no %ifndef).
const roundTrips = (n) => fs.readFileSync(path.join(root, 'bench/programs/roundtrip.asm'), 'utf8')
  .split('\n').filter((l) => !l.startsWith('%')).join('\n').replaceAll('ITERS', String(n));
const registerLoop = 'bits 64\norg 0x100000\n  mov ecx, 1000000\n.l:\n  dec ecx\n  jnz .l\n  mov al, 0\n  out 0xf4, al\n';

const scale = { '': 1, k: 1e3, M: 1e6 };
async function measure(model, source, pick) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.getByRole('button', { name: 'Step', exact: true }).waitFor({ timeout: 30000 });
  await page.getByTestId('model-select').selectOption(model);
  if (travelOff) await page.getByTestId('time-travel').uncheck();
  await page.getByRole('tab', { name: 'Source', exact: true }).click();
  await page.getByTestId('source').fill(source);
  await page.getByRole('button', { name: 'Assemble & load' }).click();
  await page.locator('header .program').filter({ hasText: `model: ${model}` }).waitFor();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByTestId('status').filter({ hasText: 'debug-exit, code 0' }).waitFor({ timeout: 120000 });
  const rate = await page.getByTestId('rate').innerText();
  await page.close();
  const m = rate.match(/^([\d.]+) ([kM]?) ?steps\/s · ([\d.]+) ([kM]?) ?world switches\/s$/);
  if (!m) throw new Error(`${model}: unexpected speed readout "${rate}"`);
  return pick === 'steps' ? Number(m[1]) * scale[m[2]] : Number(m[3]) * scale[m[4]];
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const [label, model, source, pick] of [
    ['bare: world switches/s', 'bare', roundTrips(20000), 'switches'],
    ['kvm-merged: world switches/s', 'kvm-merged', roundTrips(20000), 'switches'],
    ['register loop: steps/s', 'bare', registerLoop, 'steps'],
  ]) {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await measure(model, source, pick));
    console.log(`${label.padEnd(30)} ${median(runs).toFixed(0).padStart(10)}   (runs: ${runs.map((r) => r.toFixed(0)).join(', ')})`);
  }
} finally {
  await browser.close();
  server.close();
}
