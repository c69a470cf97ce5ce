// The interface in Chinese: chosen by the browser's language or the switch, every visible
// word translated, numbers in Chinese form, and nothing the user has lost on switching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, newPage, screenshot, waitForRuns, setField } from './harness.mjs';

const env = withBrowser();

const quickLink =
  '#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=1&seed=7&be=cpu';

// Names and notation that stay as they are in a Chinese interface: the product, datasets,
// optimizers, activations, file formats, units and backends.
const KEPT = [
  'He / Kaiming', 'Glorot / Xavier', 'Kaiming', 'Tradeoff', 'English', 'Fashion-MNIST', 'MNIST', 'Emoji', 'Unicode', 'WebGPU', 'CPU', 'GPU',
  'AdamW', 'Adam', 'SGD', 'ReLU', 'relu', 'gelu', 'GELU', 'tanh', 'sigmoid', 'JSON', 'CSV', 'PNG',
  'SVG', 'FLOPs', 'int8', 'RGB', 'RMSprop', 'Nesterov', 'safetensors', 'Burn', 'PyTorch', 'NumPy', 'zip', 'flex', 'cpu',
  'webgpu', 'KB', 'MB', 'L2', 'burn-store', 'Python', 'softmax', 'FGSM', 'CNN',
];

/**
 * Every English word a reader can see or hear on the page: text of visible elements, and the
 * accessible names, titles and placeholders of all of them. Links' own text (`#v=1&…`) and
 * the kept names above are left out.
 */
const englishWords = (page, kept) =>
  page.evaluate((kept) => {
    const found = new Set();
    const check = (text, where) => {
      let rest = text.replace(/#\S+/g, ' ');
      for (const k of kept) rest = rest.split(k).join(' ');
      for (const word of rest.match(/[A-Za-z]{2,}/g) ?? []) found.add(`${word} (${where.slice(0, 60)})`);
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const el = node.parentElement;
      if (!el || ['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName)) continue;
      if (!el.checkVisibility()) continue;
      check(node.textContent, node.textContent.trim());
    }
    for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
      for (const a of ['aria-label', 'title', 'placeholder']) {
        const v = el.getAttribute(a);
        if (v) check(v, `${a}="${v}"`);
      }
    }
    check(document.title, 'title');
    return [...found];
  }, kept);

test('switching language keeps what is typed but not yet taken', async () => {
  const page = await newPage(env.browser);
  await page.goto(`${env.server.url}${quickLink}`);
  await page.getByLabel('Model cost').waitFor();
  // A sweep's axis and values live in the sweep form alone until it runs.
  const sweep = page.getByRole('group', { name: 'Sweep' });
  await sweep.getByLabel('Vary 1').selectOption('bs');
  await setField(page, 'Values 1', '16, 96');
  const plan = await sweep.getByText(/\d+ runs? of 1 epoch each/).innerText();
  const runs = plan.match(/(\d+) runs?/)[1];
  // A number the page refused stays in its box with the reason, not in the settings.
  const rate = page.getByLabel('Learning rate', { exact: true });
  await rate.fill('abc');
  await rate.press('Tab');
  await page.getByText("'abc' is not a number").waitFor();

  await page.getByRole('button', { name: '中文' }).click();
  await page.getByRole('button', { name: '训练', exact: true }).waitFor();
  const zhSweep = page.getByRole('group', { name: '扫描' });
  await zhSweep.getByText(new RegExp(`${runs} 次运行`)).waitFor();
  assert.equal(await zhSweep.getByLabel('变化项 1').inputValue(), 'bs');
  assert.equal(await zhSweep.getByLabel('取值 1', { exact: true }).inputValue(), '16, 96');
  assert.equal(await page.getByLabel('学习率', { exact: true }).inputValue(), 'abc');
  await page.getByText('“abc”不是数字').waitFor();
  const hash = decodeURIComponent(new URL(page.url()).hash);
  assert.match(hash, /lr=1e-3/, 'the refused text was never taken');
  assert.doesNotMatch(hash, /abc/);
  await screenshot(page, 'chinese-kept-typing');
  assert.deepEqual(page.errors, []);
});

test('a Chinese browser gets the whole page in Chinese, numbers included', async () => {
  const page = await newPage(env.browser, undefined, { locale: 'zh-CN' });
  await page.goto(`${env.server.url}${quickLink}`);
  await page.getByLabel('模型成本').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  assert.equal(await page.getByRole('button', { name: '中文' }).getAttribute('aria-pressed'), 'true');

  await page.getByRole('button', { name: '训练', exact: true }).click();
  await waitForRuns(page, 1);
  await page.getByRole('button', { name: '运行 1 的详情' }).click();
  await page.getByRole('region', { name: '运行详情' }).waitFor();
  await page.locator('details.teacher summary').click();

  // Chinese number forms: no space before %, seconds as 秒.
  const row = page.locator('table.runs tbody tr').first();
  const cells = await row.locator('td').allInnerTexts();
  assert.ok(cells.some((c) => /^\d+\.\d%$/.test(c.trim())), `a percentage reads 97.4%: ${cells}`);
  assert.ok(cells.some((c) => /\d秒|\d \s?秒/.test(c)), `a time reads in 秒: ${cells}`);

  const words = await englishWords(page, KEPT);
  await screenshot(page, 'chinese');
  assert.deepEqual(words, [], `untranslated on the Chinese page:\n${words.join('\n')}`);
  assert.deepEqual(page.errors, []);
});

test('each lesson reads in Chinese', async () => {
  const page = await newPage(env.browser, undefined, { locale: 'zh-CN' });
  await page.goto(env.server.url);
  const picker = page.getByLabel('选择一节课', { exact: true });
  await picker.waitFor();
  const lessons = await picker.locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  assert.equal(lessons.length, 9);
  for (const id of lessons) {
    await picker.selectOption(id);
    const card = page.getByRole('region', { name: '课程' });
    await card.waitFor();
    assert.match(await card.innerText(), /问题：.+？/);
    const words = await englishWords(page, KEPT);
    assert.deepEqual(words, [], `${id}: untranslated:\n${words.join('\n')}`);
  }
});

test('the switch changes the language at once, keeps runs and settings, and is remembered', async () => {
  const page = await newPage(env.browser);
  await page.goto(`${env.server.url}${quickLink}`);
  await page.getByLabel('Model cost').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForRuns(page, 1);
  await setField(page, 'Batch size', 32);

  await page.getByRole('button', { name: '中文' }).click();
  await page.getByRole('button', { name: '训练', exact: true }).waitFor();
  assert.equal(await page.getByLabel('批大小', { exact: true }).inputValue(), '32');
  assert.equal(await page.locator('table.runs tbody tr').count(), 1, 'the run is still listed');
  assert.match(decodeURIComponent(new URL(page.url()).hash), /bs=32/);

  await page.reload();
  await page.getByRole('button', { name: '训练', exact: true }).waitFor();
  await waitForRuns(page, 1);

  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('button', { name: 'Train', exact: true }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  assert.equal(await page.getByLabel('Batch size', { exact: true }).inputValue(), '32');
  assert.deepEqual(page.errors, []);
});
