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

test('a run too big for one of the GPU\'s buffers is refused before it starts, with the estimate', async () => {
  const page = await newPage(env.browser);
  // A 64×64 input through 16 filters at batch 1024: 256 MiB of activations in one buffer, more
  // than SwiftShader's 128 MiB storage-buffer limit (and within the page's own memory limit).
  await page.goto(env.server.url + '#v=1&ds=mnist&in=64x1&layers=c16k3p1&opt=adam&lr=1e-3&bs=1024&ep=1&seed=7&be=webgpu');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const notice = page.getByText(/^The run could not start: it does not fit this GPU/);
  await notice.waitFor({ timeout: 120_000 });
  const text = await notice.innerText();
  console.log(`# ${text}`);
  assert.match(text, /layer 1 \(conv 16@3×3 pad 1 relu\) needs one buffer of 256 MB at batch size 1024/);
  assert.match(text, /this GPU allows 128 MB in one buffer/);
  assert.match(text, /batch size 512 or less fits, or train on the CPU/);
  assert.equal(await page.locator('table.runs tbody tr').count(), 0, 'nothing started');
  // The page is not stuck: Train is ready for a changed setting.
  assert.ok(await page.getByRole('button', { name: 'Train', exact: true }).isEnabled());
  assert.deepEqual(page.errors, []);
});
