// The page in a real headless Chromium, driven by its labels as a person would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, newPage, screenshot, waitForRuns, setField, enabledSoon, crashWorker } from './harness.mjs';

const env = withBrowser();

const cpuLink = (extra) =>
  `#v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=adam&lr=1e-3&bs=64&ep=2&seed=7&be=cpu${extra ?? ''}`;

test('the built page renders the app shell with the reference model and its cost', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url);
  await page.getByRole('heading', { name: 'Tradeoff', level: 1 }).waitFor();
  const train = page.getByRole('button', { name: 'Train', exact: true });
  assert.equal(await enabledSoon(train), true);
  assert.equal(await page.getByLabel('Dataset', { exact: true }).inputValue(), 'mnist');
  assert.equal(await page.getByLabel('Batch size', { exact: true }).inputValue(), '64');
  const cost = await page.getByLabel('Model cost').innerText();
  assert.match(cost, /Parameters\s+27,562/);
  assert.match(cost, /FLOPs per image\s+429 k/);
  // The address bar holds the config.
  assert.match(page.url(), /#v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=adam&lr=1e-3&bs=64&ep=2&seed=7$/);
  await screenshot(page, 'start');
  assert.deepEqual(page.errors, []);
});

test('the data panel shows each class with counts and images; only the chosen dataset is downloaded', async () => {
  const page = await newPage(env.browser);
  const before = env.server.requests.length;
  await page.goto(env.server.url);
  const classes = page.getByRole('list', { name: 'Classes' });
  await classes.getByRole('listitem').first().waitFor();
  assert.equal(await classes.getByRole('listitem').count(), 10);
  await classes.getByRole('listitem', { name: '7: 1000 training and 200 test images' }).waitFor();
  assert.equal(await classes.getByRole('img', { name: 'a training image of 3' }).count(), 4);
  // The thumbnails show the digits: drawn back onto a canvas, a digit has bright pixels.
  const ink = await page.evaluate(async () => {
    const img = document.querySelector('ul.classes img');
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    return d.filter((v, i) => i % 4 === 0 && v > 128).length;
  });
  assert.ok(ink > 20, `${ink} bright pixels in the first thumbnail`);
  const fetched = () => env.server.requests.slice(before).filter((r) => r.includes('/datasets/'));
  assert.deepEqual(fetched(), ['/datasets/mnist.tds']);

  await page.getByLabel('Dataset', { exact: true }).selectOption('fashion-mnist');
  await classes.getByRole('listitem', { name: 'Ankle boot: 800 training and 200 test images' }).waitFor();
  assert.match(await page.locator('fieldset', { hasText: 'Dataset' }).innerText(), /8,000 for training and validation, 2,000 for the final test/);
  assert.match(page.url(), /ds=fashion-mnist/);
  assert.deepEqual(fetched(), ['/datasets/mnist.tds', '/datasets/fashion-mnist.tds']);
  await screenshot(page, 'fashion-data');
  assert.deepEqual(page.errors, []);
});

test('Auto without a usable WebGPU adapter trains on the CPU, says why, and never downloads the WebGPU worker', async () => {
  const page = await newPage(env.browser);
  const fetched = [];
  page.context().on('request', (r) => { if (!r.serviceWorker()) fetched.push(new URL(r.url()).pathname); });
  await page.goto(env.server.url + cpuLink().replace('layers=c8k3-p2-c16k3-p2-d64', 'layers=d32').replace('ep=2', 'ep=1').replace('be=cpu', 'be=auto'));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const rows = await waitForRuns(page, 1);
  assert.match(rows[0], /finished/);
  assert.match(rows[0], /cpu \(flex\)/);
  assert.match(
    await page.locator('.notice.warning').innerText(),
    /WebGPU found no usable graphics adapter.*training on the CPU instead/,
  );
  assert.ok(fetched.includes('/worker_bg.wasm'));
  assert.deepEqual(fetched.filter((f) => f.includes('webgpu_worker')), []);
});

