// Opens the dashboard of a running `featherstone serve` in headless Chromium (playwright-core,
// Debian's /usr/bin/chromium), visits each page and prints what it shows as one JSON object;
// saves a 1200x800 screenshot of each page into SHOT_DIR (dashboard-PAGE.png).
// Usage: node dashboard_check.js URL SHOT_DIR [SOURCE]   (NODE_PATH: where playwright-core is)
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');

async function main() {
  const [url, shotDir, source = 'orders'] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.FST_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const errors = [];
  const pages = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('requestfailed', (request) => errors.push('failed: ' + request.url()));
    const visible = (id) => page.evaluate((i) => {
      const section = document.getElementById(i);
      return section !== null && !section.hidden;
    }, id);
    // Follows an in-page link: sets the hash, waits until the page's section shows.
    const go = async (hash) => {
      await page.evaluate((h) => { location.hash = h; }, hash);
      const id = hash.slice(1).split('/')[0];
      await page.waitForFunction((i) => {
        const section = document.getElementById(i);
        return section !== null && !section.hidden;
      }, id, { timeout: 10000 });
    };
    const shoot = async (name) => {
      if (shotDir) await page.screenshot({ path: path.join(shotDir, `dashboard-${name}.png`) });
    };

    await page.goto(url + '#lineage', { waitUntil: 'load' });
    await page.waitForSelector('body[data-loaded]', { timeout: 20000 });
    pages.loaded = await page.evaluate(() => document.body.dataset.loaded);
    pages.status = await page.evaluate(() => document.getElementById('status').textContent);
    pages.lineage = await page.evaluate(() => ({
      nodes: [...document.querySelectorAll('#lineage-svg .node')].map((g) => ({
        id: g.dataset.id, state: g.getAttribute('class'), route: g.dataset.route })),
      edges: [...document.querySelectorAll('#lineage-svg .edge')].map(
          (e) => [e.dataset.from, e.dataset.to]),
    }));
    pages.lineage.visible = await visible('lineage');
    await shoot('lineage');

    await go('#catalog');
    pages.catalog = {
      visible: await visible('catalog'),
      rows: await page.evaluate(() => [...document.querySelectorAll('#catalog-table tbody tr')]
          .map((row) => [row.dataset.kind, row.dataset.name])),
    };
    await shoot('catalog');

    await go('#quality');
    await page.waitForTimeout(300);  // charts draw on the next frame once visible
    pages.quality = await page.evaluate(() => ({
      charts: Object.fromEntries(Object.entries(window.fstCharts).map(([s, charts]) => [
        s, Object.fromEntries(Object.entries(charts).map(([name, chart]) => [name, {
          labels: chart.data.labels,
          series: Object.fromEntries(chart.data.datasets.map((d) => [d.label, d.data])),
        }]))])),
      drift: [...document.querySelectorAll('.quality-source table')].map((t) => t.textContent),
      badges: [...document.querySelectorAll('.quality-source .badge')].map((b) => b.textContent),
      transitions: [...document.querySelectorAll('.breaker-transitions tr')].slice(1).map(
          (row) => [...row.children].map((td) => td.textContent)),
      quarantineLinks: [...document.querySelectorAll('.quarantine-link')].map(
          (a) => a.getAttribute('href')),
      summary: [...document.querySelectorAll('.quality-summary')].map((p) => p.textContent),
    }));
    pages.quality.visible = await visible('quality');
    await shoot('quality');

    await page.click(`.quality-source[data-source="${source}"] .quarantine-link`);
    await page.waitForSelector('#quarantine-table', { timeout: 10000 });
    pages.quarantine = await page.evaluate(() => ({
      hash: location.hash,
      header: [...document.querySelectorAll('#quarantine-table tr:first-child th')].map(
          (th) => th.textContent),
      rows: document.querySelectorAll('#quarantine-table tr').length - 1,
    }));
    pages.quarantine.visible = await visible('quarantine');
    await shoot('quarantine');

    await go('#freshness');
    pages.freshness = await page.evaluate(() => ({
      views: [...document.querySelectorAll('#freshness-table tr')].slice(1).map(
          (row) => [...row.children].map((td) => td.textContent)),
      streams: document.getElementById('freshness-streams').textContent,
    }));
    pages.freshness.visible = await visible('freshness');
    await shoot('freshness');

    // Clicking a node of the graph opens the object's page.
    await go('#lineage');
    await page.click(`#lineage-svg .node[data-id="source:${source}"]`);
    await page.waitForFunction((s) => location.hash === '#object/' + s, source, { timeout: 5000 });
    pages.clicked = { hash: await page.evaluate(() => location.hash),
                      lineageVisible: await visible('lineage') };
    await page.waitForSelector('#object-page:not([hidden]) .object-spec', { timeout: 10000 });
    await shoot('object');
    pages.errors = errors;
    process.stdout.write(JSON.stringify(pages) + '\n');
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack || error) + '\n');
  process.exit(1);
});
