// The WebGPU backend in a real browser: Chromium's WebGPU on SwiftShader (a CPU Vulkan), so it
// runs on any machine; the same shaders a real GPU would get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withBrowser, newPage, waitForRuns, crashWorker } from './harness.mjs';

const env = withBrowser({ webgpu: true });
const photos = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'photos');

/** Paths of the page's requests for the WebGPU worker's files, as they happen (the service
 * worker's own fetch of a request it intercepts is the same download, counted once). */
function gpuWorkerFetches(page) {
  const fetched = [];
  page.context().on('request', (r) => {
    const file = new URL(r.url()).pathname;
    if (file.includes('webgpu_worker') && !r.serviceWorker()) fetched.push(file);
  });
  return fetched;
}

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

test('the GPU lost mid-run: the run is kept as failed with the reason, earlier runs stay, the next run uses the CPU', async () => {
  const page = await newPage(env.browser);
  const fetched = gpuWorkerFetches(page);
  // An earlier run, on the CPU, that must survive.
  await page.goto(env.server.url + '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=1&seed=7&be=cpu');
  const train = page.getByRole('button', { name: 'Train', exact: true });
  await train.click();
  await waitForRuns(page, 1);
  // The page and a CPU run never fetch the WebGPU worker, even where WebGPU is offered.
  assert.deepEqual(fetched, []);
  // A WebGPU run, and the browser's GPU process crashes under it (a real device loss).
  await page.getByLabel('Backend', { exact: true }).selectOption('webgpu');
  await page.getByLabel('Epochs', { exact: true }).fill('5');
  await page.getByLabel('Epochs', { exact: true }).blur();
  await train.click();
  await page.getByText(/^Epoch 1 of 5, step [1-9]/).waitFor({ timeout: 120_000 });
  assert.deepEqual(fetched.filter((f) => f.endsWith('.wasm')), ['/webgpu_worker_bg.wasm'], 'the first WebGPU run fetched it');
  const cdp = await env.browser.newBrowserCDPSession();
  await cdp.send('Browser.crashGpuProcess');
  const rows = await waitForRuns(page, 2, 120_000);
  assert.match(rows[0], /finished/, 'the earlier run is intact');
  assert.match(rows[1], /failed: the GPU stopped working during the run: the browser lost its WebGPU device/);
  assert.match(rows[1], /webgpu/);
  const notices = await page.locator('.notices').innerText();
  assert.match(notices, /The run failed: the GPU stopped working during the run[^\n]*The next run will use the CPU\./, notices);
  // The next run, still set to WebGPU, trains on the CPU and says why.
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await page.getByLabel('Epochs', { exact: true }).blur();
  await train.click();
  const after = await waitForRuns(page, 3);
  assert.match(after[2], /finished/);
  assert.match(after[2], /cpu \(flex\)/);
  assert.match(await page.locator('.notices').innerText(), /WebGPU failed during an earlier run; training on the CPU instead/);
  assert.equal(fetched.filter((f) => f.endsWith('.wasm')).length, 1, 'fetched once');
  assert.equal(page.errors.filter((e) => !/GPU|WebGPU|device/i.test(e)).length, 0, page.errors.join('\n'));
});

test('the WebGPU worker crashes mid-run: the panel says so, the next WebGPU run loads it again', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=5&seed=7&be=webgpu');
  const train = page.getByRole('button', { name: 'Train', exact: true });
  await train.click();
  await page.getByText(/^Epoch 1 of 5, step [1-9]/).waitFor({ timeout: 120_000 });
  const panel = await crashWorker(page, 'webgpu_worker');
  const text = await panel.innerText();
  assert.match(text, /The WebGPU training worker crashed/);
  assert.match(text, /The next WebGPU run loads the WebGPU trainer again/);
  assert.doesNotMatch(text, /a new worker has started/);
  const rows = await waitForRuns(page, 1);
  assert.match(rows[0], /failed: the training worker stopped: .*simulated worker fault/);
  // The CPU worker was not touched, and the next WebGPU run trains on WebGPU again.
  assert.ok(page.workers().some((w) => w.url().endsWith('?worker')));
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await page.getByLabel('Epochs', { exact: true }).blur();
  await train.click();
  const after = await waitForRuns(page, 2);
  assert.match(after[1], /finished/);
  assert.match(after[1], /webgpu/);
});

test('the WebGPU worker cannot be downloaded: a WebGPU run trains on the CPU and says why', async () => {
  // No service worker, so the refused download reaches the page as it would offline.
  const page = await newPage(env.browser, undefined, { serviceWorkers: 'block' });
  // Offline before the WebGPU worker was ever kept (a classroom network that dropped).
  await page.route('**/webgpu_worker_bg.wasm', (route) => route.abort('internetdisconnected'));
  await page.goto(env.server.url + '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=1&seed=7&be=webgpu');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const rows = await waitForRuns(page, 1);
  assert.match(rows[0], /finished/);
  assert.match(rows[0], /cpu \(flex\)/);
  assert.match(
    await page.locator('.notice.warning').innerText(),
    /the WebGPU trainer could not be loaded; training on the CPU instead/,
  );
  // The next WebGPU run does not wait for it again.
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  assert.match((await waitForRuns(page, 2))[1], /cpu \(flex\)/);
});

test('your own images, changed between two WebGPU runs: the second trains on what you have now', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + '#v=1&ds=local&in=32x3&layers=d16&opt=adam&lr=1e-3&bs=8&ep=1&seed=7&be=webgpu');
  await page.getByRole('region', { name: 'Your images' }).waitFor();
  await page.locator('.own-images').getByText('Reading your images…').waitFor({ state: 'detached' });
  // The three classes of photos, dropped as a folder the way the operating system does.
  const box = await page.locator('.drop-zone').boundingBox();
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: [photos], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await cdp.send('Input.dispatchDragEvent', { type, x: box.x + box.width / 2, y: box.y + box.height / 2, data });
  }
  await page.getByRole('list', { name: 'What was added' }).waitFor({ timeout: 120_000 });
  const train = page.getByRole('button', { name: 'Train', exact: true });
  const matrix = () => page.getByRole('table', { name: /^Confusion matrix/ }).innerText();
  await train.click();
  assert.match((await waitForRuns(page, 1))[0], /webgpu/);
  assert.match(await matrix(), /gravel/);
  // A class removed (in the CPU worker, which keeps your images): the WebGPU worker reads them again.
  await page.getByRole('button', { name: 'Remove class gravel' }).click();
  await page.locator('li.own-class').nth(2).waitFor({ state: 'detached' });
  await train.click();
  const rows = await waitForRuns(page, 2);
  assert.match(rows[1], /webgpu/);
  const second = await matrix();
  assert.match(second, /grass/);
  assert.doesNotMatch(second, /gravel/, 'the removed class is not trained on');
  assert.deepEqual(page.errors, []);
});