test('an impossible stack is explained and Train is disabled', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + '#v=1&layers=p2-p2-p2-p2-c8k3');
  // A link with a bad stack is refused with the reason, and the defaults are shown.
  await page.getByText('layer 5: the image is 1×1 here, a 3×3 conv cannot follow').waitFor();
  assert.equal(await enabledSoon(page.getByRole('button', { name: 'Train', exact: true })), true);
  // Make the stack impossible by hand: a 3×3 conv after shrinking 28 → 1.
  for (let i = 0; i < 3; i++) {
    await page.getByLabel('New layer kind').selectOption('pool');
    await page.getByRole('button', { name: 'Add layer' }).click();
  }
  await page.getByRole('list', { name: 'Problems' }).waitFor();
  const problems = await page.getByRole('list', { name: 'Problems' }).innerText();
  assert.match(problems, /the image is 1×1 here, a 2×2 pool cannot follow/);
  assert.equal(await page.getByRole('button', { name: 'Train', exact: true }).isDisabled(), true);
  // Removing a layer makes it trainable again.
  await page.getByRole('button', { name: 'Remove layer 5' }).click();
  await page.getByLabel('Model cost').waitFor();
  assert.equal(await enabledSoon(page.getByRole('button', { name: 'Train', exact: true })), true);
});

test('a copied link opens with every control showing the same config', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url);
  await setField(page, 'Batch size', 32);
  await setField(page, 'Learning rate', 0.01);
  await page.getByLabel('Optimizer', { exact: true }).selectOption('momentum');
  await setField(page, 'Epochs', 5);
  await setField(page, 'Layer 1 filters', 12);
  await page.getByLabel('Backend', { exact: true }).selectOption('cpu');
  const link = page.url();
  assert.match(link, /bs=32/);
  const other = await newPage(env.browser);
  await other.goto(link);
  await other.getByText('Settings loaded from the link').waitFor();
  assert.equal(await other.getByLabel('Batch size', { exact: true }).inputValue(), '32');
  assert.equal(await other.getByLabel('Learning rate', { exact: true }).inputValue(), '0.01');
  assert.equal(await other.getByLabel('Optimizer', { exact: true }).inputValue(), 'momentum');
  assert.equal(await other.getByLabel('Epochs', { exact: true }).inputValue(), '5');
  assert.equal(await other.getByLabel('Layer 1 filters', { exact: true }).inputValue(), '12');
  assert.equal(await other.getByLabel('Backend', { exact: true }).inputValue(), 'cpu');
  // Another link pasted into the same tab changes only the hash; the controls follow it.
  await other.goto(link.replace('bs=32', 'bs=128'));
  await other.waitForFunction(() => document.querySelector('[aria-label="Batch size"]')?.value === '128');
  assert.equal(await other.getByLabel('Epochs', { exact: true }).inputValue(), '5');
});

test('a bad link says which setting is wrong and keeps the defaults', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + '#v=1&bs=0&lr=banana');
  const notice = page.locator('.notice.error');
  await notice.waitFor();
  assert.match(await notice.innerText(), /lr: 'banana' is not a number/);
  assert.equal(await page.getByLabel('Batch size', { exact: true }).inputValue(), '64');
});

