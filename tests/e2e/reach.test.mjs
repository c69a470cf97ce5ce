// What a user reaches first: Train, Pause, Stop and the run's progress in view without
// scrolling on a classroom projector (1366×768) and a phone (390 px wide), wherever the page is
// scrolled; and the built page on a bare static host (a sub-folder, no special headers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, newPage, closePages, startServer, waitForRuns, outDir } from './harness.mjs';

const quickLink = '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=2&seed=7&be=cpu';

/** Where `name`'s button is, and whether it is wholly in the window and not covered. */
const inView = (page, selector) => page.evaluate((sel) => {
  const e = document.querySelector(sel);
  if (!e) return { found: false };
  const r = e.getBoundingClientRect();
  const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
  return {
    found: true,
    visible: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth,
    uncovered: top === e || e.contains(top),
    box: [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)],
  };
}, selector);

/** A screenshot of what the window shows (not the whole page). */
async function windowShot(page, name) {
  fs.mkdirSync(outDir, { recursive: true });
  await page.screenshot({ path: path.join(outDir, `${name}.png`) });
}

for (const [name, viewport] of [['projector', { width: 1366, height: 768 }], ['phone', { width: 390, height: 844 }]]) {
  test(`${name} (${viewport.width}×${viewport.height}): Train, Pause, Stop and the progress stay in view`, async () => {
    const server = await startServer();
    const browser = await launch();
    try {
      const page = await newPage(browser, viewport, { isMobile: name === 'phone', hasTouch: name === 'phone' });
      await page.goto(server.url + quickLink);
      await page.getByLabel('Model cost').waitFor();
      const bar = page.getByRole('region', { name: 'Run' });
      const buttons = ['Train', 'Pause', 'Stop'];
      const selectorOf = (label) => `.action-bar button:nth-of-type(${buttons.indexOf(label) + 1})`;
      // At the top, in the middle and near the end of the page.
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      assert.ok(height > viewport.height * 2, `the page is long enough to test: ${height} px`);
      for (const y of [0, Math.round(height / 2), height - viewport.height - 200]) {
        await page.evaluate((top) => window.scrollTo(0, top), y);
        for (const label of buttons) {
          assert.equal(await bar.getByRole('button', { name: label, exact: true }).count(), 1);
          const where = await inView(page, selectorOf(label));
          assert.ok(where.visible && where.uncovered, `${label} at scroll ${y}: ${JSON.stringify(where)}`);
        }
      }
      await page.evaluate(() => window.scrollTo(0, 0));
      await windowShot(page, `reach-${name}-idle`);
      // Train from wherever the page is: the progress shows in the bar, in view.
      await page.evaluate((top) => window.scrollTo(0, top), Math.round(height / 2));
      await bar.getByRole('button', { name: 'Train', exact: true }).click();
      await page.getByLabel('Training progress').waitFor();
      await page.getByText(/Epoch \d of 2, step \d+ of \d+/).waitFor();
      const progress = await inView(page, '.action-bar progress');
      assert.ok(progress.visible && progress.uncovered, `progress: ${JSON.stringify(progress)}`);
      assert.ok(await bar.getByRole('button', { name: 'Stop', exact: true }).isEnabled());
      await windowShot(page, `reach-${name}-training`);
      await waitForRuns(page, 1);
      assert.deepEqual(page.errors, []);
    } finally {
      await closePages();
      await browser.close();
      await server.close();
    }
  });
}

test('on a bare static host (a sub-folder, no COOP/COEP/CSP headers) the page trains, reopens its link and works offline', async () => {
  const server = await startServer({}, { prefix: '/tradeoff/' });
  const browser = await launch();
  try {
    const page = await newPage(browser);
    const response = await page.goto(server.url + quickLink);
    const headers = response.headers();
    assert.equal(headers['cross-origin-opener-policy'], undefined);
    assert.equal(headers['content-security-policy'], undefined);
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    const [row] = await waitForRuns(page, 1);
    assert.match(row, /finished/);
    // Every file came from the folder the page was published in.
    const outside = server.requests.filter((u) => !u.startsWith('/tradeoff/'));
    assert.deepEqual(outside, [], 'requests outside /tradeoff/');
    // The address bar holds the settings: a new tab with it opens them.
    await page.getByLabel('Batch size', { exact: true }).fill('32');
    await page.getByLabel('Batch size', { exact: true }).blur();
    await page.waitForFunction(() => location.hash.includes('bs=32'));
    const link = page.url();
    const again = await newPage(browser);
    await again.goto(link);
    assert.equal(await again.getByLabel('Batch size', { exact: true }).inputValue(), '32');
    // The service worker works from the sub-folder: the page reloads with the host gone.
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, server.url);
    await server.close();
    await page.reload();
    await page.getByRole('heading', { name: 'Tradeoff', level: 1 }).waitFor();
    await page.locator('.classes li').first().waitFor({ timeout: 30_000 });
    assert.deepEqual(page.errors.filter((e) => !/Failed to load resource/.test(e)), []);
    assert.deepEqual(again.errors, []);
  } finally {
    await closePages();
    await browser.close();
    await server.close().catch(() => {});
  }
});
