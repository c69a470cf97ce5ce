// Classroom and sharing: lessons, hidden and locked controls, links that carry results, and
// taking runs away (JSON, CSV, PNG) and bringing them back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withBrowser, newPage, screenshot, waitForRuns, enabledSoon, hoverPoint } from './harness.mjs';

const env = withBrowser();

const quickLink =
  '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=2&seed=7&be=cpu';

/** Pixels of the first run's colour (PALETTE[0], rgb(37, 99, 235)) drawn on a canvas. */
const runPixels = (page, label) =>
  page.getByLabel(label, { exact: true }).evaluate((canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - 37) < 30 && Math.abs(data[i + 1] - 99) < 30 && Math.abs(data[i + 2] - 235) < 30) n++;
    }
    return n;
  });

/** Clicks `button` and returns the downloaded file's name and bytes. */
async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), bytes: fs.readFileSync(path) };
}

test('each lesson opens with its question, its hidden controls absent and its locked ones disabled', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url);
  await page.getByLabel('Model cost').waitFor();
  const picker = page.getByLabel('Choose a lesson', { exact: true });
  const lessons = await picker.locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  assert.equal(lessons.length, 9);
  for (const id of lessons) {
    await picker.selectOption(id);
    const card = page.getByRole('region', { name: 'Lesson' });
    await card.waitFor();
    assert.match(await card.innerText(), /Question: .+\?/);
    // The address bar carries the lesson, its settings and its flags: it is the link to send.
    await page.waitForFunction((l) => location.hash.includes(`lesson=${l}`) && location.hash.includes('hide='), id);
    const hash = decodeURIComponent(new URL(page.url()).hash);
    const hidden = hash.match(/hide=([a-z,]+)/)[1].split(',');
    const locked = (hash.match(/lock=([a-z,]+)/)?.[1] ?? '').split(',');
    // Every lesson hides the schedule and validation controls and locks the seed.
    assert.ok(hidden.includes('sched') && hidden.includes('val'), `${id}: ${hash}`);
    assert.equal(await page.getByLabel('Schedule', { exact: true }).count(), 0, id);
    assert.equal(await page.getByLabel('Validation share', { exact: true }).count(), 0, id);
    assert.ok(locked.includes('seed'));
    assert.equal(await page.getByLabel('Seed', { exact: true }).isDisabled(), true, id);
    // What a lesson is about stays editable.
    const open = { 'batch-size': 'Batch size', 'learning-rate': 'Learning rate', overfitting: 'Weight decay (L2)', 'depth-width': 'Add layer', compression: 'Train', initialisation: 'Initialisation', 'cat-detector': 'Loss and output', distillation: 'Teacher', robustness: 'Adversarial training' }[id];
    const control = open === 'Add layer' || open === 'Train'
      ? page.getByRole('button', { name: open, exact: true })
      : page.getByLabel(open, { exact: true });
    assert.equal(await enabledSoon(control), true, `${id}: ${open} can be changed`);
    if (id === 'learning-rate') await screenshot(page, 'lesson-learning-rate');
  }
  // A lesson sent as a link opens the same way in a fresh tab.
  const other = await newPage(env.browser);
  await other.goto(env.server.url + '#lesson=overfitting');
  await other.getByRole('region', { name: 'Lesson' }).getByText('Overfitting, and what helps').waitFor();
  assert.equal(await other.getByLabel('Dataset', { exact: true }).inputValue(), 'emoji');
  // Leaving the lesson shows every control again.
  await other.getByRole('button', { name: /Leave the lesson/ }).click();
  await other.getByLabel('Schedule', { exact: true }).waitFor();
  assert.equal(await other.getByLabel('Seed', { exact: true }).isDisabled(), false);
  assert.doesNotMatch(other.url(), /lesson=|hide=/);
  assert.deepEqual(page.errors, []);
});

