// The trade-off explorer in a real headless Chromium: sweeps, the budget answer, compression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { withBrowser, newPage, screenshot, waitForRuns, setField, enabledSoon, runsTable } from './harness.mjs';

const env = withBrowser();

const link = (layers, epochs = 1) =>
  `#v=1&ds=mnist&in=28x1&layers=${layers}&opt=adam&lr=1e-3&bs=64&ep=${epochs}&seed=7&be=cpu`;

const table = runsTable;

/** Chooses `value` in the `label` list, presses Train and waits until the table holds `runs` runs. */
async function trainWith(page, label, value, runs) {
  await page.getByLabel(label, { exact: true }).selectOption(value);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForRuns(page, runs);
}

test('RMSprop and Nesterov momentum are in the optimizer list, train, and are named in the runs table', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link('d32'));
  const optimizer = page.getByLabel('Optimizer', { exact: true });
  // The options are read once the page has drawn the form (reading earlier finds none).
  await optimizer.locator('option[value="rmsprop"]').waitFor({ state: 'attached' });
  const offered = await optimizer.locator('option').allInnerTexts();
  assert.ok(offered.includes('RMSprop') && offered.includes('SGD + Nesterov momentum'), `${offered}`);
  await trainWith(page, 'Optimizer', 'rmsprop', 1);
  assert.match(page.url(), /opt=rmsprop/);
  await trainWith(page, 'Optimizer', 'nesterov', 2);
  const rows = await table(page);
  assert.ok(rows.every((r) => r.test > 0.5), `both learn: ${JSON.stringify(rows)}`);
  assert.match(rows[1].changed, /optimizer RMSprop → SGD \+ Nesterov momentum/);
  assert.deepEqual(page.errors, []);
});

test('the loss is a setting: mean squared error learns slower than cross-entropy, and one sigmoid output needs two classes', async () => {
  const page = await newPage(env.browser);
  // Plain SGD shows the gradients as they are: MSE's fade as the softmax saturates.
  await page.goto(env.server.url + '#v=1&ds=mnist&in=28x1&layers=c8k3-p2-d32&opt=sgd&lr=0.2&bs=64&ep=1&seed=7&be=cpu');
  const loss = page.getByLabel('Loss and output', { exact: true });
  await loss.locator('option[value="mse"]').waitFor({ state: 'attached' });
  assert.deepEqual(await loss.locator('option').allInnerTexts(),
    ['Cross-entropy (softmax)', 'Binary cross-entropy (one sigmoid output)', 'Mean squared error (softmax)']);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForRuns(page, 1);
  await trainWith(page, 'Loss and output', 'mse', 2);
  assert.match(page.url(), /loss=mse/);
  const [ce, mse] = await table(page);
  console.log(`# SGD 0.2, one epoch: cross-entropy ${ce.test}, mean squared error ${mse.test}`);
  assert.ok(ce.test > mse.test, `cross-entropy ${ce.test} learns faster than MSE ${mse.test}`);
  assert.match(mse.changed, /loss Cross-entropy \(softmax\) → Mean squared error \(softmax\)/);
  // The loss axis names the loss it draws: the finished MSE run's, not "cross-entropy".
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save the loss chart as SVG' }).click(),
  ]);
  const svg = fs.readFileSync(await file.path(), 'utf8');
  assert.match(svg, /<text[^>]*>Mean squared error<\/text>/);
  assert.doesNotMatch(svg, /Cross-entropy loss/);
  // Ten digits cannot be told apart by one sigmoid output: the page says so and Train waits.
  await loss.selectOption('bce');
  await page.getByText(/needs exactly two classes; this dataset has 10/).first().waitFor();
  assert.equal(await page.getByRole('button', { name: 'Train', exact: true }).isDisabled(), true);
  assert.deepEqual(page.errors, []);
});

