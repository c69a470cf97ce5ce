// Tradeoff against TensorFlow.js, in one headless Chromium session, on the reference CNN
// (conv 8@3×3 relu → max-pool 2 → conv 16@3×3 relu → max-pool 2 → dense 64 relu → dense 10;
// 28×28×1, batch 64, Adam 1e-3) with the same MNIST images, and on the CPU also on a wider
// model that is not overhead-bound (conv 32@3×3 → pool → conv 64@3×3 → pool → dense 128 on the
// 32×32×3 emoji set). Prints ms/step, images/s and the ratios Tradeoff ÷ TF.js for
// like-for-like backends. Run with scripts/bench (builds first).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launch, newPage, closePages, waitForRuns } from '../tests/e2e/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const BATCH = 64;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x, d = 1) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const server = await startServer({ '/tfjs/': path.join(here, 'node_modules', '@tensorflow') });
// The CPU comparison runs in a browser without WebGPU's software adapter switched on (it makes
// Chromium composite in software too, which costs a 2-core machine ~20 % of the CPU speed);
// the WebGPU comparison in one with it. Each pair shares its browser session.
let browser;
const results = {};

/** The two models: Tradeoff's layer notation and dataset, and the same stack for TF.js. */
const MODELS = {
  reference: { ds: 'mnist', size: 28, channels: 1, layers: 'c8k3-p2-c16k3-p2-d64', conv: [8, 16], dense: 64 },
  wide: { ds: 'emoji', size: 32, channels: 3, layers: 'c32k3-p2-c64k3-p2-d128', conv: [32, 64], dense: 128 },
};

/**
 * Tradeoff through the real page and worker: `runs` one-epoch runs on `workers` CPU workers
 * (data-parallel; ignored by WebGPU), images/s of each.
 */
async function tradeoff(backend, runs, validation, workers = 1, model = MODELS.reference) {
  const page = await newPage(browser);
  const { ds, size, channels, layers } = model;
  await page.goto(`${server.url}#v=1&ds=${ds}&in=${size}x${channels}&layers=${layers}&opt=adam&lr=1e-3&bs=${BATCH}&ep=1&val=${validation}&seed=7&be=${backend}&workers=${workers}`);
  const speeds = [];
  for (let run = 1; run <= runs; run++) {
    const train = page.getByRole('button', { name: 'Train', exact: true });
    await train.click();
    const rows = await waitForRuns(page, run, 900_000);
    if (!rows[run - 1].includes(backend === 'cpu' ? 'cpu (flex)' : 'webgpu')) throw new Error(`ran on another backend: ${rows[run - 1]}`);
    const details = await page.getByLabel('Run details').innerText();
    speeds.push(Number(details.match(/(\d+) images\/s/)[1]));
  }
  await closePages();
  const ips = median(speeds);
  return { ips, msPerStep: (BATCH / ips) * 1000, runs: speeds };
}

