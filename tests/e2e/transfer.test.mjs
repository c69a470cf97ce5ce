// Transfer learning in a real headless Chromium: a pretrained start fetched only when chosen,
// a finished run as the start of a run on another dataset, frozen layers, and a link whose
// start the receiver does not have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { withBrowser, newPage, screenshot, waitForRuns, setField, enabledSoon, hoverPoint, runsTable } from './harness.mjs';

const env = withBrowser();

const stack = 'c8k3-p2-c16k3-p2-d64';
const link = `#v=1&ds=mnist&in=28x1&layers=${stack}&opt=adam&lr=1e-3&bs=64&ep=1&seed=7&be=cpu`;
const pretrainedFile = path.join(import.meta.dirname, '..', '..', 'static', 'pretrained', 'mnist-cnn.safetensors');

const table = runsTable;

const train = async (page, runs) => {
  const button = page.getByRole('button', { name: 'Train', exact: true });
  await enabledSoon(button, 20_000);
  await button.click();
  return waitForRuns(page, runs);
};

test('a pretrained start is fetched when chosen, covers the matching layers, and beats scratch after one epoch', async () => {
  const page = await newPage(env.browser);
  const fetched = [];
  page.on('request', (r) => { if (r.url().includes('pretrained/')) fetched.push(r.url()); });
  await page.goto(env.server.url + link);
  await train(page, 1);
  // Nothing is downloaded for a start nobody chose.
  assert.deepEqual(fetched, []);
  const start = page.getByLabel('Starting weights', { exact: true });
  await start.selectOption('pre:mnist-cnn');
  const status = page.locator('.start-panel .hint[role="status"]');
  await status.getByText('the first 5 of 5 layers start from it; the output layer too (same classes)').waitFor();
  assert.equal(fetched.length, 1);
  assert.match(fetched[0], /pretrained\/mnist-cnn\.safetensors$/);
  assert.match(page.url(), /start=pre:mnist-cnn/);
  // Freeze the two convolutions and their pools; fine-tune the dense layer and the output.
  await setField(page, 'Freeze the first layers', 4);
  assert.match(page.url(), /freeze=4/);
  await train(page, 2);
  const [scratch, pretrained] = await table(page);
  console.log(`# one epoch on MNIST: from scratch ${scratch.test}, from the pretrained start (4 layers frozen) ${pretrained.test}`);
  assert.ok(pretrained.test > scratch.test, `${pretrained.test} vs ${scratch.test}`);
  assert.match(pretrained.changed, /starting weights scratch → pretrained mnist-cnn/);
  assert.match(pretrained.changed, /frozen layers 0 → 4/);
  // The run's details say what it started from.
  await page.getByLabel('Run details')
    .getByText('Started from pretrained mnist-cnn: the first 5 of 5 layers start from it; the output layer too (same classes)').waitFor();
  // A stack whose first layer differs takes nothing; one click takes the start's stack back.
  await setField(page, 'Layer 1 filters', 16);
  await status.getByText(/no layer matches its first layer/).waitFor();
  await page.getByRole('button', { name: `Use its layers: ${stack}` }).click();
  await status.getByText('the first 5 of 5 layers start from it; the output layer too (same classes)').waitFor();
  await screenshot(page, 'transfer-pretrained');
  assert.deepEqual(page.errors, []);
});

test('a finished run starts a run on another dataset; the chart joins them; a link without its start says what is missing', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link);
  await train(page, 1);
  await page.getByLabel('Starting weights', { exact: true }).selectOption('run:1');
  const status = page.locator('.start-panel .hint[role="status"]');
  await status.getByText(/the first 5 of 5 layers start from it/).waitFor();
  await page.getByLabel('Dataset', { exact: true }).selectOption('fashion-mnist');
  // Clothes are not digits: the stack transfers, the output layer starts fresh.
  await status.getByText('the first 5 of 5 layers start from it; the output layer starts fresh').waitFor();
  await setField(page, 'Rate of transferred layers (× lr)', 0.1);
  assert.match(page.url(), /start=run:1/);
  assert.match(page.url(), /tlr=0\.1/);
  await train(page, 2);
  const rows = await table(page);
  assert.ok(rows[1].test > 0.5, `fashion from MNIST's features: ${rows[1].test}`);
  // On the chart the run is joined to the run it started from, and says so when hovered.
  await page.getByText('a compressed model, a run started from or distilled from another, or an ensemble, linked to the runs it came from').waitFor();
  await page.waitForFunction(() => document.querySelector('.tradeoff canvas')?.dataset.points === '2');
  const hovered = await hoverPoint(page, 'Run 2');
  assert.match(hovered, /^Run 2 · started from run 1: /);
  await screenshot(page, 'transfer-run');

  // The same link opened elsewhere: that page has no run 1, so it says what is needed and
  // Train waits; a wrong file is refused with the reason; the right file lets it train.
  const other = await newPage(env.browser);
  await other.goto(page.url());
  await other.getByText(/This run starts from the weights of run 1 of the page its link was made in/).first().waitFor();
  const trainButton = other.getByRole('button', { name: 'Train', exact: true });
  assert.equal(await trainButton.isDisabled(), true);
  await other.getByLabel('Model file to start from').setInputFiles({
    name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model'),
  });
  await other.getByText(/not a safetensors model file/).first().waitFor();
  assert.equal(await trainButton.isDisabled(), true);
  await other.getByLabel('Model file to start from').setInputFiles(pretrainedFile);
  await other.locator('.start-panel .hint[role="status"]')
    .getByText('the first 5 of 5 layers start from it; the output layer starts fresh').waitFor();
  assert.match(other.url(), /start=file:mnist-cnn\.safetensors/);
  await train(other, 1);
  const [fromFile] = await table(other);
  assert.ok(fromFile.test > 0.5, `${fromFile.test}`);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(other.errors, []);
});

test('the start panel reads in Chinese', async () => {
  const page = await newPage(env.browser, undefined, { locale: 'zh-CN' });
  await page.goto(env.server.url + link + '&start=pre:fashion-cnn');
  await page.getByText('起始权重').first().waitFor();
  await page.locator('.start-panel .hint[role="status"]').getByText(/层中的前 5 层从它开始/).waitFor();
  assert.ok(fs.existsSync(pretrainedFile));
  assert.deepEqual(page.errors, []);
});