test('the initialisation is a setting: He learns, zeros never breaks the symmetry, and the link and table say which', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link('d32'));
  await trainWith(page, 'Initialisation', 'he', 1);
  assert.match(page.url(), /init=he/);
  await trainWith(page, 'Initialisation', 'zeros', 2);
  const [he, zeros] = await table(page);
  assert.ok(he.test > 0.5, `He learns: ${he.test}`);
  assert.ok(zeros.test < 0.25, `zeros stay near guessing: ${zeros.test}`);
  assert.match(zeros.changed, /initialisation He \/ Kaiming → Zeros/);
  // σ belongs to the normal start, and a link carries it.
  await page.getByLabel('Initialisation', { exact: true }).selectOption('normal');
  await setField(page, 'Initial σ', 0.2);
  assert.match(page.url(), /init=normal/);
  assert.match(page.url(), /isd=0\.2/);
  // Label smoothing is a number of the training form, in the link when on.
  await setField(page, 'Label smoothing', 0.1);
  assert.match(page.url(), /ls=0\.1/);
  // Rotation is one more augmentation, in the form and the link.
  await setField(page, 'Rotation (± degrees)', 15);
  assert.match(decodeURIComponent(page.url()), /aug=rot15/);
  assert.deepEqual(page.errors, []);
});

test('early stopping keeps the best epoch\'s weights and marks it on the curves', async () => {
  const page = await newPage(env.browser);
  // A high learning rate makes the validation loss stop improving within a few epochs.
  await page.goto(`${env.server.url}#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=0.03&bs=64&ep=30&pat=1&seed=7&be=cpu`);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForRuns(page, 1, 240_000);
  const [run] = await table(page);
  const stopped = run.status.match(/stopped early after epoch (\d+): .*the weights of epoch (\d+), its best, were kept/);
  assert.ok(stopped, run.status);
  const [epoch, kept] = [Number(stopped[1]), Number(stopped[2])];
  assert.ok(kept < epoch && epoch < 30, `${kept} < ${epoch}`);
  // The curves say where the kept weights come from and where the run stopped.
  await page.getByText(new RegExp(`weights kept \\(epoch ${kept}\\) at step \\d+, early stop at step \\d+`)).waitFor();
  assert.deepEqual(page.errors, []);
});

