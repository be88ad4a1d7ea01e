// The Featherstone dashboard: catalog (GET /features), lineage (GET /api/lineage), data
// quality (GET /api/quality) and skew runs (GET /api/skew). With `serve --auth`, open
// /ui/#token=TOKEN: the token (scope `catalog`) is kept for the tab and sent as a bearer token.
'use strict';

const KINDS = ['source', 'feature_view', 'on_demand_feature_view', 'feature_service'];
const KIND_LABELS = {
  source: 'source', feature_view: 'feature view',
  on_demand_feature_view: 'on-demand view', feature_service: 'feature service',
};
window.fstCharts = {};

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
    });
    group.append(svgElement('title', {}, `${node.id}\n${node.description || ''}\n${runText(run)}`));
    group.append(svgElement('rect', { width, height }));
    group.append(svgElement('text', { x: 8, y: 17, class: 'kind' }, KIND_LABELS[node.kind]));
    group.append(svgElement('text', { x: 8, y: 35 }, node.name));
    svg.append(group);
  }
  document.getElementById('lineage-graph').append(svg);
}

async function showQuality() {
  const quality = await getJson('/api/quality');
  const container = document.getElementById('quality-sources');
  const bySource = new Map();
  for (const run of quality.runs) {
    if (!bySource.has(run.source)) bySource.set(run.source, []);
    bySource.get(run.source).push(run);
  }
  if (bySource.size === 0) container.append(element('p', {}, 'No ingest has run yet.'));
  for (const [source, runs] of bySource) {
    const block = element('div', { class: 'quality-source', 'data-source': source });
    const breaker = quality.breakers.find((b) => b.source === source);
    block.append(element('h3', {}, source + (breaker ? ` (breaker ${breaker.state})` : '')));
    const canvas = element('canvas', { id: 'quality-chart-' + source });
    block.append(canvas);
    container.append(block);
    window.fstCharts[source] = new Chart(canvas, {
      data: {
        labels: runs.map((r) => `#${r.id} ${r.run_at}`),
        datasets: [
          { type: 'line', label: 'expectations passed (%)', yAxisID: 'percent',
            data: runs.map((r) => r.success_percent), borderColor: '#1a7f37' },
          { type: 'bar', label: 'quarantined rows', yAxisID: 'rows',
            data: runs.map((r) => r.quarantined), backgroundColor: '#ff818266' },
          { type: 'bar', label: 'rows written', yAxisID: 'rows',
            data: runs.map((r) => r.written), backgroundColor: '#54aeff66' },
        ],
      },
      options: {
        animation: false,
        scales: {
          percent: { position: 'left', min: 0, max: 100, title: { display: true, text: '%' } },
          rows: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false },
                  title: { display: true, text: 'rows' } },
        },
      },
    });
  }
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

async function main() {
  const results = await Promise.allSettled([showCatalog(), showLineage(), showQuality(),
                                            showSkew()]);
  const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  document.getElementById('status').textContent = failed.join('; ');
  document.body.dataset.loaded = failed.length === 0 ? 'ok' : 'failed';
}

main();
