// Accessibility: axe-core (npm) on the main screens, and the whole loop done with the keyboard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { withBrowser, newPage, waitForRuns } from './harness.mjs';

const env = withBrowser();
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const quickLink = '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=1&seed=7&be=cpu';

/** Serious and critical axe-core violations on the page as it is now, one line each. */
async function violations(page) {
  // DevTools evaluation is not bound by the page's Content-Security-Policy.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

test('axe-core finds no serious or critical problem on the main screens, light and dark', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const page = await newPage(env.browser);
    await page.emulateMedia({ colorScheme });
    await page.goto(env.server.url + quickLink);
    await page.locator('.classes li').first().waitFor();
    assert.deepEqual(await violations(page), [], `start page, ${colorScheme}`);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitForRuns(page, 1);
    await page.getByLabel('Run details').waitFor();
    assert.deepEqual(await violations(page), [], `after a run, ${colorScheme}`);
    await page.getByLabel('Choose a lesson', { exact: true }).selectOption('compression');
    await page.getByRole('region', { name: 'Lesson' }).waitFor();
    await page.getByText('Teacher mode: hide or lock controls').click();
    assert.deepEqual(await violations(page), [], `a lesson and teacher mode, ${colorScheme}`);
    await page.getByRole('button', { name: /Leave the lesson/ }).click();
    await page.getByLabel('Dataset', { exact: true }).selectOption('local');
    await page.getByRole('region', { name: 'Your images' }).waitFor();
    assert.deepEqual(await violations(page), [], `your own images, ${colorScheme}`);
  }
});

test('keyboard only: reach Train, run, open the details, with a visible focus ring', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url + quickLink);
  await page.getByLabel('Model cost').waitFor();
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    const style = getComputedStyle(e);
    return { text: (e.getAttribute('aria-label') || e.innerText || '').trim(), tag: e.tagName, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  });
  let current;
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press('Tab');
    current = await focused();
    if (current.tag === 'BUTTON' && current.text === 'Train') break;
  }
  assert.equal(current.text, 'Train', 'Train is reachable with Tab');
  assert.ok(current.outline !== 'none' && current.width >= 2, `focus is visible: ${JSON.stringify(current)}`);
  await page.keyboard.press('Enter');
  await waitForRuns(page, 1);
  // On to the run's details, still by keyboard.
  for (let i = 0; i < 200; i++) {
    await page.keyboard.press('Tab');
    current = await focused();
    if (current.text === 'Details of run 1') break;
  }
  assert.equal(current.text, 'Details of run 1');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Run 1 in detail' }).waitFor();
  assert.deepEqual(page.errors, []);
});
