// Hostile input and privacy: the page's Content-Security-Policy holds, text from links is
// never run as HTML, and a whole session talks to nobody but the page's own origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, newPage, waitForRuns } from './harness.mjs';

const env = withBrowser();

const hostile = '<img src=x onerror="window.__xss=(window.__xss||0)+1">';

test('the Content-Security-Policy forbids eval and stray inline scripts, and the page still runs', async () => {
  const page = await newPage(env.browser);
  const violations = [];
  await page.exposeFunction('__violation', (v) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => window.__violation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(env.server.url);
  await page.getByRole('list', { name: 'Classes' }).getByRole('listitem').first().waitFor();
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/);
  assert.doesNotMatch(policy, /'unsafe-eval'|script-src[^;]*'unsafe-inline'/);
  assert.deepEqual(violations, [], 'the page itself needs nothing the policy forbids');
  // What an injected payload would try: an inline script, and code from a string (the page
  // compiles the timer's string itself, so the policy applies to it).
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__ran = true';
    document.body.append(s);
    setTimeout('window.__timer = true', 0);
  });
  await page.waitForTimeout(300);
  assert.deepEqual(await page.evaluate(() => [window.__ran, window.__timer]), [undefined, undefined]);
  assert.equal(violations.filter((v) => v.startsWith('script-src')).length, 2, violations.join('\n'));
});

test('HTML in a link is shown as text and never runs', async () => {
  const page = await newPage(env.browser);
  const key = encodeURIComponent(hostile);
  // As an unknown setting's name, and as the values of known settings.
  for (const [hash, shown] of [
    [`#v=1&${key}=1`, /ignored: (<|%3C)img/i],
    [`#v=1&lr=${key}&ds=${key}`, /lr: '(<|%3C)img.*ds: '(<|%3C)img/i],
  ]) {
    await page.goto(env.server.url + hash);
    await page.reload(); // a hash-only change does not reload the page
    const notices = page.locator('.notice');
    await notices.first().waitFor();
    const text = (await notices.allInnerTexts()).join('\n');
    // Shown as text (the browser keeps `<` percent-encoded in the address's hash).
    assert.match(text, shown, text);
  }
  await page.waitForTimeout(500);
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no element was made from it');
  assert.equal(await page.evaluate(() => window.__xss), undefined);
});

test('a whole session (load, switch data, train, share, export) requests nothing from another origin', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1366, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.server.url });
  const urls = [];
  context.on('request', (r) => urls.push(r.url()));
  const page = await context.newPage();
  try {
    await page.goto(env.server.url + '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=1&seed=7&be=auto');
    await page.getByLabel('Dataset', { exact: true }).selectOption('fashion-mnist');
    await page.getByRole('list', { name: 'Classes' }).getByRole('listitem', { name: /Ankle boot/ }).waitFor();
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitForRuns(page, 1);
    await page.getByRole('button', { name: 'Copy link', exact: true }).click();
    assert.match(await page.evaluate(() => navigator.clipboard.readText()), /ds=fashion-mnist/);
    await page.getByRole('button', { name: 'Copy link with result' }).click();
    assert.match(await page.evaluate(() => navigator.clipboard.readText()), /&r=/);
    // Export: every file is made in the page (blob: and data: URLs), none fetched.
    for (const name of ['Export runs (JSON)', 'Download table (CSV)', 'Save the loss chart as PNG', 'Save the trade-off chart as SVG']) {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name }).click()]);
      assert.ok((await file.path()) !== null, name);
    }
  } finally {
    await context.close();
  }
  const origin = new URL(env.server.url).origin;
  const elsewhere = urls.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.ok(urls.some((u) => u.endsWith('/datasets/fashion-mnist.tds')), 'the worker\'s requests are seen too');
  assert.deepEqual(elsewhere, []);
});
