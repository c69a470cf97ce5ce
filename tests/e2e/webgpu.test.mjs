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
  const validation = async () =>
    Number((await page.getByLabel('Run details').innerText()).match(/Validation accuracy (\d+\.\d) %/)[1]);
  const gpu = await validation();
  assert.ok(gpu >= 80, `validation accuracy ${gpu} % on WebGPU`);
  // The same run on the CPU lands within 2 points: the GPU path computes the same model.
  await page.getByLabel('Backend', { exact: true }).selectOption('cpu');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const rows2 = await waitForRuns(page, 2);
  assert.match(rows2[1], /cpu \(flex\)/);
  const cpu = await validation();
  console.log(`validation accuracy: WebGPU ${gpu} %, CPU ${cpu} %`);
  assert.ok(Math.abs(gpu - cpu) <= 2, `WebGPU ${gpu} % against CPU ${cpu} %`);
  assert.deepEqual(page.errors, []);
});