test('trains the reference CNN on the CPU in a worker to ≥ 90 % validation accuracy, keeping the page responsive', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + cpuLink());
  await page.getByLabel('Model cost').waitFor();
  // The dataset preview (40 thumbnails) renders once per page load; landing while a run
  // starts on 2 busy cores it measured 50–57 ms, so it is counted with start-up, not here.
  await page.getByRole('list', { name: 'Classes' }).getByRole('listitem').first().waitFor();
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    window.__trainPressedAt = performance.now();
  });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.getByRole('progressbar', { name: 'Training progress' }).waitFor();
  await page.getByRole('button', { name: 'Pause' }).waitFor();
  await screenshot(page, 'training');
  const rows = await waitForRuns(page, 1);
  assert.match(rows[0], /finished/);
  const details = await page.getByLabel('Run details').innerText();
  const accuracy = Number(details.match(/Validation accuracy (\d+\.\d) %/)[1]);
  assert.ok(accuracy >= 90, `validation accuracy ${accuracy} %`);
  assert.match(details, /Test accuracy \d+\.\d %/);
  assert.match(await page.locator('.backend').innerText(), /cpu \(flex\)/);
  assert.match(await page.getByRole('table', { name: /Confusion matrix/ }).innerText(), /Class accuracy/);
  // The misclassified grid: every caption names two different classes.
  const captions = await page.locator('.misclassified figcaption').allInnerTexts();
  assert.ok(captions.length > 0 && captions.length <= 36, `${captions.length} misclassified shown`);
  for (const c of captions) {
    const [truth, said] = c.split('→').map((x) => x.trim());
    assert.notEqual(truth, said, c);
  }
  // Long tasks while training: those that ended before the final record arrived (the page
  // marks that moment); the one-off render of the results after it is reported separately.
  // Page start-up before Train is pressed is reported, not judged here (load time is measured
  // in docs/BENCHMARKS.md).
  const { tasks, pressed, finished } = await page.evaluate(() => ({
    tasks: window.__longTasks,
    pressed: window.__trainPressedAt,
    finished: performance.getEntriesByName('tradeoff:run-finished')[0].startTime,
  }));
  const ms = (list) => list.map((t) => Math.round(t.duration));
  const startup = ms(tasks.filter((t) => t.start < pressed));
  const during = ms(tasks.filter((t) => t.start >= pressed && t.start + t.duration <= finished));
  const after = ms(tasks.filter((t) => t.start + t.duration > finished));
  console.log(
    `validation accuracy ${accuracy} %; long tasks at start-up: [${startup}] ms, while training: [${during}] ms, when the results arrive: [${after}] ms`,
  );
  assert.deepEqual(during, [], 'no main-thread task over 50 ms while training');
  await screenshot(page, 'trained');

  // Editing fields with a run on the page (its table, charts and details redraw as the config
  // changes): no main-thread task over 50 ms either.
  await page.waitForTimeout(1000);
  const editsFrom = await page.evaluate(() => performance.now());
  await setField(page, 'Learning rate', 0.002);
  await setField(page, 'Seed', 8);
  await setField(page, 'Batch size', 128);
  await setField(page, 'Epochs', 1);
  await page.waitForTimeout(500);
  const edits = await page.evaluate((from) => window.__longTasks.filter((t) => t.start >= from).map((t) => Math.round(t.duration)), editsFrom);
  console.log(`long tasks while editing 4 fields: [${edits}] ms`);
  assert.deepEqual(edits, [], 'no main-thread task over 50 ms while fields are edited');

  // A second run with another batch size: two rows, two points on the trade-off chart.
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const both = await waitForRuns(page, 2);
  assert.match(both[1], /batch size 64 → 128/);
  await page.waitForFunction(() => document.querySelector('.tradeoff canvas')?.dataset.points === '2');
  assert.match(await page.getByTestId('pareto').innerText(), /Best trade-offs \(Pareto front\): run/);
  await screenshot(page, 'two-runs');
  assert.deepEqual(page.errors, []);
});

test('a learning rate of 10 ends as "diverged" with the explanation in the page', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + '#v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=sgd&lr=10&bs=64&ep=1&seed=7&be=cpu');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const rows = await waitForRuns(page, 1);
  assert.match(rows[0], /diverged at step \d+: the loss exploded to \d+/);
  const details = await page.getByLabel('Run details').innerText();
  assert.match(details, /the learning rate is probably too high/);
  await screenshot(page, 'diverged');
});

test('Train pressed while the training worker is still loading starts the run once it is ready', async () => {
  const page = await newPage(env.browser);
  // A slow connection: the worker's wasm arrives two seconds after the page is usable.
  let delayed = false;
  await page.route('**/worker_bg.wasm', async (route) => {
    delayed = true;
    await new Promise((r) => setTimeout(r, 2000));
    await route.continue();
  });
  await page.goto(env.server.url + cpuLink().replace('ep=2', 'ep=1'));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForFunction(
    () => /step [1-9]\d* of/.test(document.querySelector('.progress')?.innerText ?? ''),
    null,
    { timeout: 60_000 },
  );
  assert.ok(delayed, 'the worker download was held back, so Train really came first');
  const rows = await waitForRuns(page, 1);
  assert.match(rows[0], /finished/);
});

test('the training worker cannot be downloaded: the page says so instead of waiting for ever', async () => {
  // No service worker, so the refused download reaches the page as it would offline.
  const page = await newPage(env.browser, undefined, { serviceWorkers: 'block' });
  await page.route('**/worker_bg.wasm', (route) => route.abort('internetdisconnected'));
  await page.goto(env.server.url + cpuLink().replace('ep=2', 'ep=1'));
  const train = page.getByRole('button', { name: 'Train', exact: true });
  await train.click();
  await page.locator('.notice.error').first().waitFor({ timeout: 30_000 });
  const notices = await page.locator('.notices').innerText();
  // The run that waited for it ends with the reason, and so does the dataset preview.
  assert.match(notices, /The run could not start: the training worker could not be loaded \(.+\); reload the page to try again/);
  assert.match(notices, /The dataset could not be loaded: the training worker could not be loaded/);
  assert.equal(await enabledSoon(train), true, 'Train is usable again');
  assert.equal(await page.locator('.progress').count(), 0);
});