/** TensorFlow.js on `backend`: median of 3 × 20 steps after 3 warm-up steps. */
async function tfjs(backend, { shim = false, model = MODELS.reference } = {}) {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  try {
    // An empty page of the server's origin (so the dataset and TF.js files are same-origin).
    // Cross-origin isolated like Tradeoff's page, so TF.js may use wasm threads if it can.
    await page.route('**/bench.html', (r) => r.fulfill({
      contentType: 'text/html',
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
      body: '<!doctype html><html><head></head><body></body></html>',
    }));
    await page.goto(server.url + 'bench.html');
    for (const file of ['tfjs/dist/tf.min.js', 'tfjs-backend-wasm/dist/tf-backend-wasm.min.js', 'tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js']) {
      await page.addScriptTag({ url: `/tfjs/${file}` });
    }
    return await page.evaluate(async ({ backend, shim, BATCH, model }) => {
      const tf = window.tf;
      tf.wasm.setWasmPaths('/tfjs/tfjs-backend-wasm/dist/');
      if (!(await tf.setBackend(backend))) throw new Error(`TF.js could not start ${backend}`);
      await tf.ready();
      if (shim) {
        // TF.js's wasm backend has no Conv2DBackpropFilter kernel, so it cannot train a conv
        // layer. This replaces Conv2D's gradient with ops it has: the filter gradient of a
        // stride-1 'valid' conv is itself a conv of x (channels as batch) with dy (batch as
        // input channels); the input gradient is a transposed conv.
        tf.registerGradient({
          kernelName: 'Conv2D', inputsToSave: ['x', 'filter'],
          gradFunc: (dy, [x, filter]) => ({
            x: () => tf.conv2dTranspose(dy, filter, x.shape, 1, 'valid'),
            filter: () => tf.transpose(
              tf.conv2d(tf.transpose(x, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, 'valid'),
              [1, 2, 0, 3]),
          }),
        });
      }
      // The same images: the built-in dataset file (gzip; header, pixels as
      // image × channel × row × column, labels).
      const bytes = new Uint8Array(await new Response(
        (await fetch(`/datasets/${model.ds}.tds`)).body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
      const headerLength = new DataView(bytes.buffer).getUint32(4, true);
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
      const pixels = bytes.subarray(8 + headerLength);
      const { size, channels } = model;
      const classes = header.classes.length;
      const image = size * size * channels;
      const n = 1280; // 20 batches
      const xs = tf.tidy(() => tf.transpose( // TF.js wants channels last
        tf.tensor4d(Float32Array.from(pixels.subarray(0, n * image), (p) => p / 255), [n, channels, size, size]),
        [0, 2, 3, 1]));
      const labels = pixels.subarray((header.train + header.test) * image).subarray(0, n);
      const ys = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), classes);
      const net = tf.sequential({ layers: [
        tf.layers.conv2d({ inputShape: [size, size, channels], filters: model.conv[0], kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: model.conv[1], kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: model.dense, activation: 'relu' }),
        tf.layers.dense({ units: classes, activation: 'softmax' }),
      ] });
      net.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
      const batch = (i) => [xs.slice([(i % 20) * BATCH, 0, 0, 0], [BATCH, size, size, channels]), ys.slice([(i % 20) * BATCH, 0], [BATCH, classes])];
      const step = async (i) => {
        const [x, y] = batch(i);
        const loss = await net.trainOnBatch(x, y); // resolves once the loss is read back
        x.dispose(); y.dispose();
        if (!Number.isFinite(loss)) throw new Error(`loss ${loss}`);
      };
      for (let i = 0; i < 3; i++) await step(i);
      const runs = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        for (let i = 0; i < 20; i++) await step(i);
        runs.push((performance.now() - t0) / 20);
      }
      const ms = [...runs].sort((a, b) => a - b)[1];
      const note = backend === 'wasm'
        ? `SIMD ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.wasm.getThreadsCount()}`
        : '';
      return { msPerStep: ms, ips: (BATCH / ms) * 1000, runs: runs.map((r) => Math.round((BATCH / r) * 1000)), parameters: net.countParams(), note };
    }, { backend, shim, BATCH, model });
  } catch (e) {
    return { error: String(e.message ?? e).split('\n')[0].slice(0, 160) };
  } finally {
    await context.close();
  }
}

/**
 * The page as a classroom meets it: ms from navigation until Train can be pressed, then seconds
 * from pressing Train until an epoch ends at ≥ 95 % validation accuracy (reference CNN, Adam
 * 3e-3, CPU backend, MNIST). Three fresh pages; the median.
 */
async function timeTo95() {
  const ready = [];
  const to95 = [];
  for (let i = 0; i < 3; i++) {
    const page = await newPage(browser);
    await page.goto(`${server.url}#v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=adam&lr=3e-3&bs=${BATCH}&ep=8&seed=7&be=cpu`);
    const interactive = await page.waitForFunction(() => {
      const train = [...document.querySelectorAll('button')].find((b) => b.innerText === 'Train');
      return train && !train.disabled ? performance.now() : null;
    }, null, { polling: 10 });
    ready.push(await interactive.jsonValue());
    await page.locator('.classes li').first().waitFor();
    const start = await page.evaluate(() => performance.now());
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    const hit = await page.waitForFunction(() => {
      const m = document.querySelector('.chart-text')?.innerText.match(/epoch (\d+): validation accuracy ([\d.]+) %/);
      return m && Number(m[2]) >= 95 ? { epoch: Number(m[1]), accuracy: Number(m[2]), at: performance.now() } : null;
    }, null, { polling: 100, timeout: 600_000 });
    const { epoch, accuracy, at } = await hit.jsonValue();
    to95.push({ seconds: (at - start) / 1000, epoch, accuracy });
    await closePages();
  }
  const seconds = median(to95.map((r) => r.seconds));
  console.log(`navigation to an interactive page: ${ready.map((x) => fmt(x, 0)).join(' / ')} ms (median ${fmt(median(ready), 0)} ms)`);
  console.log(`Train to 95 % validation accuracy (reference CNN, Adam 3e-3, CPU): ${to95.map((r) => `${fmt(r.seconds)} s (epoch ${r.epoch}, ${r.accuracy} %)`).join(' / ')}; median ${fmt(seconds)} s`);
}

