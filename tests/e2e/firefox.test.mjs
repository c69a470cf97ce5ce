// The main flow in a second browser engine: Debian's Firefox ESR, driven over WebDriver BiDi by
// puppeteer-core (no browser download). Load, train on the CPU, add photos, share and reopen a
// link, reload offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { startServer, outDir } from './harness.mjs';

const photos = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'photos');
const firefox = ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find((p) => fs.existsSync(p));
const quickLink = '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=1&seed=7&be=cpu';

/** Debian's Firefox, headless, a fresh profile, nothing fetched in the background. */
function launchFirefox() {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: firefox,
    headless: true,
    userDataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tradeoff-firefox-')),
    extraPrefsFirefox: {
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'browser.safebrowsing.malware.enabled': false,
      'browser.safebrowsing.phishing.enabled': false,
      'app.update.enabled': false,
      'intl.accept_languages': 'en-US',
    },
  });
}

/** A page whose errors are collected. */
async function openPage(browser) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1366, height: 900 });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  return page;
}

const byLabel = (label) => `[aria-label="${label}"]`;

/** Clicks the button whose text is `text` (within `scope`, a CSS selector). */
async function clickButton(page, text, scope = 'body') {
  const clicked = await page.evaluate((t, s) => {
    const b = [...document.querySelectorAll(`${s} button`)].find((e) => e.textContent.trim() === t && !e.disabled);
    b?.click();
    return Boolean(b);
  }, text, scope);
  assert.ok(clicked, `an enabled button "${text}"`);
}

/** Types into a labelled field and commits it. */
async function setField(page, label, value) {
  await page.$eval(byLabel(label), (e, v) => {
    e.value = v;
    e.dispatchEvent(new Event('input', { bubbles: true }));
    e.dispatchEvent(new Event('change', { bubbles: true }));
  }, String(value));
}

/** Waits for `count` rows in the runs table and returns their texts. */
async function waitForRuns(page, count, timeout = 300_000) {
  await page.waitForFunction((n) => document.querySelectorAll('table.runs tbody tr').length >= n, { timeout, polling: 500 }, count);
  return page.$$eval('table.runs tbody tr', (rows) => rows.map((r) => r.innerText));
}

/** Waits until the Train button can be pressed. */
const trainReady = (page) => page.waitForFunction(() =>
  [...document.querySelectorAll('.action-bar button')].some((b) => b.textContent.trim() === 'Train' && !b.disabled), { timeout: 60_000 });

test('Firefox: load, train on the CPU, add photos, share and reopen a link, reload offline', { skip: !firefox && 'no Firefox installed' }, async (t) => {
  const server = await startServer();
  const browser = await launchFirefox();
  t.diagnostic(`browser: ${await browser.version()}`);
  try {
    // Load and train on the CPU.
    const page = await openPage(browser);
    await page.goto(server.url + quickLink);
    await page.waitForSelector(byLabel('Model cost'));
    await trainReady(page);
    await clickButton(page, 'Train', '.action-bar');
    const [row] = await waitForRuns(page, 1);
    assert.match(row, /finished/);
    // The test accuracy is the cell's first line (accuracy under noise and attack follow).
    const accuracy = Number(row.split('\t')[4].split('\n')[0].replace(/[^0-9.]/g, ''));
    assert.ok(accuracy > 80, `MNIST test accuracy after one epoch: ${accuracy} %`);

    // The address bar holds the settings: a new tab with the link opens them.
    await setField(page, 'Batch size', 32);
    await page.waitForFunction(() => location.hash.includes('bs=32'));
    const link = await page.evaluate(() => location.href);
    const reopened = await openPage(browser);
    await reopened.goto(link);
    await reopened.waitForSelector(byLabel('Batch size'));
    assert.equal(await reopened.$eval(byLabel('Batch size'), (e) => e.value), '32');
    await reopened.close();

    // Own photos, through the file inputs, in two classes; then they train.
    await page.select(byLabel('Dataset'), 'local');
    await page.waitForSelector(byLabel('Your images'));
    await page.waitForFunction(() => !document.body.innerText.includes('Reading your images…'));
    for (const cls of ['brick', 'grass']) {
      await page.type(byLabel('New class name'), cls);
      await clickButton(page, 'Add class');
      const input = await page.waitForSelector(byLabel(`Add images to ${cls}`));
      const files = fs.readdirSync(path.join(photos, cls)).sort().slice(0, 8).map((f) => path.join(photos, cls, f));
      await input.uploadFile(...files);
      await page.waitForFunction((c) => [...document.querySelectorAll('li.own-class')].some((li) =>
        li.querySelector('input.class-name-input')?.value === c && li.querySelector('.class-count')?.textContent.startsWith('8')), { timeout: 60_000 }, cls);
    }
    await setField(page, 'Epochs', 3);
    await setField(page, 'Batch size', 8);
    await trainReady(page);
    await clickButton(page, 'Train', '.action-bar');
    const rows = await waitForRuns(page, 2);
    assert.match(rows[1], /finished/);
    fs.mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: path.join(outDir, 'firefox-own-images.png'), fullPage: true });

    // Offline: the service worker keeps the page; with the server gone it reloads and trains.
    await page.goto(server.url + quickLink);
    await page.waitForSelector('.classes li');
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, server.url);
    await server.close();
    await page.reload();
    await page.waitForSelector('h1');
    await page.waitForSelector('.classes li', { timeout: 30_000 });
    await trainReady(page);
    await clickButton(page, 'Train', '.action-bar');
    const offline = await waitForRuns(page, 3);
    assert.match(offline[2], /finished/);
    assert.deepEqual(page.errors.filter((e) => !/NetworkError|Failed to load|fetch/i.test(e)), []);
  } finally {
    await browser.close();
    await server.close().catch(() => {});
  }
});
