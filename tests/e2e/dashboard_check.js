// Opens the dashboard of a running `featherstone serve` in headless Chromium (playwright-core,
// Debian's /usr/bin/chromium) and prints what the page shows as one JSON object.
// Usage: node dashboard_check.js URL SCREENSHOT_PATH   (NODE_PATH: where playwright-core is)
'use strict';
const { chromium } = require('playwright-core');

async function main() {
  const [url, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.FST_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('requestfailed', (request) => errors.push('failed: ' + request.url()));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-loaded]', { timeout: 20000 });
    const shown = await page.evaluate(() => ({
      loaded: document.body.dataset.loaded,
      status: document.getElementById('status').textContent,
      catalog: [...document.querySelectorAll('#catalog-table tbody tr')].map(
          (row) => [row.dataset.kind, row.dataset.name]),
      nodes: [...document.querySelectorAll('#lineage-svg .node')].map((g) => ({
        id: g.dataset.id, state: g.getAttribute('class') })),
      edges: [...document.querySelectorAll('#lineage-svg .edge')].map(
          (e) => [e.dataset.from, e.dataset.to]),
      charts: Object.fromEntries(Object.entries(window.fstCharts).map(
          ([source, chart]) => [source, chart.data.datasets.map((d) => d.data)])),
      skew: document.getElementById('skew-runs').textContent,
    }));
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
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
