// Where the browser's CPU worker spends a training step: Chromium's sampling profiler on the
// worker, over one epoch of a link, on a build whose wasm keeps its function names.
//
//   source scripts/setup && build_page --release   # the page, and cargo's worker.wasm beside it
//   node bench/profile-worker.mjs                  # reference CNN; LAYERS=… DS=… IN=… for another
//
// Trunk's build strips the names (wasm-opt), so this script runs wasm-bindgen again on cargo's
// own output (target/wasm32-unknown-unknown/worker/worker.wasm, the same code before wasm-opt)
// into a copy of dist/, and serves that. It prints the share of the samples taken inside the
// training step (`Trainer::forward_backward`) by function (self time), and the share of the
// step's matrix multiplications by the operation that called them. Figures go to
// docs/BENCHMARKS.md by hand.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { startServer } from '../tests/e2e/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const named = path.join(root, 'target', 'wasm32-unknown-unknown', 'worker', 'worker.wasm');
if (!fs.existsSync(named)) throw new Error(`${named} is missing: build the page first`);
const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeoff-profile-'));
fs.cpSync(path.join(root, 'dist'), copy, { recursive: true });
execFileSync('wasm-bindgen', ['--target', 'no-modules', '--weak-refs', '--out-dir', copy, '--out-name', 'worker', named]);

const link = `#v=1&ds=${process.env.DS ?? 'mnist'}&in=${process.env.IN ?? '28x1'}`
  + `&layers=${process.env.LAYERS ?? 'c8k3-p2-c16k3-p2-d64'}&opt=adam&lr=1e-3&bs=64&ep=1&val=0.1&seed=7&be=cpu&workers=1`;
const server = await startServer({ '/': copy });
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage();
  const workers = [];
  page.on('workercreated', (w) => workers.push(w));
  await page.setViewport({ width: 1366, height: 900 });
  await page.goto(server.url + link);
  const runs = () => page.evaluate(() => document.querySelectorAll('table.runs tbody tr').length);
  const train = async (n) => {
    const [button] = await page.$$('xpath/.//button[normalize-space(.)="Train"]');
    await button.click();
    while ((await runs()) < n) await new Promise((r) => setTimeout(r, 300));
  };
  await train(1); // the first run also compiles the worker's wasm to fast code
  const worker = workers[0];
  await worker.client.send('Profiler.enable');
  await worker.client.send('Profiler.setSamplingInterval', { interval: 200 });
  await worker.client.send('Profiler.start');
  await train(2);
  const { profile } = await worker.client.send('Profiler.stop');
  const speed = await page.evaluate(() => document.body.innerText.match(/([\d,]+) images\/s/)?.[1]);
  report(profile, speed);
} finally {
  await browser.close();
  await server.close();
  fs.rmSync(copy, { recursive: true, force: true });
}

/** Self time by function, and gemm by caller, within the training step. */
function report(profile, speed) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => n.callFrame.functionName || `(${n.callFrame.url})`;
  const short = (s) => s.replace(/\[[0-9a-f]{16}\]/g, '').slice(0, 140);
  const self = new Map();
  const gemmBy = new Map();
  let step = 0;
  for (const n of profile.nodes) {
    if (!n.hitCount) continue;
    const chain = [];
    for (let id = n.id; id !== undefined; id = parent.get(id)) chain.push(name(byId.get(id)));
    if (!chain.some((f) => f.includes('Trainer>::forward_backward'))) continue;
    step += n.hitCount;
    self.set(chain[0], (self.get(chain[0]) ?? 0) + n.hitCount);
    const gemm = chain.findLastIndex((f) => f.includes('gemm_basic'));
    if (gemm >= 0) {
      const op = chain.slice(gemm + 1).find((f) => /ModuleOps<.*>>::conv2d|float_matmul/.test(f)) ?? '?';
      const key = op.match(/::(conv2d\w*|float_matmul)$/)?.[1] ?? op;
      gemmBy.set(key, (gemmBy.get(key) ?? 0) + n.hitCount);
    }
  }
  const pct = (v) => `${((100 * v) / step).toFixed(1).padStart(5)} %`;
  console.log(`${link}: ${speed} images/s; ${step} samples (200 µs) inside the training step`);
  console.log('self time:');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${pct(v)}  ${short(k)}`);
  console.log('matrix multiplications, by the operation calling them:');
  for (const [k, v] of [...gemmBy].sort((a, b) => b[1] - a[1])) console.log(`${pct(v)}  ${k}`);
}
