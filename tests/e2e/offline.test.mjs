// After the first visit the page works offline: its service worker keeps the page, both wasm
// modules and the default dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, closePages, startServer, waitForRuns } from './harness.mjs';

test('after one visit, the page reloads and trains with the server gone', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const page = await newPage(browser);
    const link = server.url + '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=1&seed=7&be=cpu';
    await page.goto(link);
    // The first visit has shown the dataset (the worker kept it for offline use as it came).
    await page.locator('.classes li').first().waitFor();
    // The service worker is installed once its files are kept.
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, server.url);
    await server.close();
    // The server is gone for good: nothing answers on its port any more.
    await assert.rejects(fetch(server.url));
    await page.reload();
    await page.getByRole('heading', { name: 'Tradeoff', level: 1 }).waitFor();
    await page.locator('.classes li').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    const [row] = await waitForRuns(page, 1, 120_000);
    assert.match(row, /finished/);
    assert.deepEqual(page.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  } finally {
    await closePages();
    await browser.close();
    await server.close().catch(() => {});
  }
});
