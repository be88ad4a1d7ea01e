// The Featherstone dashboard, one page per hash route: #catalog (GET /features), #lineage
// (GET /api/lineage), #quality (GET /api/quality, /api/breakers, /api/quarantine),
// #quarantine/SOURCE (the quarantined rows), #freshness (GET /api/freshness) and #skew (GET
// /api/skew). A route shows the <section> of main whose id is its first part; #object/NAME
// belongs to catalog.js. With `serve --auth`, open /ui/#token=TOKEN: the token (scope
// `catalog`) is kept for the tab and sent as a bearer token.
'use strict';

const KINDS = ['source', 'feature_view', 'on_demand_feature_view', 'feature_service',
               'logged_requests', 'training_set'];
const KIND_LABELS = {
  source: 'source', feature_view: 'feature view', on_demand_feature_view: 'on-demand view',
  feature_service: 'feature service', logged_requests: 'logged requests',
  training_set: 'training set (outcomes)',
};
// Per source, its charts by name (rows, nulls, means, rules), for the browser test.
window.fstCharts = {};
const COLOURS = ['#0969da', '#1a7f37', '#bf3989', '#9a6700', '#8250df', '#cf222e', '#1b7c83'];

function token() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) sessionStorage.setItem('fst-token', decodeURIComponent(match[1]));
  return sessionStorage.getItem('fst-token');
}

async function getJson(path) {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  const response = await fetch(path, { headers });
  if (!response.ok) throw new Error(path + ': HTTP ' + response.status);
  return response.json();
}

function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svgElement(tag, attributes = {}, text) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function showCatalog() {
  const catalog = await getJson('/features');
  const body = document.querySelector('#catalog-table tbody');
  for (const [kind, objects] of Object.entries(catalog)) {
    for (const object of objects) {
      const row = element('tr', { 'data-kind': kind, 'data-name': object.name });
      row.append(element('td', {}, kind), element('td', {}, object.name),
                 element('td', {}, String(object.version)), element('td', {}, object.applied_at),
                 element('td', {}, (object.spec && object.spec.description) || ''));
      body.append(row);
    }
  }
}

function runText(run) {
  if (!run) return 'no run yet';
  let text = `${run.job} ${run.outcome} at ${run.time}`;
  if (run.rows !== null) text += `, ${run.rows} rows`;
  if (run.error) text += `: ${run.error}`;
  return text;
}

// The page a node opens: the object's catalog page (catalog.js), that of its service for the
// feedback nodes.
function nodeRoute(node) {
  return '#object/' + encodeURIComponent(node.name);
}