const which = (process.env.BENCH ?? 'cpu,wide,webgpu,page').split(',');
if (which.includes('page')) {
  browser = await launch();
  await timeTo95();
  await browser.close();
}
if (which.includes('cpu')) {
  browser = await launch();
  console.log(`Chromium ${browser.version()}, batch ${BATCH}, reference CNN`);
  if (!process.env.SKIP_TRADEOFF) {
    results['Tradeoff cpu (Flex, wasm)'] = await tradeoff('cpu', 3, 0.1);
    results['Tradeoff cpu, 2 workers'] = await tradeoff('cpu', 3, 0.1, 2);
  }
  results['TF.js wasm (stock)'] = await tfjs('wasm');
  results['TF.js wasm + conv-gradient shim'] = await tfjs('wasm', { shim: true });
  results['TF.js cpu (plain JS)'] = await tfjs('cpu');
  await browser.close();
}
if (which.includes('wide')) {
  browser = await launch();
  console.log(`Chromium ${browser.version()}, batch ${BATCH}, ${MODELS.wide.layers} on ${MODELS.wide.ds} (${MODELS.wide.size}×${MODELS.wide.size}×${MODELS.wide.channels})`);
  results['wide: Tradeoff cpu (Flex, wasm)'] = await tradeoff('cpu', 3, 0.1, 1, MODELS.wide);
  results['wide: TF.js wasm + conv-gradient shim'] = await tfjs('wasm', { shim: true, model: MODELS.wide });
  await browser.close();
}
if (which.includes('webgpu')) {
  browser = await launch({ webgpu: true });
  results['Tradeoff webgpu'] = await tradeoff('webgpu', 3, 0.5);
  results['TF.js webgpu'] = await tfjs('webgpu');
  results['TF.js webgl'] = await tfjs('webgl');
  await browser.close();
}
for (const [name, r] of Object.entries(results)) {
  console.log(r.error ? `${name}: cannot train — ${r.error}` : `${name}: ${fmt(r.msPerStep)} ms/step, ${fmt(r.ips, 0)} images/s (runs: ${r.runs.join(', ')})${r.note ? `; ${r.note}` : ''}`);
}
const ratio = (a, b) => (results[a]?.ips && results[b]?.ips ? `${fmt(results[a].ips / results[b].ips, 2)}×` : 'n/a');
if (which.includes('cpu')) {
  console.log(`ratio Tradeoff cpu ÷ TF.js wasm+shim: ${ratio('Tradeoff cpu (Flex, wasm)', 'TF.js wasm + conv-gradient shim')}`);
  console.log(`ratio Tradeoff cpu ÷ TF.js cpu: ${ratio('Tradeoff cpu (Flex, wasm)', 'TF.js cpu (plain JS)')}`);
  console.log(`ratio Tradeoff cpu, 2 workers ÷ 1 worker (scaling): ${ratio('Tradeoff cpu, 2 workers', 'Tradeoff cpu (Flex, wasm)')}`);
  console.log(`ratio Tradeoff cpu, 2 workers ÷ TF.js wasm+shim: ${ratio('Tradeoff cpu, 2 workers', 'TF.js wasm + conv-gradient shim')}`);
}
if (which.includes('wide')) {
  console.log(`ratio wide model, Tradeoff cpu ÷ TF.js wasm+shim: ${ratio('wide: Tradeoff cpu (Flex, wasm)', 'wide: TF.js wasm + conv-gradient shim')}`);
}
if (which.includes('webgpu')) {
  console.log(`ratio Tradeoff webgpu ÷ TF.js webgpu (same adapter): ${ratio('Tradeoff webgpu', 'TF.js webgpu')}`);
}
await server.close();
