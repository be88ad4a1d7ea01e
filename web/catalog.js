// The dashboard's catalog: a search box above the catalog table (GET /api/catalog/search, rows
// in the order the API ranks them) and a page per object at #object/NAME (GET
// /api/objects/NAME: definition, owner, tags, labels, versions with what changed, producers
// and consumers, data). Uses getJson and element of app.js, which loads first.
'use strict';

// hiddenSections: the other pages' sections this page hid while it shows, restored when it
// closes (so the routing of app.js stays as it was).
const catalogPage = { section: null, searchTimer: null, hiddenSections: [] };

// The spec as YAML-like lines; a feature shows its expression or aggregation.
function specLines(value, indent = '') {
  const lines = [];
  for (const [key, item] of Object.entries(value)) {
    if (key === 'name' || item === '' || item === null) continue;
    if (Array.isArray(item) && item.length > 0 && typeof item[0] === 'object') {
      lines.push(`${indent}${key}:`);
      for (const entry of item) lines.push(`${indent}  - ${itemText(entry)}`);
    } else if (Array.isArray(item)) {
      if (item.length > 0) lines.push(`${indent}${key}: [${item.join(', ')}]`);
    } else if (typeof item === 'object') {
      if (Object.keys(item).length === 0) continue;
      lines.push(`${indent}${key}:`);
      lines.push(...specLines(item, indent + '  '));
    } else {
      lines.push(`${indent}${key}: ${item}`);
    }
  }
  return lines;
}

function itemText(entry) {
  if (!entry.name) {  // e.g. a contract's expectation: its set fields
    return Object.entries(entry)
        .filter(([, v]) => v !== '' && v !== null && !(Array.isArray(v) && v.length === 0))
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
        .join(', ');
  }
  let text = entry.name;
  if (entry.kind === 'aggregation') {
    text += ` = ${entry.agg}(${entry.column || '*'}) over ${entry.window}`;
  } else if (entry.expr) {
    text += ` = ${entry.expr}`;
  } else if (entry.kind === 'passthrough' && entry.column !== entry.name) {
    text += ` = ${entry.column}`;
  } else if (entry.type) {
    text += `: ${entry.type}${entry.nullable ? ' (nullable)' : ''}`;
  }
  const extra = [];
  if (entry.description) extra.push(entry.description);
  if (entry.tags && entry.tags.length) extra.push('tags: ' + entry.tags.join(', '));
  if (entry.owner) extra.push('owner: ' + entry.owner);
  return extra.length ? `${text}  # ${extra.join('; ')}` : text;
}

function objectLink(name) {
  return element('a', { href: '#object/' + encodeURIComponent(name), class: 'object-link' },
                 name);
}

function renderResults(rows, query) {
  const body = document.querySelector('#catalog-results tbody');
  body.replaceChildren();
  document.getElementById('catalog-results').hidden = query === '';
  if (rows.length === 0 && query !== '') {
    const row = element('tr');
    row.append(element('td', { colspan: 5 }, `no object matches '${query}'`));
    body.append(row);
  }
  for (const hit of rows) {
    const row = element('tr', { 'data-kind': hit.kind, 'data-name': hit.name });
    const name = element('td');
    name.append(objectLink(hit.name));
    row.append(element('td', {}, hit.kind), name, element('td', {}, hit.owner),
               element('td', {}, hit.tags.join(', ')), element('td', {}, hit.description));
    body.append(row);
  }
}

async function search(query) {
  const rows = query === '' ? [] :
    await getJson('/api/catalog/search?q=' + encodeURIComponent(query));
  renderResults(rows, query);
}

function addSearchBox() {
  const table = document.getElementById('catalog-table');
  const input = element('input', {
    id: 'catalog-search', type: 'search', placeholder: 'Search names, descriptions, tags…',
  });
  const results = element('table', { id: 'catalog-results', hidden: '' });
  results.innerHTML =
    '<thead><tr><th>Kind</th><th>Name</th><th>Owner</th><th>Tags</th><th>Description</th>' +
    '</tr></thead><tbody></tbody>';
  input.addEventListener('input', () => {
    clearTimeout(catalogPage.searchTimer);
    catalogPage.searchTimer = setTimeout(() => {
      search(input.value.trim()).catch(reportError);
    }, 150);
  });
  table.before(input, results);
}