test('teacher mode: a link hides and locks the controls it names, and the teacher panel writes such links', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + quickLink + '&hide=opt,lr,sweep&lock=bs,layers');
  await page.getByLabel('Model cost').waitFor();
  assert.equal(await page.getByLabel('Optimizer', { exact: true }).count(), 0);
  assert.equal(await page.getByLabel('Learning rate', { exact: true }).count(), 0);
  assert.equal(await page.getByRole('group', { name: 'Sweep' }).isVisible(), false);
  assert.equal(await page.getByLabel('Batch size', { exact: true }).isDisabled(), true);
  assert.equal(await page.getByRole('button', { name: 'Add layer' }).isDisabled(), true);
  assert.equal(await page.getByLabel('Epochs', { exact: true }).isDisabled(), false);
  // Locked is locked for the keyboard too: typing changes nothing.
  await page.getByLabel('Batch size', { exact: true }).press('Backspace').catch(() => {});
  assert.match(page.url(), /bs=64/);
  // The teacher panel adds a flag; the address bar (the link to send) follows.
  await page.getByText('Teacher mode: hide or lock controls').click();
  await page.getByLabel('Hide Epochs', { exact: true }).check();
  await page.waitForFunction(() => /hide=[a-z,]*ep/.test(location.hash));
  assert.equal(await page.getByLabel('Epochs', { exact: true }).count(), 0);
  await page.getByLabel('Hide Epochs', { exact: true }).uncheck();
  await page.getByLabel('Epochs', { exact: true }).waitFor();
  const errors = await newPage(env.browser);
  await errors.goto(env.server.url + quickLink + '&hide=opt,colour');
  assert.match(await errors.locator('.notice.error').innerText(), /hide: 'colour' is not a control/);
  assert.deepEqual(page.errors, []);
});

test('a link with a result opens with its charts drawn and no training; re-running reproduces the curve', async (t) => {
  const sender = await newPage(env.browser);
  await sender.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.server.url });
  await sender.goto(env.server.url + quickLink);
  await sender.getByRole('button', { name: 'Train', exact: true }).click();
  const [sent] = await waitForRuns(sender, 1);
  const sentSteps = JSON.parse((await download(sender, sender.getByRole('button', { name: 'Export runs (JSON)' }))).bytes).runs[0].steps;
  await sender.getByRole('button', { name: 'Copy link with result' }).click();
  await sender.getByText('Link copied: it opens with these charts').waitFor();
  const link = await sender.evaluate(() => navigator.clipboard.readText());
  assert.ok(link.length < 2000, `${link.length} characters`);
  t.diagnostic(`a 2-epoch run's link with its result: ${link.length} characters`);
  assert.match(link, /&r=Bcpu~Zf~A\d+/);

  const receiver = await newPage(env.browser);
  await receiver.goto(link);
  const [row] = await waitForRuns(receiver, 1, 10_000);
  assert.match(row, /finished\s+shared result/);
  const [, validation, testAccuracy] = sent.match(/finished\t([\d.]+ %)\t([\d.]+ %)/);
  assert.ok(row.includes(`${validation}\t${testAccuracy}`), `${row} vs ${sent}`);
  const details = receiver.getByLabel('Run details');
  assert.match(await details.innerText(), /Shared result — re-run to verify/);
  // The curves are drawn from the link alone: nothing trained, no progress bar.
  await receiver.waitForFunction(() => document.querySelector('.legend')?.innerText.includes('run 1'));
  await receiver.waitForTimeout(700); // the painter's next frame
  assert.ok((await runPixels(receiver, 'Loss against step')) > 200, 'the loss curve is drawn');
  assert.equal(await receiver.getByLabel('Training progress').count(), 0);
  assert.equal(await receiver.evaluate(() => performance.getEntriesByName('tradeoff:run-finished').length), 0);
  await screenshot(receiver, 'shared-result');
  // Opening the same link again does not add the result twice.
  await receiver.goto('about:blank');
  await receiver.goto(link);
  await waitForRuns(receiver, 1, 10_000);
  await receiver.waitForTimeout(500);
  assert.equal(await receiver.locator('table.runs tbody tr').count(), 1);
  // Re-run: same seed, same backend → the same figures as the sender's, and on the CPU the
  // same curve: every recorded step's loss, bit for bit.
  assert.match(await details.innerText(), /on the CPU the curve repeats exactly/);
  await receiver.getByRole('button', { name: 'Re-run it here' }).click();
  const rows = await waitForRuns(receiver, 2);
  assert.doesNotMatch(rows[1], /shared/);
  assert.ok(rows[1].includes(`finished\t${validation}\t${testAccuracy}`), `${rows[1]} vs ${sent}`);
  const rerun = JSON.parse((await download(receiver, receiver.getByRole('button', { name: 'Export runs (JSON)' }))).bytes).runs[1];
  assert.ok(sentSteps.length > 20, `${sentSteps.length} steps`);
  assert.deepEqual(rerun.steps.map((s) => s.loss), sentSteps.map((s) => s.loss));
  assert.deepEqual(receiver.errors, []);
});

