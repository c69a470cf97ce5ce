// The essay's last three trades in a real headless Chromium: accuracy under noise and attack
// and adversarial training, a small student distilled from a teacher, and an ensemble of runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, newPage, screenshot, waitForRuns, setField, enabledSoon, hoverPoint, runsTable } from './harness.mjs';

const env = withBrowser();

const link = (layers, epochs, extra = '') =>
  `#v=1&ds=mnist&in=28x1&layers=${layers}&opt=adam&lr=3e-3&bs=64&ep=${epochs}&seed=7&be=cpu${extra}`;

const train = async (page, runs) => {
  const button = page.getByRole('button', { name: 'Train', exact: true });
  assert.ok(await enabledSoon(button, 20_000), await button.getAttribute('title'));
  await button.click();
  return waitForRuns(page, runs);
};

test('every run is measured under noise and attack; adversarial training buys accuracy under attack back', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link('c8k3-p2-c16k3-p2-d64', 1));
  await train(page, 1);
  await setField(page, 'Adversarial training', 0.5);
  assert.match(page.url(), /adv=0\.5/);
  await train(page, 2);
  const [plain, hardened] = await runsTable(page);
  console.log(`# MNIST, one epoch: plain ${plain.test} / noise ${plain.noise} / attack ${plain.attack}; adversarial ${hardened.test} / ${hardened.noise} / ${hardened.attack}`);
  assert.ok(plain.attack < plain.test - 0.15, `the attack costs a visible share: ${plain.attack} vs ${plain.test}`);
  assert.ok(plain.noise < plain.test, `${plain.noise} vs ${plain.test}`);
  assert.ok(hardened.attack > plain.attack + 0.1, `${hardened.attack} vs ${plain.attack}`);
  assert.match(hardened.changed, /adversarial training 0 → 0\.5/);
  // The details say what each figure is.
  await page.getByLabel('Run details').getByText(/^Under attack \(FGSM, ε 0\.1\): /).waitFor();
  // The chart's accuracy axis, and the budget answer with it.
  await page.getByLabel('Accuracy axis').selectOption('Accuracy under attack (FGSM)');
  await page.getByLabel('Budget', { exact: true }).fill('500');
  await page.getByLabel('Budget', { exact: true }).press('Tab');
  const answer = page.getByTestId('budget');
  await answer.getByText(/^Best within/).waitFor();
  assert.match(await answer.innerText(), /^Best within at most 500 s: run 2 \(\d+\.\d % accuracy under attack \(FGSM\), /);
  await screenshot(page, 'robustness');
  assert.deepEqual(page.errors, []);
});

test('a student distilled from the pretrained teacher, and a link whose teacher the receiver lacks', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link('d16', 3));
  await train(page, 1);
  await page.getByLabel('Teacher', { exact: true }).selectOption('pre:mnist-cnn');
  const status = page.locator('.distill-panel .hint[role="status"]');
  await status.getByText(/^The student \(12,730 parameters\) learns from the teacher c8k3-p2-c16k3-p2-d64's softened outputs/).waitFor();
  assert.match(page.url(), /teacher=pre:mnist-cnn/);
  await train(page, 2);
  const [alone, taught] = await runsTable(page);
  console.log(`# student d16, 3 epochs on MNIST: alone ${alone.test}, distilled ${taught.test}`);
  assert.equal(taught.params, alone.params);
  assert.ok(taught.test > alone.test, `${taught.test} vs ${alone.test}`);
  await page.getByLabel('Run details')
    .getByText('Distilled from pretrained mnist-cnn (c8k3-p2-c16k3-p2-d64, 27,562 parameters) at temperature 4, teacher\'s weight 0.7').waitFor();
  await screenshot(page, 'distillation');

  // The same link in a page that never trained run 1: Train says what is missing.
  const elsewhere = await newPage(env.browser);
  await elsewhere.goto(env.server.url + link('d16', 1, '&teacher=run:1'));
  const button = elsewhere.getByRole('button', { name: 'Train', exact: true });
  await elsewhere.waitForFunction(() => document.querySelector('.action-bar button.primary')?.title.includes('distilled from run 1'));
  assert.equal(await button.isEnabled(), false);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(elsewhere.errors, []);
});

test('three ticked runs averaged as an ensemble: one more run, joined to its members on the chart', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link('d32', 1));
  for (const seed of [1, 2, 3]) {
    await setField(page, 'Seed', seed);
    await train(page, seed);
  }
  // Before two runs are ticked the button names no count and is off.
  const none = page.getByRole('button', { name: 'Average the ticked runs (ensemble)', exact: true });
  assert.equal(await none.isEnabled(), false);
  for (const id of [1, 2, 3]) await page.getByLabel(`Overlay run ${id}`).check();
  const average = page.getByRole('button', { name: 'Average the 3 ticked runs (ensemble)' });
  assert.ok(await enabledSoon(average));
  await average.click();
  await waitForRuns(page, 4);
  const runs = await runsTable(page);
  const [ensemble] = runs.slice(3);
  const mean = (runs[0].test + runs[1].test + runs[2].test) / 3;
  console.log(`# d32 one epoch, seeds 1-3: ${runs.slice(0, 3).map((r) => r.test)} -> ensemble ${ensemble.test}`);
  assert.equal(ensemble.changed, 'ensemble of runs 1, 2, 3');
  assert.ok(ensemble.test >= mean, `${ensemble.test} vs ${mean}`);
  assert.equal(ensemble.params, 3 * runs[0].params);
  assert.ok(ensemble.attack < ensemble.test);
  const hover = await hoverPoint(page, 'Run 4');
  assert.match(hover, /^Run 4 · ensemble of 3 runs: d32/);
  // Its details say what it is; several models are not one link, one file or one to compress.
  await page.getByRole('button', { name: 'Details of run 4' }).click();
  const details = page.getByLabel('Run details');
  await details.getByText(/^Ensemble of 3 runs, their probabilities averaged; the runs alone score/).waitFor();
  for (const name of ['Copy link with result', 'Download model', 'Quantize to int8']) {
    assert.equal(await details.getByRole('button', { name }).count(), 0, name);
  }
  // One run alone is no ensemble.
  for (const id of [2, 3]) await page.getByLabel(`Overlay run ${id}`).uncheck();
  await page.getByText('an ensemble averages 2 to 8 finished runs (chosen: 1)').waitFor();
  await screenshot(page, 'ensemble');
  assert.deepEqual(page.errors, []);
});