function reportError(error) {
  document.getElementById('status').textContent = error.message;
}

function field(list, label, value) {
  if (value === undefined || value === null || value === '' ||
      (typeof value === 'object' && Object.keys(value).length === 0)) return;
  list.append(element('dt', {}, label));
  const text = Array.isArray(value) ? value.join(', ') :
    typeof value === 'object' ? Object.entries(value).map(([k, v]) => `${k}: ${v}`).join(', ') :
    String(value);
  list.append(element('dd', {}, text));
}

function renderObject(d) {
  const section = catalogPage.section;
  section.replaceChildren();
  section.dataset.name = d.name;
  section.append(element('h2', {}, `${d.kind} ${d.name}`));
  const meta = element('dl', { class: 'object-meta' });
  field(meta, 'description', d.description);
  field(meta, 'owner', d.owner);
  field(meta, 'tags', d.tags);
  field(meta, 'labels', d.labels);
  field(meta, 'version', `${d.version}, applied ${d.applied_at}${d.removed ? ' (removed)' : ''}`);
  section.append(meta);

  section.append(element('h3', {}, 'Definition'));
  const lines = [];
  if (d.feature) lines.push(...specLines(d.feature), '', `# view ${d.view}`);
  lines.push(...specLines(d.spec));
  section.append(element('pre', { class: 'object-spec' }, lines.join('\n')));

  section.append(element('h3', {}, 'Versions'));
  const versions = element('table', { class: 'object-versions' });
  versions.innerHTML = '<tr><th>Version</th><th>Applied</th><th>Hash</th><th>Changes</th></tr>';
  for (const v of d.versions) {
    const row = element('tr');
    row.append(element('td', {}, 'v' + v.version), element('td', {}, v.applied_at),
               element('td', {}, v.hash.slice(0, 12)), element('td', {}, v.changes));
    versions.append(row);
  }
  section.append(versions);

  const lineage = d.lineage;
  if (lineage.producers.length || lineage.consumers.length) {
    section.append(element('h3', {}, 'Lineage'));
    const list = element('ul', { class: 'object-lineage' });
    const names = (ids) => ids.map((id) => id.slice(id.indexOf(':') + 1));
    for (const [label, ids] of [['from', lineage.producers], ['to', lineage.consumers]]) {
      if (ids.length === 0) continue;
      const item = element('li', {}, label + ' ');
      names(ids).forEach((name, i) => item.append(i ? ', ' : '', objectLink(name)));
      list.append(item);
    }
    section.append(list);
  }
  const data = d.data;
  if (Object.keys(data).length > 0) {
    section.append(element('h3', {}, 'Data'));
    const list = element('dl', { class: 'object-data' });
    for (const [key, value] of Object.entries(data)) field(list, key.replaceAll('_', ' '), value);
    section.append(list);
  }
}

async function route() {
  const match = location.hash.match(/^#object\/(.+)$/);
  const onObject = match !== null;
  if (!catalogPage.section) {
    catalogPage.section = element('section', { id: 'object-page', hidden: '' });
    document.querySelector('main').prepend(catalogPage.section);
  }
  if (!onObject) {
    catalogPage.section.hidden = true;
    for (const section of catalogPage.hiddenSections) section.hidden = false;
    catalogPage.hiddenSections = [];
    return;
  }
  for (const section of document.querySelectorAll('main > section')) {
    if (section === catalogPage.section || section.hidden) continue;
    section.hidden = true;
    catalogPage.hiddenSections.push(section);
  }
  catalogPage.section.hidden = false;
  const name = decodeURIComponent(match[1]);
  renderObject(await getJson('/api/objects/' + encodeURIComponent(name)));
  document.body.dataset.object = name;
}

addSearchBox();
window.addEventListener('hashchange', () => route().catch(reportError));
route().catch(reportError);