test('all runs export as JSON and import back identical; the table as CSV; charts as PNG and SVG; the model as safetensors; a bad file changes nothing', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + quickLink.replace('ep=2', 'ep=1'));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForRuns(page, 1);
  await page.getByLabel('Learning rate', { exact: true }).fill('0.003');
  await page.getByLabel('Learning rate', { exact: true }).blur();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForRuns(page, 2);

  const json = await download(page, page.getByRole('button', { name: 'Export runs (JSON)' }));
  assert.match(json.name, /^tradeoff-runs-\d{4}-\d\d-\d\d-\d{4}\.json$/);
  const exported = JSON.parse(json.bytes.toString());
  assert.equal(exported.format, 'tradeoff-runs');
  assert.equal(exported.runs.length, 2);
  assert.equal(exported.runs[1].config.optimizer.learning_rate, 0.003);

  const csv = (await download(page, page.getByRole('button', { name: 'Download table (CSV)' }))).bytes.toString();
  const lines = csv.trim().split('\r\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^run,status,dataset,layers,/);
  assert.match(lines[2], /^2,finished,mnist,d32,adam,0\.003,64,1,/);

  const png = await download(page, page.getByRole('button', { name: 'Save the loss chart as PNG' }));
  assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.ok(png.bytes.length > 5000, `${png.bytes.length} bytes`);
  // The same chart as a drawing: the curves as paths, the axis labels as text.
  const svg = (await download(page, page.getByRole('button', { name: 'Save the loss chart as SVG' }))).bytes.toString();
  assert.match(svg, /^<svg[^>]+width="560" height="260"/);
  assert.ok((svg.match(/<polyline/g) ?? []).length >= 4, 'grid, axes and two runs\' curves');
  assert.match(svg, /<text[^>]*>Step<\/text>/);
  assert.match(svg, /<text[^>]*transform="rotate\(-90[^>]*>Cross-entropy loss<\/text>/);
  const tradeoff = (await download(page, page.getByRole('button', { name: 'Save the trade-off chart as SVG' }))).bytes.toString();
  assert.equal((tradeoff.match(/<circle/g) ?? []).length, 2, 'one point per run');

  // The trained model: safetensors, every weight of the d32 model, its settings inside.
  const model = await download(page, page.getByRole('button', { name: 'Download model' }));
  assert.match(model.name, /^tradeoff-run-2-.+\.safetensors$/);
  const headerLength = Number(model.bytes.readBigUInt64LE(0));
  const header = JSON.parse(model.bytes.subarray(8, 8 + headerLength).toString());
  assert.equal(header.__metadata__.format, 'tradeoff-model');
  assert.match(header.__metadata__.link, /layers=d32&opt=adam&lr=3e-3/);
  const weights = Object.entries(header).filter(([k]) => k !== '__metadata__')
    .reduce((n, [, t]) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(weights, 25_450);
  assert.equal(model.bytes.length, 8 + headerLength + weights * 4);

  // A fresh browser profile: import, then export again.
  const other = await newPage(env.browser);
  await other.goto(env.server.url);
  await other.getByLabel('Model cost').waitFor();
  await other.getByLabel('Runs file to import').setInputFiles({ name: 'runs.json', mimeType: 'application/json', buffer: json.bytes });
  await other.getByText('runs.json: 2 of 2 runs added').waitFor();
  const rows = await waitForRuns(other, 2);
  assert.match(rows[1], /finished/);
  const again = await download(other, other.getByRole('button', { name: 'Export runs (JSON)' }));
  assert.deepEqual(JSON.parse(again.bytes.toString()).runs, exported.runs);
  // The same file again adds nothing; a bad one is refused and the runs stay.
  await other.getByLabel('Runs file to import').setInputFiles({ name: 'runs.json', mimeType: 'application/json', buffer: json.bytes });
  await other.getByText('0 of 2 runs added (2 were already here)').waitFor();
  await other.getByLabel('Runs file to import').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
  await other.getByText('notes.json was not imported: it is not a Tradeoff runs file').waitFor();
  await other.reload();
  await waitForRuns(other, 2);
  await other.waitForTimeout(300);
  assert.equal(await other.locator('table.runs tbody tr').count(), 2);
  assert.deepEqual(other.errors, []);
});

test('a link that mail and chat programs rewrote (percent-encoded, &amp;) opens as its author wrote it', async () => {
  const written = '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=32&ep=1&seed=7&be=cpu&hide=opt,lr&lock=bs';
  const rewritten = {
    // Teams / Outlook Safe Links: separators percent-encoded.
    teams: '#' + written.slice(1).replace(/[&=,]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()),
    // Gmail, copied from an HTML message: '&' as '&amp;', commas encoded.
    gmail: written.replace(/&/g, '&amp;').replace(/,/g, '%2C'),
    // WeChat: encoded twice, with its own keys appended.
    wechat: '#' + encodeURIComponent(encodeURIComponent(written.slice(1))) + '&from=singlemessage&isappinstalled=0',
  };
  for (const [program, hash] of Object.entries(rewritten)) {
    const page = await newPage(env.browser);
    await page.goto(env.server.url + hash);
    await page.getByLabel('Model cost').waitFor();
    assert.equal(await page.getByLabel('Batch size', { exact: true }).inputValue(), '32', program);
    assert.equal(await page.getByLabel('Batch size', { exact: true }).isDisabled(), true, `${program}: bs locked`);
    assert.equal(await page.getByLabel('Learning rate', { exact: true }).count(), 0, `${program}: lr hidden`);
    assert.equal(await page.locator('.notice.error').count(), 0, program);
    // The address bar is rewritten in the page's own form.
    assert.ok(page.url().includes('&bs=32&'), `${program}: ${page.url()}`);
    assert.deepEqual(page.errors, [], program);
  }
});

test('a run the command-line runner trained imports beside the browser\'s runs, saying where it ran', async () => {
  // The runner that scripts/test builds (its native tests run first, in the shared target dir).
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const runner = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug', 'tradeoff');
  assert.ok(fs.existsSync(runner), `${runner} is missing: build it with cargo build -p tradeoff-cli`);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runner-')), 'runs.json');
  execFileSync(runner, ['train', '--url', '#v=1&ds=mnist&in=28x1&layers=c8k3-p2-d32&opt=adam&lr=1e-3&bs=64&ep=1&seed=7',
    '--backend', 'cpu', '--export', file, '--quiet']);
  const page = await newPage(env.browser);
  await page.goto(env.server.url + quickLink);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForRuns(page, 1);
  await page.getByLabel('Runs file to import').setInputFiles(file);
  await page.getByText('runs.json: 1 of 1 runs added').waitFor();
  const rows = await page.locator('table.runs tbody tr').allInnerTexts();
  assert.equal(rows.length, 2);
  // The Backend column tells the browser's run from the one trained on this machine natively.
  assert.match(rows[0], /cpu \(flex\)/);
  assert.doesNotMatch(rows[0], /command line/);
  assert.match(rows[1], /native \(command line\)/);
  // Both are points on the trade-off chart; the imported one, hovered, says where it ran.
  await page.waitForFunction(() => document.querySelector('.tradeoff canvas')?.dataset.points === '2');
  const hovered = await hoverPoint(page, 'Run 2');
  assert.match(hovered, /^Run 2: .* · cpu \(flex\), native \(command line\)/);
  await screenshot(page, 'runner-run-imported');
  assert.deepEqual(page.errors, []);
});
