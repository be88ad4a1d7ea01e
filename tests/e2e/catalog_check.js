// Drives the dashboard's catalog in headless Chromium (playwright-core, Debian's
// /usr/bin/chromium): types WORD into the search box, clicks the first result, then opens the
// page of that result's view, and prints what was shown as one JSON object.
// Usage: node catalog_check.js URL WORD [SCREENSHOT_PATH]   (NODE_PATH: where playwright-core is)
'use strict';
const { chromium } = require('playwright-core');

async function main() {
  const [url, word, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.FST_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('requestfailed', (request) => errors.push('failed: ' + request.url()));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-loaded]', { timeout: 20000 });
    await page.fill('#catalog-search', word);
    await page.waitForSelector('#catalog-results tbody tr[data-name]', { timeout: 10000 });
    const results = await page.$$eval('#catalog-results tbody tr[data-name]',
        (rows) => rows.map((row) => [row.dataset.kind, row.dataset.name]));
    await page.click('#catalog-results tbody tr[data-name] a');
    await page.waitForSelector('body[data-object]', { timeout: 10000 });
    const object = await page.evaluate(() => document.body.dataset.object);
    const text = () => page.$eval('#object-page', (section) => section.innerText);
    const shown = { results, object, page: await text() };
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    const view = object.split(':')[0];
    await page.evaluate((name) => { location.hash = '#object/' + name; }, view);
    await page.waitForFunction((name) => document.body.dataset.object === name, view);
    shown.view_page = await text();
    shown.errors = errors;
    process.stdout.write(JSON.stringify(shown) + '\n');
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack || error) + '\n');
  process.exit(1);
});
