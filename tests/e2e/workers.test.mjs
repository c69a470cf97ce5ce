// Data parallelism in a real headless Chromium: one run split over two CPU workers (the CPU
// worker starts a helper, each trains on half of every batch and they sum their gradients),
// against the same run on one; and a split run stopped halfway, after which the next still trains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, newPage, screenshot, waitForRuns, setField, enabledSoon, runsTable } from './harness.mjs';

const env = withBrowser();

const link = (epochs, workers) =>
  `#v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=adam&lr=3e-3&bs=64&ep=${epochs}&seed=7&be=cpu&workers=${workers}`;

const train = async (page, runs) => {
  const button = page.getByRole('button', { name: 'Train', exact: true });
  assert.ok(await enabledSoon(button, 20_000), await button.getAttribute('title'));
  await button.click();
  return waitForRuns(page, runs);
};

/** The "images/s" line of the run details shown now. */
const speedFact = async (page) =>
  page.getByLabel('Run details').getByText(/ images\/s/).first().innerText();

test('a run split over two CPU workers trains to the same accuracy as on one, and says so', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link(1, 1));
  await train(page, 1);
  const alone = await speedFact(page);
  assert.match(alone, /^\d+ images\/s$/, 'one worker: no worker count');
  await setField(page, 'CPU workers', 2);
  assert.match(page.url(), /workers=2/);
  await train(page, 2);
  const split = await speedFact(page);
  assert.match(split, /^\d+ images\/s on 2 CPU workers$/);
  const [one, two] = await runsTable(page);
  console.log(`# reference CNN, one epoch: 1 worker ${alone} ${one.test}; ${split} ${two.test}`);
  assert.match(two.status, /finished/);
  assert.match(two.changed, /CPU workers 1 → 2/);
  // Without batch norm, dropout or augmentation the two runs take the same steps up to the
  // order of float additions.
  assert.ok(Math.abs(two.test - one.test) <= 0.01, `${two.test} vs ${one.test}`);
  assert.ok(two.test > 0.9, `${two.test}`);
  await screenshot(page, 'workers-two');
  assert.deepEqual(page.errors, []);
});

test('a split run stopped halfway is kept as stopped, and the next split run trains', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link(20, 2));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForFunction(() => /step [1-9]\d* of/.test(document.querySelector('.progress')?.innerText ?? ''));
  await page.getByRole('button', { name: 'Stop' }).click();
  const rows = await waitForRuns(page, 1);
  assert.match(rows[0], /stopped by you after step \d+/);
  await setField(page, 'Epochs', 1);
  await train(page, 2);
  const [, next] = await runsTable(page);
  assert.match(next.status, /finished/);
  assert.ok(next.test > 0.9, `${next.test}`);
  assert.match(await speedFact(page), /on 2 CPU workers$/);
  assert.deepEqual(page.errors, []);
});
