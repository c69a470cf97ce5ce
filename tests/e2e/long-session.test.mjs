// A long classroom session: many runs in one tab must not make the page's memory grow beyond
// what the kept run records need. Prints the figures docs/RELIABILITY.md reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, newPage, waitForRuns } from './harness.mjs';

const RUNS = Number(process.env.LONG_SESSION_RUNS ?? 50);
const BASELINE_AT = 10;

const env = withBrowser();

/**
 * Bytes in use: the page's JS heap and wasm memory, what Chromium attributes to the tab's JS
 * and DOM (worker JS included, wasm memories not), and the training worker's wasm memory as
 * the page shows it after each run.
 */
async function memory(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const m = await page.evaluate(async () => ({
    pageHeap: performance.memory.usedJSHeapSize,
    pageWasm: window.__wasmMemory.buffer.byteLength,
    tabJs: (await performance.measureUserAgentSpecificMemory()).bytes,
    workerWasm: Number(document.querySelector('.worker-memory')?.dataset.bytes ?? NaN),
  }));
  m.total = m.pageHeap + m.pageWasm + m.tabJs + m.workerWasm;
  return m;
}

test(`${RUNS} runs in one tab keep memory bounded`, { timeout: 30 * 60_000 }, async () => {
  const page = await newPage(env.browser);
  await page.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => { window.__wasmMemory = e.detail.wasm.memory; });
  });
  const cdp = await page.context().newCDPSession(page);
  // A small, quick run; the records it leaves are the same shape as any other's.
  await page.goto(env.server.url + '#v=1&ds=mnist&in=28x1&layers=d8&opt=adam&lr=3e-3&bs=256&ep=1&val=0.5&seed=7&be=cpu');
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'memory measurement needs isolation');
  const train = page.getByRole('button', { name: 'Train', exact: true });
  let baseline;
  for (let run = 1; run <= RUNS; run++) {
    await train.click();
    const rows = await waitForRuns(page, run);
    await page.locator('.worker-memory').waitFor();
    assert.match(rows[run - 1], /finished/, `run ${run}`);
    if (run === BASELINE_AT) baseline = await memory(page, cdp);
  }
  const end = await memory(page, cdp);
  const mb = (b) => (b / 1e6).toFixed(1);
  const perRun = (k) => (end[k] - baseline[k]) / (RUNS - BASELINE_AT);
  const line = (k) => `${k} ${mb(baseline[k])} → ${mb(end[k])} MB`;
  console.log(
    `memory after run ${BASELINE_AT} → ${RUNS}: ${['total', 'workerWasm', 'pageWasm', 'pageHeap', 'tabJs'].map(line).join('; ')}; ` +
      `${(perRun('total') / 1e3).toFixed(0)} KB per run`,
  );
  // A kept run is its record (curves, confusion matrix, predictions, 36 small images): well
  // under 1 MB. More than that per run means something is kept that should have been freed.
  assert.ok(perRun('total') < 1e6, `${(perRun('total') / 1e3).toFixed(0)} KB per run`);
  assert.equal(await page.locator('table.runs tbody tr').count(), RUNS, 'every run is still listed');
});
