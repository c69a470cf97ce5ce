// Shared set-up for the browser tests: a static server for dist/ (with the headers the real
// deployment sends) and Debian's headless Chromium driven by playwright-core.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after, afterEach } from 'node:test';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dist = path.join(root, 'dist');
export const outDir = path.join(root, 'tests', 'out');

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json',
  '.tds': 'application/octet-stream',
};

/**
 * Serves dist/ on a free loopback port; records every request path. `mounts` maps further URL
 * prefixes to folders (the benchmark serves TensorFlow.js this way). With `plain`, dist/ is
 * served as a bare static host does (GitHub Pages, `python3 -m http.server`): under the folder
 * `plain.prefix`, with a content type and nothing else (no COOP/COEP/CORP headers).
 */
export async function startServer(mounts = {}, plain = null) {
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    throw new Error('dist/index.html is missing: build the page first (scripts/test does)');
  }
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url);
    let clean = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (plain) {
      if (!clean.startsWith(plain.prefix)) { res.writeHead(404).end('not found'); return; }
      clean = '/' + clean.slice(plain.prefix.length);
    }
    const mount = Object.keys(mounts).find((prefix) => clean.startsWith(prefix));
    const base = mount ? mounts[mount] : dist;
    let file = path.normalize(path.join(base, mount ? clean.slice(mount.length) : clean));
    if (!file.startsWith(base)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file)) { res.writeHead(404).end('not found'); return; }
    const isolation = plain ? {} : {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    res.writeHead(200, {
      'Content-Type': types[path.extname(file)] ?? 'application/octet-stream',
      ...isolation,
      'Content-Length': fs.statSync(file).size,
    });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}${plain ? plain.prefix : '/'}`;
  // Closing also drops kept-alive connections, so a closed server is really gone (offline test).
  const close = () => new Promise((r) => { server.close(r); server.closeAllConnections(); });
  return { url, requests, close };
}

/** Debian's Chromium, headless, with no background networking. */
export async function launch({ webgpu = false } = {}) {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  const args = [
    '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-gpu-sandbox',
    // A synthetic camera (a moving test pattern), allowed without a prompt, for the webcam.
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu', '--enable-unsafe-swiftshader');
  return chromium.launch({ executablePath, headless: true, args, chromiumSandbox: false });
}

const contexts = [];

/** Closes every page opened so far (so no worker keeps training into the next test). */
export async function closePages() {
  while (contexts.length) await contexts.pop().close();
}

/** A fresh page whose console errors and page errors are collected. */
export async function newPage(browser, viewport = { width: 1366, height: 900 }, options = {}) {
  // `locale` sets the browser's preferred languages (navigator.languages), as a user's would be.
  const context = await browser.newContext({ viewport, locale: 'en-US', ...options });
  contexts.push(context);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  return page;
}

/** Saves a full-page screenshot under tests/out/. */
export async function screenshot(page, name) {
  fs.mkdirSync(outDir, { recursive: true });
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
}

/** Waits until the runs table has `count` rows and returns their texts. */
export async function waitForRuns(page, count, timeout = 600_000) {
  const rows = page.locator('table.runs tbody tr');
  await page.waitForFunction(
    (n) => document.querySelectorAll('table.runs tbody tr').length >= n,
    count,
    { timeout, polling: 500 },
  );
  return rows.allInnerTexts();
}

/** A percentage as the page writes it ("93.2 %"), as 0..1; NaN for "—". */
const share = (text) => (text && text !== '—' ? Number(text.replace(' %', '')) / 100 : NaN);

/**
 * The runs table as objects: id, what changed, status, test accuracy and, beneath it, accuracy
 * under noise and under attack (0..1, NaN where not measured), parameters.
 */
export async function runsTable(page) {
  const rows = await page.locator('table.runs tbody tr').allInnerTexts();
  return rows.map((row) => {
    const cells = row.split('\t').map((c) => c.trim());
    // "93.2 %", then "noise 76.4 %" and "attack 61.8 %", one per line.
    const [test, ...robust] = cells[4].split('\n').map((l) => l.trim());
    const under = (word) => share(robust.find((l) => l.startsWith(word))?.slice(word.length + 1));
    return {
      id: Number(cells[0]),
      changed: cells[1],
      status: cells[2],
      test: share(test),
      noise: under('noise'),
      attack: under('attack'),
      // "27,562", "429 k FLOPs" and "110 KB", one per line: parameters, FLOPs and size share a cell.
      params: Number(cells[7].split('\n')[0].replace(/,/g, '')),
    };
  });
}

/**
 * Moves the mouse over the trade-off chart until the hover text starts with `prefix` (a run's
 * point: "Run 2"), and returns that text ('' if no point says so).
 */
export async function hoverPoint(page, prefix) {
  await page.locator('.tradeoff canvas').scrollIntoViewIfNeeded();
  const box = await page.locator('.tradeoff canvas').boundingBox();
  const tip = page.locator('p.tooltip');
  for (let y = box.y + 4; y < box.y + box.height; y += 8) {
    for (let x = box.x + 4; x < box.x + box.width; x += 8) {
      await page.mouse.move(x, y);
      const text = await tip.innerText();
      if (text.startsWith(prefix)) return text;
    }
  }
  return '';
}

/** Types into a labelled field and commits it (the page reads fields on change). */
export async function setField(page, label, value) {
  const field = page.getByLabel(label, { exact: true });
  await field.fill(String(value));
  await field.blur();
}

/**
 * Registers a test file's set-up: a server for dist/ and a browser before the tests, pages
 * closed after each, everything shut after all. Returns the object that holds them.
 */
export function withBrowser(options = {}) {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await startServer();
    env.browser = await launch(options);
  });
  afterEach(closePages);
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** Whether `locator` becomes enabled within `timeout` ms (the page enables Train once it has
 * read the runs kept from earlier visits, a few milliseconds after it renders). */
export async function enabledSoon(locator, timeout = 5000) {
  const until = Date.now() + timeout;
  while (!(await locator.isEnabled()) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return locator.isEnabled();
}

/** Throws an uncaught error inside the running training worker `build` (`worker` or
 * `webgpu_worker`), as a bug in it would, and returns the crash panel once the page shows it. */
export async function crashWorker(page, build) {
  const worker = page.workers().find((w) => w.url().endsWith(`?${build}`));
  if (!worker) throw new Error(`no ${build} running: ${page.workers().map((w) => w.url())}`);
  await worker.evaluate(() => setTimeout(() => { throw new Error('simulated worker fault'); }));
  const panel = page.getByRole('alert').filter({ hasText: 'crashed' });
  await panel.waitFor();
  return panel;
}