test('Stop ends a run early and keeps it as stopped', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + cpuLink().replace('ep=2', 'ep=20'));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForFunction(() => /step [1-9]\d* of/.test(document.querySelector('.progress')?.innerText ?? ''));
  await page.getByRole('button', { name: 'Stop' }).click();
  const rows = await waitForRuns(page, 1);
  assert.match(rows[0], /stopped by you after step \d+/);
});

test('the training worker crashes mid-run: the run is kept as failed, earlier runs stay, a new worker trains the next', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + cpuLink().replace('layers=c8k3-p2-c16k3-p2-d64', 'layers=d32').replace('ep=2', 'ep=1'));
  const train = page.getByRole('button', { name: 'Train', exact: true });
  await train.click();
  const [first] = await waitForRuns(page, 1);
  await setField(page, 'Epochs', 20);
  await train.click();
  await page.waitForFunction(() => /step [1-9]\d* of/.test(document.querySelector('.progress')?.innerText ?? ''));
  const panel = await crashWorker(page, 'worker');
  const text = await panel.innerText();
  assert.match(text, /The training worker crashed/);
  assert.match(text, /a new worker has started/);
  assert.match(text, /simulated worker fault/, 'the details to copy say what happened');
  // The page still works, so the panel leaves most of it in view (a page panic covers it all).
  const { height } = await panel.boundingBox();
  assert.ok(height < page.viewportSize().height / 2, `the panel is ${height} px tall`);
  const rows = await waitForRuns(page, 2);
  assert.equal(rows[0], first, 'the earlier run is untouched');
  assert.match(rows[1], /failed: the training worker stopped: .*simulated worker fault/);
  await panel.getByRole('button', { name: 'Close' }).click();
  assert.equal(await panel.count(), 0);
  // The page is not frozen, and the new worker trains.
  await setField(page, 'Epochs', 1);
  await train.click();
  assert.match((await waitForRuns(page, 3))[2], /finished/);
});

test('runs survive a reload; a run cut off by the reload is kept as interrupted; Delete is for good', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + cpuLink().replace('layers=c8k3-p2-c16k3-p2-d64', 'layers=d32').replace('ep=2', 'ep=1'));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const [first] = await waitForRuns(page, 1);
  const accuracy = first.match(/finished\t([\d.]+ %)/)[1];
  // A long second run, reloaded away mid-way (100 epochs: the dense model trains at tens of
  // thousands of images a second with Flex's SIMD kernels, so 20 could end first).
  await setField(page, 'Epochs', 100);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForFunction(() => /step [1-9]\d* of/.test(document.querySelector('.progress')?.innerText ?? ''));
  await page.waitForTimeout(2500); // past the first note of the run in progress
  await page.reload();
  const rows = await waitForRuns(page, 2);
  assert.match(rows[0], new RegExp(`finished\\t${accuracy.replace('.', '\\.')}`), 'the finished run is back, same figures');
  assert.match(rows[1], /interrupted after step [1-9]\d*/);
  // Its curves were kept too: the details say how far it got.
  await page.getByRole('button', { name: 'Details of run 2' }).click();
  assert.match(await page.getByLabel('Run details').innerText(), /interrupted after step/);
  await page.getByRole('button', { name: 'Delete run 1' }).click();
  await page.reload();
  const left = await waitForRuns(page, 1);
  await page.waitForTimeout(500);
  assert.equal(await page.locator('table.runs tbody tr').count(), 1);
  assert.match(left[0], /interrupted/);
});

test('Pause holds the run and Resume continues it to the end', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + cpuLink().replace('ep=2', 'ep=1'));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const progress = page.locator('.progress');
  await page.waitForFunction(() => /step [1-9]\d* of/.test(document.querySelector('.progress')?.innerText ?? ''));
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByText(/— paused/).waitFor();
  const step = async () => Number((await progress.innerText()).match(/step (\d+) of/)[1]);
  await page.waitForTimeout(500); // a read-back already on its way may still land
  const held = await step();
  await page.waitForTimeout(2000);
  assert.equal(await step(), held, 'no steps are taken while paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  const rows = await waitForRuns(page, 1);
  assert.match(rows[0], /finished/);
});