test('a sweep of 4 configs trains each in turn, and the budget answer picks the run a hand check picks', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link('d32'));
  const sweep = page.getByRole('group', { name: 'Sweep' });
  await sweep.getByLabel('Vary 1').selectOption('layers');
  await setField(page, 'Values 1', 'tiny, small');
  await sweep.getByLabel('Vary 2').selectOption('bs');
  await setField(page, 'Values 2', '32, 128');
  await sweep.getByText('4 runs of 1 epoch each').waitFor();
  const run = page.getByRole('button', { name: 'Run sweep' });
  assert.equal(await enabledSoon(run), true);
  await run.click();
  await page.getByText(/Sweep: run 1 of 4 \(layers tiny · batch size 32\)/).waitFor();
  // While the sweep runs, Train waits for it.
  assert.equal(await page.getByRole('button', { name: 'Train', exact: true }).isDisabled(), true);
  // Once a run has finished, the sweep estimates the time left (run 2 is short: any later one).
  await page.getByText(/Sweep: run [2-4] of 4 .* left/).waitFor({ timeout: 120_000 });
  await waitForRuns(page, 4);
  await page.getByText('The sweep finished: 4 runs.', { exact: false }).waitFor();
  const runs = await table(page);
  assert.deepEqual(runs.map((r) => r.status), ['finished', 'finished', 'finished', 'finished']);
  assert.deepEqual(runs.map((r) => r.params), [25_450, 25_450, 87_322, 87_322]);
  assert.match(runs[1].changed, /batch size 32 → 128/);

  // "The most accurate run with at most 30,000 parameters", checked by hand from the table.
  await page.getByLabel('Cost axis').selectOption('Parameters');
  await setField(page, 'Budget', '30000');
  const fit = runs.filter((r) => r.params <= 30_000);
  const expected = fit.reduce((a, b) => (b.test > a.test ? b : a));
  const answer = await page.getByTestId('budget').innerText();
  assert.match(answer, new RegExp(`^Best within at most .* parameters: run ${expected.id} \\(`), answer);
  const best = runs.reduce((a, b) => (b.test > a.test ? b : a));
  if (best.test > expected.test) assert.match(answer, new RegExp(`Run ${best.id} .* is more accurate but over the budget`));
  // The Pareto front the page lists holds the most accurate run and the best small one.
  const front = await page.getByTestId('pareto').innerText();
  assert.match(front, new RegExp(`run ${best.id} \\(`));
  assert.match(front, new RegExp(`run ${expected.id} \\(`));
  await setField(page, 'Budget', '10');
  assert.match(await page.getByTestId('budget').innerText(), new RegExp(`No run fits at most 10 parameters. The most accurate run is run ${best.id} `));
  await setField(page, 'Budget', 'cheap');
  assert.match(await page.getByTestId('budget').innerText(), /“cheap” is not a number/);
  await setField(page, 'Budget', '30000');

  // Parallel coordinates: the axes are what differs (parameters, batch size) and the results.
  const pc = page.locator('section.parallel canvas');
  const axes = Object.fromEntries(
    (await pc.getAttribute('data-axes')).split(',').map((a) => a.split(':')).map(([k, v]) => [k, Number(v)]),
  );
  assert.deepEqual(Object.keys(axes).slice(0, 2), ['Parameters', 'Batch size']);
  assert.ok('Test accuracy' in axes);
  // Drag along the accuracy axis over the upper part, cutting between the 2nd and 3rd best.
  const accuracies = runs.map((r) => r.test).sort((a, b) => b - a);
  const [lo, hi] = [accuracies[3], accuracies[0]];
  const cut = (accuracies[1] + accuracies[2]) / 2;
  const [top, bottom] = [Number(await pc.getAttribute('data-top')), Number(await pc.getAttribute('data-bottom'))];
  const box = await pc.boundingBox();
  const scale = box.width / 720;
  const yOf = (position) => box.y + (top + (1 - position) * (bottom - top)) * scale;
  const x = box.x + axes['Test accuracy'] * scale;
  await page.mouse.move(x, yOf(1) - 2);
  await page.mouse.down();
  await page.mouse.move(x, yOf((cut - lo) / (hi - lo)), { steps: 5 });
  await page.mouse.up();
  const keptIds = runs.filter((r) => r.test > cut).map((r) => r.id).sort((a, b) => a - b);
  assert.equal(keptIds.length, 2);
  assert.match(await page.getByTestId('parallel-kept').innerText(), new RegExp(`^Runs within Test accuracy .*: ${keptIds.join(', ')}\\.$`));
  await page.waitForTimeout(700); // the charts redraw at most every 300 ms
  await screenshot(page, 'sweep-budget');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  assert.match(await page.getByTestId('parallel-kept').innerText(), /^Drag along an axis/);
  assert.deepEqual(page.errors, []);
});

test('a sweep that cannot run says why; Pause holds it; Cancel keeps the runs and starts no more', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link('d32', 3));
  await page.getByRole('group', { name: 'Sweep' }).getByLabel('Vary 1').selectOption('lr');
  await setField(page, 'Values 1', '0.001, fast');
  await page.getByText('Cannot sweep: Learning rate: “fast”: the learning rate is a number above 0 and at most 100').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Run sweep' }).isDisabled(), true);
  await setField(page, 'Values 1', '0.001, 0.002');
  await page.getByRole('group', { name: 'Sweep' }).getByLabel('Vary 2').selectOption('');
  await page.getByText('2 runs of 3 epochs each').waitFor();
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await page.waitForFunction(() => /step [1-9]\d* of/.test(document.querySelector('.progress')?.innerText ?? ''));
  // Pause holds the whole sweep: the run in progress and the queue behind it.
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByText(/Sweep: run 1 of 2 .* paused: Resume continues it/).waitFor();
  await page.getByRole('button', { name: 'Cancel sweep' }).click();
  const rows = await waitForRuns(page, 1);
  assert.match(rows[0], /stopped by you/);
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('table.runs tbody tr').count(), 1, 'no second run started');
  assert.equal(await page.locator('.sweep-progress').count(), 0);
  assert.equal(await enabledSoon(page.getByRole('button', { name: 'Train', exact: true })), true);
});

