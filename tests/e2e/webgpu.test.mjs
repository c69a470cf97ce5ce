// The WebGPU backend in a real browser: Chromium's WebGPU on SwiftShader (a CPU Vulkan), so it
// runs on any machine; the same shaders a real GPU would get.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newPage, closePages, waitForRuns } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch({ webgpu: true });
});
afterEach(closePages);
after(async () => {
  await browser?.close();
  await server?.close();
});

test('trains on WebGPU when the browser has it, and the run says so', async () => {
  const page = await newPage(browser);
  // A small dense model keeps SwiftShader's run short.
  await page.goto(server.url + '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=1&seed=7&be=webgpu');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const rows = await waitForRuns(page, 1);
  assert.match(rows[0], /finished/);
  assert.match(rows[0], /webgpu/);
  assert.match(await page.locator('.backend').innerText(), /webgpu/);
  const details = await page.getByLabel('Run details').innerText();
  const accuracy = Number(details.match(/Validation accuracy (\d+\.\d) %/)[1]);
  assert.ok(accuracy >= 80, `validation accuracy ${accuracy} % on WebGPU`);
  assert.deepEqual(page.errors, []);
});
