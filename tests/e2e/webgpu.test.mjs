// The WebGPU backend in a real browser: Chromium's WebGPU on SwiftShader (a CPU Vulkan), so it
// runs on any machine; the same shaders a real GPU would get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, newPage, waitForRuns } from './harness.mjs';

const env = withBrowser({ webgpu: true });

test('trains on WebGPU when the browser has it, and the run says so', async () => {
  const page = await newPage(env.browser);
  // A small dense model keeps SwiftShader's run short.
  await page.goto(env.server.url + '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=1&seed=7&be=webgpu');
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