test('int8 quantization and pruning make runs of their own, measured against their parent', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link('c8k3-p2-c16k3-p2-d64', 2));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const [trained] = await waitForRuns(page, 1);
  assert.match(trained, /finished/);
  const details = page.getByLabel('Run details');
  const compress = details.getByRole('group', { name: 'Compress this model' });
  await compress.getByRole('button', { name: 'Quantize to int8' }).click();
  await waitForRuns(page, 2);
  const [parent, int8] = await table(page);
  assert.equal(int8.changed, 'int8 copy of run 1');
  assert.ok(Math.abs(int8.test - parent.test) <= 0.02, `int8 ${int8.test} vs float ${parent.test}`);
  const facts = await details.locator('ul.compression').innerText();
  const share = Number(facts.match(/: (\d+) % of the float model's/)[1]);
  assert.ok(share <= 30, `int8 is ${share} % of the float size`);
  assert.match(facts, /int8 copy of run 1: test accuracy [\d.]+ % against [\d.]+ % before/);
  // A compressed run is not compressed again; the parent still can be.
  assert.equal(await details.getByRole('group', { name: 'Compress this model' }).count(), 0);
  await page.getByRole('button', { name: 'Details of run 1' }).click();
  await setField(page, 'Pruning sparsity (%)', '150');
  await page.getByText('pruning sparsity must be between 0 and 99 %').waitFor();
  assert.equal(await compress.getByRole('button', { name: 'Prune' }).isDisabled(), true);
  await setField(page, 'Pruning sparsity (%)', '50');
  await compress.getByRole('button', { name: 'Prune' }).click();
  await waitForRuns(page, 3);
  const pruned = (await table(page))[2];
  assert.equal(pruned.changed, 'pruned 50 % copy of run 1');
  assert.ok(pruned.params < parent.params * 0.6, `${pruned.params} non-zero of ${parent.params}`);
  assert.match(await details.locator('ul.compression').innerText(), /50\.0 % of the conv and dense weights are zero/);
  // On the chart, both copies are linked to their parent.
  await page.getByLabel('Cost axis').selectOption('Model size (bytes)');
  await page.getByText('a compressed model, a run started from or distilled from another, or an ensemble, linked to the runs it came from').waitFor();
  await page.waitForTimeout(700);
  await screenshot(page, 'compressed');

  // After a reload the models are gone (only results are kept): the page says so up front.
  await page.reload();
  await waitForRuns(page, 3);
  await page.getByRole('button', { name: 'Details of run 1' }).click();
  await page.getByText(/Only the latest 12 runs trained since this page opened keep their weights/).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Quantize to int8' }).isDisabled(), true);
  assert.equal(await page.getByRole('button', { name: 'Prune' }).isDisabled(), true);
  assert.equal(await page.locator('table.runs tbody tr').count(), 3);
  assert.deepEqual(page.errors, []);
});

test('the curves mark the end of warm-up and each learning-rate drop, in words too', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + link('d32', 3) + '&sched=step:1:0.5&warm=20');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForRuns(page, 1);
  // 9,000 training images in batches of 64: 141 steps per epoch.
  const marks = await page.locator('.curve-marks').innerText();
  assert.equal(marks, 'Run 1: warm-up ends at step 20, lr → 5.00e-4 at step 142, lr → 2.50e-4 at step 283');
  await page.waitForTimeout(700);
  await screenshot(page, 'curve-marks');
});