async function showLineage() {
  const graph = await getJson('/api/lineage');
  const columns = KINDS.map((kind) => graph.nodes.filter((n) => n.kind === kind))
                       .filter((column) => column.length > 0);
  const width = 190, height = 46, gapX = 90, gapY = 22;
  const place = {};
  columns.forEach((column, c) => column.forEach((node, r) => {
    place[node.id] = { x: 10 + c * (width + gapX), y: 10 + r * (height + gapY) };
  }));
  const rows = Math.max(1, ...columns.map((column) => column.length));
  const svg = svgElement('svg', {
    id: 'lineage-svg',
    width: 20 + columns.length * (width + gapX), height: 20 + rows * (height + gapY),
  });
  const defs = svgElement('defs');
  const marker = svgElement('marker', {
    id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6,
    orient: 'auto-start-reverse',
  });
  marker.append(svgElement('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8c959f' }));
  defs.append(marker);
  svg.append(defs);
  for (const edge of graph.edges) {
    const from = place[edge.from], to = place[edge.to];
    if (!from || !to) continue;
    const x1 = from.x + width, y1 = from.y + height / 2, x2 = to.x, y2 = to.y + height / 2;
    const mid = (x1 + x2) / 2;
    svg.append(svgElement('path', {
      class: 'edge', 'data-from': edge.from, 'data-to': edge.to,
      d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`,
    }));
  }
  for (const node of graph.nodes) {
    const at = place[node.id];
    const run = node.last_run;
    const state = !run ? '' : run.outcome === 'FAIL' ? ' failed' : ' ok';
    const group = svgElement('g', {
      class: 'node' + state, 'data-id': node.id, transform: `translate(${at.x},${at.y})`,
      'data-route': nodeRoute(node), tabindex: 0, role: 'link',
    });
    const open = () => { location.hash = nodeRoute(node); };
    group.addEventListener('click', open);
    group.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
    group.append(svgElement('title', {}, `${node.id}\n${node.description || ''}\n${runText(run)}`));
    group.append(svgElement('rect', { width, height }));
    group.append(svgElement('text', { x: 8, y: 17, class: 'kind' }, KIND_LABELS[node.kind]));
    group.append(svgElement('text', { x: 8, y: 35 }, node.name));
    if (run) {
      group.append(svgElement('text', { x: width - 8, y: 17, class: 'run', 'text-anchor': 'end' },
                              run.outcome === 'FAIL' ? 'failed' : 'ok ' + run.time.slice(5, 16)));
    }
    svg.append(group);
  }
  document.getElementById('lineage-graph').append(svg);
}

function lineChart(canvas, labels, datasets, yTitle, extra = {}) {
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: datasets.map((d, i) => ({
        borderColor: COLOURS[i % COLOURS.length], backgroundColor: COLOURS[i % COLOURS.length],
        spanGaps: true, ...d,
      })),
    },
    options: {
      animation: false, maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: yTitle }, ...extra } },
      plugins: { legend: { labels: { boxWidth: 12 } } },
    },
  });
}

function chartBox(block, title, id) {
  const box = element('div', { class: 'chart' });
  box.append(element('h4', {}, title));
  const holder = element('div', { class: 'chart-holder' });
  const canvas = element('canvas', { id });
  holder.append(canvas);
  box.append(holder);
  block.append(box);
  return canvas;
}

// Per expectation (type and column), the share of rows that passed in each run (100 when the
// run's result has no row counts and the expectation passed, 0 when it failed).
function rulePassRates(runs) {
  const rules = new Map();
  runs.forEach((run, i) => {
    const results = (run.result && run.result.results) || [];
    for (const r of results) {
      const config = r.expectation_config || {};
      const column = (config.kwargs && config.kwargs.column) || '';
      const name = (config.expectation_type || '?').replace(/^expect_/, '') +
                   (column ? ` (${column})` : '');
      if (!rules.has(name)) rules.set(name, new Array(runs.length).fill(null));
      const unexpected = r.result && r.result.unexpected_percent;
      rules.get(name)[i] = typeof unexpected === 'number' ? 100 - unexpected
                                                          : (r.success ? 100 : 0);
    }
  });
  return rules;
}

// Per column of the runs' metrics, `key` (null_rate as a percentage, mean) in each run.
function columnSeries(runs, key) {
  const columns = new Map();
  runs.forEach((run, i) => {
    const metrics = (run.metrics && run.metrics.columns) || {};
    for (const [column, m] of Object.entries(metrics)) {
      const value = m[key];
      if (typeof value !== 'number') continue;
      if (!columns.has(column)) columns.set(column, new Array(runs.length).fill(null));
      columns.get(column)[i] = key === 'null_rate' ? value * 100 : value;
    }
  });
  return columns;
}

function table(headers, rows) {
  const out = element('table');
  const head = element('tr');
  for (const title of headers) head.append(element('th', {}, title));
  out.append(head);
  for (const values of rows) {
    const row = element('tr');
    for (const value of values) {
      row.append(value instanceof Node ? (() => { const td = element('td'); td.append(value); return td; })()
                                       : element('td', {}, String(value)));
    }
    out.append(row);
  }
  return out;
}

async function showQualitySource(container, source, breaker) {
  const [runs, quarantine] = await Promise.all([
    getJson('/api/quality?source=' + encodeURIComponent(source) + '&limit=200'),
    getJson('/api/quarantine?source=' + encodeURIComponent(source) + '&limit=1'),
  ]);
  if (runs.length === 0) return;
  const block = element('div', { class: 'quality-source', 'data-source': source });
  const title = element('h3', {}, source + ' ');
  if (breaker) {
    title.append(element('span', { class: 'badge breaker-' + breaker.state.toLowerCase() },
                         'breaker ' + breaker.state));
  }
  block.append(title);
  const summary = element('p', { class: 'quality-summary' },
                          `${runs.length} runs; quarantined rows waiting: ${quarantine.waiting} `);
  const link = element('a', { href: '#quarantine/' + encodeURIComponent(source),
                              class: 'quarantine-link' }, 'show the quarantined rows');
  summary.append(link);
  block.append(summary);
  container.append(block);

  const labels = runs.map((r) => `#${r.run} ${r.time.slice(5, 16)}`);
  const grid = element('div', { class: 'chart-grid' });
  block.append(grid);
  const charts = {};
  charts.rows = lineChart(chartBox(grid, 'Rows per run', `quality-rows-${source}`), labels, [
    { label: 'read', data: runs.map((r) => r.rows) },
    { label: 'written', data: runs.map((r) => r.written) },
    { label: 'quarantined', data: runs.map((r) => r.quarantined) },
  ], 'rows');
  const nulls = columnSeries(runs, 'null_rate');
  charts.nulls = lineChart(chartBox(grid, 'Null rate per column (%)', `quality-nulls-${source}`),
                           labels, [...nulls].map(([label, data]) => ({ label, data })), '%');
  const means = columnSeries(runs, 'mean');
  charts.means = lineChart(chartBox(grid, 'Mean per column', `quality-means-${source}`), labels,
                           [...means].map(([label, data]) => ({ label, data })), 'mean',
                           { beginAtZero: false });
  const rules = rulePassRates(runs);
  charts.rules = lineChart(chartBox(grid, 'Rule pass rate (%)', `quality-rules-${source}`), labels,
                           [...rules].map(([label, data]) => ({ label, data })), '%',
                           { min: 0, max: 100 });
  window.fstCharts[source] = charts;

  const drift = runs.flatMap((r) => r.drift.map((d) => [`#${r.run}`, r.time, d.kind, d.message]));
  block.append(element('h4', {}, 'Drift between runs'));
  block.append(drift.length === 0 ? element('p', { class: 'hint' }, 'none flagged')
                                  : table(['Run', 'Time', 'Kind', 'Change'], drift));
  if (breaker) {
    block.append(element('h4', {}, 'Circuit breaker'));
    block.append(element('p', { class: 'hint' },
                         `threshold ${breaker.threshold}, probe after ${breaker.half_open_after}` +
                         (breaker.probe_at ? `, next probe from ${breaker.probe_at}` : '')));
    const rows = breaker.transitions.map((t) => [t.time, t.state, t.why]);
    const list = table(['Time', 'State', 'Why'], rows);
    list.classList.add('breaker-transitions');
    block.append(rows.length ? list : element('p', { class: 'hint' }, 'never opened'));
  }
}

async function showQuality() {
  const [lineage, breakers] = await Promise.all([getJson('/api/lineage'),
                                                 getJson('/api/breakers')]);
  const container = document.getElementById('quality-sources');
  const sources = lineage.nodes.filter((n) => n.kind === 'source').map((n) => n.name);
  await Promise.all(sources.map((source) => showQualitySource(
    container, source, breakers.find((b) => b.source === source))));
  if (container.children.length === 0) container.append(element('p', {}, 'No ingest has run yet.'));
  // Sources in name order whatever order their data arrived in.
  [...container.children].sort((a, b) => (a.dataset.source || '').localeCompare(b.dataset.source || ''))
    .forEach((child) => container.append(child));
}

async function showQuarantine(source) {
  const container = document.getElementById('quarantine-rows');
  container.replaceChildren();
  document.getElementById('quarantine-title').textContent = 'Quarantined rows of ' + source;
  const q = await getJson('/api/quarantine?source=' + encodeURIComponent(source) + '&limit=200');
  container.append(element('p', { class: 'hint' },
                           `${q.waiting} rows waiting for replay in ${q.files.length} files ` +
                           `(showing at most 200; featherstone quarantine show ${source})`));
  if (q.rows.length === 0) return;
  const columns = Object.keys(q.rows[0]);
  const list = table(columns, q.rows.map((row) => columns.map((c) => row[c] === null ? '' : row[c])));
  list.id = 'quarantine-table';
  container.append(list);
}

function age(seconds) {
  if (seconds === null) return '-';
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

async function showFreshness() {
  const f = await getJson('/api/freshness');
  const container = document.getElementById('freshness-views');
  container.append(element('p', { class: 'hint' }, 'as of ' + f.now));
  const views = table(['View', 'Source', 'Watermark (event time)', 'Lag', 'Materialized at',
                       'Ingests not yet materialized'],
                      f.views.map((v) => [v.view, v.source, v.watermark || 'never materialized',
                                          age(v.lag_seconds), v.materialized_at || '-',
                                          v.pending_ingests]));
  views.id = 'freshness-table';
  container.append(views);
  const streams = document.getElementById('freshness-streams');
  if (f.streams.length === 0) {
    streams.append(element('p', { class: 'hint' }, 'No stream source.'));
    return;
  }
  streams.append(table(['Stream', 'Topic', 'Committed (partition:next offset)', 'Last batch', 'Age'],
                       f.streams.map((s) => [s.source, s.topic,
                                             s.partitions.map((p) => `${p.partition}:${p.next_offset}`).join(' ') || '-',
                                             s.last_batch_at || 'nothing consumed', age(s.age_seconds)])));
}

async function showSkew() {
  const skew = await getJson('/api/skew');
  const container = document.getElementById('skew-runs');
  if (skew.runs.length === 0) {
    container.append(element('p', {}, 'No skew run yet (featherstone skew).'));
    return;
  }
  const table = element('table');
  const head = element('tr');
  for (const title of ['Run', 'Time', 'Service', 'Requests', 'Values', 'Differing']) {
    head.append(element('th', {}, title));
  }
  table.append(head);
  for (const run of skew.runs) {
    const row = element('tr');
    for (const value of [run.id, run.run_at, run.service || '(all)', run.requests, run.values,
                         run.differing]) {
      row.append(element('td', {}, String(value)));
    }
    table.append(row);
  }
  container.append(table);
}

// Shows the section the hash names (catalog by default); #object/NAME is catalog.js's.
function showPage() {
  const hash = location.hash.replace(/^#/, '');
  if (hash.startsWith('object/')) return;
  let page = hash.split('/')[0];
  if (!document.getElementById(page) || page.startsWith('token=')) page = 'catalog';
  for (const section of document.querySelectorAll('main > section')) {
    section.hidden = section.id !== page;
  }
  for (const link of document.querySelectorAll('header nav a')) {
    link.classList.toggle('current', link.getAttribute('href') === '#' + page);
  }
  if (page === 'quarantine') {
    showQuarantine(decodeURIComponent(hash.split('/')[1] || '')).catch((error) => {
      document.getElementById('status').textContent = error.message;
    });
  }
}

async function main() {
  showPage();
  // After catalog.js's handler, which restores what its object page hid.
  window.addEventListener('hashchange', () => setTimeout(showPage, 0));
  const results = await Promise.allSettled([showCatalog(), showLineage(), showQuality(),
                                            showFreshness(), showSkew()]);
  const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  document.getElementById('status').textContent = failed.join('; ');
  document.body.dataset.loaded = failed.length === 0 ? 'ok' : 'failed';
}

main();
