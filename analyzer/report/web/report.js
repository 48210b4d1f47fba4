// kiln HTML report, part 3 of 3: the flame graph, the top table, header, summary, unwinding,
// the diff page, the controls and the start.
// Plain classic scripts, no modules, no network. report_model.js, report_timeline.js and
// report.js run in that order and share the page's global scope; report.js starts the page.
// Every name from the data is untrusted text: it only reaches the page through textContent,
// d3's .text() or a canvas's fillText, never as HTML.
'use strict';

// ---------- the flame graph ----------

function createChart() {
  const width = Math.max(600, $('flamegraph').clientWidth || 1200);
  const tip = flamegraph.tooltip.defaultFlamegraphTooltip().text(frameLabel);
  const chart = flamegraph.default()
    .width(width).cellHeight(18).minFrameSize(0.5)
    .transitionDuration(0).sort(true).resetHeightOnZoom(true)
    .selfValue(false).tooltip(tip)
    .setColorMapper(frameColor)
    .setLabelHandler(frameLabel)
    .setDetailsHandler((text) => { $('flame-details').textContent = text || '\u00a0'; })
    .setSearchMatch(searchMatch)
    .setSearchHandler(onSearchResult)
    .onClick(onFrameClick);
  return chart;
}

function frameLabel(d) {
  const data = d.data;
  let text = data.name + ' — ' + formatValue(data.value, state.unit) +
    ' (' + pct(data.value / state.graphTotal, 2) + ')';
  if (state.diffColors && typeof data.delta === 'number') {
    text += ', Δ ' + (data.delta >= 0 ? '+' : '') + formatValue(data.delta, state.unit);
  }
  if (data.cold > 0) text += ', off-CPU ' + pct(data.cold / data.value);
  return text;
}

function searchMatch(d, term) {
  if (!term) return false;
  const name = d.data.name;
  try { return new RegExp(term).test(name); } catch (e) { return name.includes(term); }
}

function onSearchResult(results, sum, total) {
  const out = $('search-result');
  const share = total > 0 ? sum / total : 0;
  out.textContent = results.length + (results.length === 1 ? ' match, ' : ' matches, ') +
    pct(share) + ' of ' + unitNoun(state.unit);
  out.dataset.matches = String(results.length);
  out.dataset.share = String(share);
}

function clearSearchResult() {
  const out = $('search-result');
  out.textContent = '';
  out.dataset.matches = '0';
  out.dataset.share = '0';
}

// Draws a graph from a trie and its per-node values (kept for re-building around a zoom).
function drawGraph(trie, val, extra) {
  state.graph = { trie, val, extra };
  state.focus = 0;
  drawFlame(toHierarchy(trie, val, extra, 0));
}

// A click on a frame (the chart has zoomed to it). When frames were left out of the tree, the
// tree is re-built with the clicked frame's subtree at full resolution, then zoomed to again.
function onFrameClick(d) {
  if (state.refocusing) return;
  const g = state.graph;
  if (g && (state.pruned || state.focus) && d.data.tid !== undefined && d.data.tid !== state.focus) {
    state.refocusing = true;
    try {
      state.focus = d.data.tid;
      drawFlame(toHierarchy(g.trie, g.val, g.extra, state.focus));
      const root = d3.select('#flamegraph').datum();
      const node = root.find((n) => n.data.tid === state.focus);
      if (node && node.depth > 0) state.chart.zoomTo(node);
    } finally {
      state.refocusing = false;
    }
  }
  markRendered();
}

function drawFlame(root) {
  state.graphTotal = root.value || 0;
  if (!state.chart) {
    state.chart = createChart();
    d3.select('#flamegraph').datum(root).call(state.chart);
  } else {
    state.chart.update(root);
  }
  applySearch();
  markRendered();
}

function applySearch() {
  const term = $('search').value;
  if (term) state.chart.search(term);
  else { state.chart.clear(); clearSearchResult(); }
}

// Bumps body[data-rendered] once the chart's d3 transitions are all done.
function markRendered() {
  state.pending++;
  document.body.dataset.pending = String(state.pending);
  const svg = document.querySelector('#flamegraph svg');
  const busy = () => svg &&
    Array.prototype.some.call(svg.querySelectorAll('g, rect, foreignObject, div'), (n) => n.__transition);
  const check = () => {
    if (busy()) { requestAnimationFrame(check); return; }
    state.pending--;
    state.rendered++;
    document.body.dataset.pending = String(state.pending);
    document.body.dataset.rendered = String(state.rendered);
    if (!state.ready) { state.ready = true; document.body.dataset.ready = '1'; }
  };
  requestAnimationFrame(check);
}

// ---------- what the graph shows: a view (whole or range) or an anomaly's differential ----------

function redraw() {
  const doc = state.doc;
  if (doc.kind === 'diff') { drawDiffPage(); return; }
  if (state.anomaly !== null) { drawAnomalyDiff(state.anomaly); return; }
  const view = state.view;
  const trie = trieFor(view.name, view.stacks);
  const ranged = state.range && state.timeline && view.name === state.timeline.view;
  const values = ranged ? rangeStackValues(state.range, view.stacks.length) : view.values;
  const val = nodeTotals(trie, values);
  const extra = {};
  if (view.cold && !ranged) extra.cold = nodeTotals(trie, view.cold);
  // A range is summed from the heat map's cells, which count samples whatever the view's unit.
  state.unit = ranged ? (state.doc.timeline.unit || 'samples') : view.unit;
  state.diffColors = false;
  showDiffBaseToggle(null);
  drawGraph(trie, val, extra);
  drawTopTable(trie, val);
  updateModeLine();
}

// A differential graph: widths from after (or, with #diff-base checked, from before scaled to
// after's total, which shows what shrank or went away), delta = after - scaled before.
function diffExtra(trie, before, after, totalBefore, totalAfter) {
  const scale = totalBefore > 0 ? totalAfter / totalBefore : 0;
  const a = nodeTotals(trie, after), b = nodeTotals(trie, before);
  const delta = new Float64Array(trie.size);
  for (let i = 0; i < trie.size; i++) {
    b[i] *= scale;
    delta[i] = a[i] - b[i];
  }
  return { after: a, delta, width: $('diff-base').checked ? b : a };
}

function showDiffBaseToggle(text) {
  $('diff-base-label').hidden = !text;
  if (text) $('diff-base-text').textContent = text;
}

function drawAnomalyDiff(index) {
  const r = state.doc.anomalies.ranges[index];
  const trie = trieFor('anomaly:' + index, r.diff.stacks);
  const sum = (xs) => xs.reduce((s, x) => s + x, 0);
  const { after, delta, width } = diffExtra(trie, r.diff.before, r.diff.after, sum(r.diff.before), sum(r.diff.after));
  showDiffBaseToggle('widths from the normal windows (shows what shrank)');
  state.unit = 'samples';  // the anomalies view counts the cpu view's samples per window
  state.diffColors = true;
  drawGraph(trie, width, { delta });
  drawTopTable(trie, after);
  updateModeLine();
}

function drawDiffPage() {
  const diff = state.doc.diff;
  const trie = trieFor('diff', diff.stacks);
  const { after, delta, width } = diffExtra(trie, diff.a_values, diff.b_values, diff.a_total, diff.b_total);
  showDiffBaseToggle('widths from A, scaled to B\'s total (shows what shrank)');
  state.unit = diff.unit;
  state.diffColors = true;
  drawGraph(trie, width, { delta });
  drawTopTable(trie, after);
}

function legendLine(parent, prefix) {
  parent.append(prefix + ' ');
  parent.append(el('span', { class: 'legend-red' }, 'red = grew'));
  parent.append(', ');
  parent.append(el('span', { class: 'legend-blue' }, 'blue = shrank'));
}

function prunedNote() {
  const p = state.pruned;
  return p ? ' · frames under ' + pct(p.below, 4) + ' of the total left out (too many to draw)' : '';
}

function updateModeLine() {
  const line = $('flame-mode'), note = $('range-note');
  line.textContent = '';
  note.textContent = '';
  const tl = state.timeline;
  if (state.anomaly !== null) {
    const r = state.doc.anomalies.ranges[state.anomaly];
    legendLine(line, 'Anomaly ' + fmtTime(r.start_s) + ' – ' + fmtTime(r.end_s) + ' (' + r.label +
      '): the range against the normal windows, widths = ' +
      ($('diff-base').checked ? 'the normal windows;' : 'the range;'));
    return;
  }
  if (tl && state.range && state.view.name !== tl.view) {
    note.textContent = 'the range applies to the ' + tl.view + ' view only; the ' + state.view.name +
      ' view is not time-sliced and shows the whole recording';
  }
  const ranged = tl && state.range && state.view.name === tl.view;
  line.textContent = (ranged ? 'Showing ' + $('range-label').textContent : 'Showing the whole recording') +
    ' · total ' + formatValue(state.graphTotal, state.unit) + prunedNote();
}

// ---------- top table ----------

function drawTopTable(trie, val) {
  const n = state.names.length;
  const self = new Float64Array(n), total = new Float64Array(n), childSum = new Float64Array(trie.size);
  for (let i = trie.size - 1; i > 0; i--) childSum[trie.parent[i]] += val[i];
  for (let i = 1; i < trie.size; i++) {
    if (!(val[i] > 0)) continue;
    const f = trie.name[i];
    self[f] += val[i] - childSum[i];
    if (trie.first[i]) total[f] += val[i];
  }
  const order = [];
  for (let f = 0; f < n; f++) if (self[f] > 0) order.push(f);
  order.sort((a, b) => self[b] - self[a] || total[b] - total[a]);
  const all = val[0] || 1;
  const table = $('top-table');
  table.className = 'data';
  table.textContent = '';
  const head = table.createTHead().insertRow();
  for (const [t, cls] of [['function', ''], ['self', 'num'], ['self %', 'num'], ['total', 'num'], ['total %', 'num']]) {
    head.append(el('th', cls ? { class: cls } : null, t));
  }
  const body = table.createTBody();
  for (const f of order.slice(0, TOP_ROWS)) {
    const row = body.insertRow();
    row.dataset.function = state.names[f];
    row.append(el('td', { class: 'fn', title: state.names[f] }, state.names[f]),
      el('td', { class: 'num' }, formatValue(self[f], state.unit)), el('td', { class: 'num' }, pct(self[f] / all)),
      el('td', { class: 'num' }, formatValue(total[f], state.unit)), el('td', { class: 'num' }, pct(total[f] / all)));
    row.addEventListener('click', () => { $('search').value = '^' + escapeRegex(state.names[f]) + '$'; runSearch(); });
  }
  const of = state.doc.kind === 'diff' ? 'in B, ' : state.anomaly !== null ? 'in the anomaly\'s range, ' : '';
  $('top-hint').textContent = '(' + of + 'by self ' + unitNoun(state.unit) + '; click a row to search it)';
}

// ---------- header, summary, unwinding, diff table ----------

function drawHeader() {
  const doc = state.doc;
  $('report-title').textContent = doc.kind === 'diff' && doc.diff
    ? 'kiln diff: ' + doc.diff.a + ' vs ' + doc.diff.b : (doc.title || 'kiln report');
  const meta = $('report-meta');
  const rows = doc.kind === 'diff' && doc.diff
    ? [['A (base)', doc.diff.a], ['B (new)', doc.diff.b], ['command', doc.command]]
    : [['file', doc.file], ['command', doc.command],
      ['duration', typeof doc.duration_s === 'number' ? doc.duration_s.toFixed(3) + ' s' : '']];
  for (const [k, v] of rows) if (v) meta.append(el('dt', null, k), el('dd', null, v));
}

function drawInfo() {
  const doc = state.doc, box = $('info');
  if (doc.info && doc.info.length) {
    const table = el('table');
    for (const [label, value] of doc.info) {
      const row = table.insertRow();
      row.append(el('td', null, label), el('td', null, value));
    }
    box.append(table);
  }
  if (doc.warnings && doc.warnings.length) {
    const ul = el('ul', { class: 'warnings' });
    for (const w of doc.warnings) ul.append(el('li', null, w));
    box.append(ul);
  }
  if (!box.childNodes.length) $('summary-section').hidden = true;
}

function drawUnwind() {
  const u = state.doc.unwind;
  if (!u) return;
  $('unwind-section').hidden = false;
  const box = $('unwind');
  const sum = el('div', { class: 'unwind-summary' });
  const num = (x) => (typeof x === 'number' ? x.toFixed(1) + '%' : '–');
  sum.append(el('span', null, fmtInt(u.stacks || 0) + ' stacks'), el('span', null, 'complete ' + num(u.complete_pct)),
    el('span', null, 'truncated ' + num(u.truncated_pct)), el('span', null, 'failed ' + num(u.failed_pct)),
    el('span', null, 'frame-pointer fallback ' + num(u.fp_fallback_pct)));
  box.append(sum);
  if (!u.rows || !u.rows.length) return;
  const table = el('table', { class: 'data' });
  const head = table.createTHead().insertRow();
  for (const t of ['binary', '% of stacks', 'what', 'fix']) head.append(el('th', null, t));
  const body = table.createTBody();
  for (const r of u.rows) {
    body.insertRow().append(el('td', { class: 'fn' }, r.binary), el('td', { class: 'num' }, num(r.pct)),
      el('td', null, r.what), el('td', null, r.fix));
  }
  box.append(table);
}

function drawDiffTable() {
  const diff = state.doc.diff;
  $('diff-section').hidden = false;
  $('diff-verdict').textContent = diff.verdict || '';
  const table = $('diff-table');
  table.className = 'data';
  const head = table.createTHead().insertRow();
  for (const [t, c] of [['function', ''], ['A share', 'num'], ['B share', 'num'], ['Δ pp', 'num'], ['p', 'num']]) {
    head.append(el('th', c ? { class: c } : null, t));
  }
  const body = table.createTBody();
  for (const r of diff.table || []) {
    const row = body.insertRow();
    if (r.significant) row.className = 'significant ' + (r.delta_pp >= 0 ? 'grew' : 'shrank');
    row.append(el('td', { class: 'fn' }, r.function), el('td', { class: 'num' }, pct(r.a_share)),
      el('td', { class: 'num' }, pct(r.b_share)),
      el('td', { class: 'num delta' }, (r.delta_pp >= 0 ? '+' : '') + r.delta_pp.toFixed(1)),
      el('td', { class: 'num' }, typeof r.p === 'number' ? r.p.toExponential(1) : String(r.p)));
  }
  const line = $('flame-mode');
  line.append('B (' + diff.b + ') drawn, coloured against A (' + diff.a + '): ');
  line.append(el('span', { class: 'legend-red' }, 'red = grew in B'), ', ',
    el('span', { class: 'legend-blue' }, 'blue = shrank'));
}

// ---------- view switcher ----------

function drawViewButtons() {
  const box = $('view-select');
  for (const view of state.doc.views) {
    const b = el('button', { type: 'button', 'data-view': view.name, title: view.description || '' }, view.name);
    b.addEventListener('click', () => selectView(view.name));
    box.append(b);
  }
}

function selectView(name) {
  state.view = state.doc.views.find((v) => v.name === name) || state.doc.views[0];
  state.anomaly = null;
  for (const b of $('view-select').querySelectorAll('button')) {
    b.classList.toggle('current', b.dataset.view === state.view.name && state.anomaly === null);
    b.setAttribute('aria-pressed', b.classList.contains('current') ? 'true' : 'false');
  }
  $('view-description').textContent = state.view.description || '';
  markCurrentAnomaly();
  redraw();
}

// ---------- controls ----------

let searchTimer = null;
function runSearch() {
  if (searchTimer !== null) { clearTimeout(searchTimer); searchTimer = null; state.pending--; }
  applySearch();
  markRendered();
}

function setupControls() {
  $('search').addEventListener('input', () => {
    if (searchTimer === null) state.pending++;
    else clearTimeout(searchTimer);
    document.body.dataset.pending = String(state.pending);
    searchTimer = setTimeout(runSearch, 120);
  });
  $('search').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') runSearch(); });
  $('reset-zoom').addEventListener('click', () => { state.chart.resetZoom(); });  // onClick marks it
  $('icicle').addEventListener('change', (ev) => {
    state.chart.inverted(ev.target.checked);
    state.chart.update();
    markRendered();
  });
  $('clear-range').addEventListener('click', () => setRange(null, null));
  $('diff-base').addEventListener('change', () => redraw());
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const width = Math.max(600, $('flamegraph').clientWidth || 1200);
      if (!state.chart || width === state.chart.width()) return;
      state.chart.width(width);
      state.chart.update();
      markRendered();
    }, 200);
  });
}

// ---------- test hooks ----------

function cellCenter(t, isEnd) {
  if (!state.timeline) return null;
  const b = bucketAt(t, !!isEnd), r = cellRect(b);
  const scroller = $('timeline-scroll');
  if (r.x < scroller.scrollLeft || r.x + r.w > scroller.scrollLeft + scroller.clientWidth) {
    scroller.scrollLeft = Math.max(0, r.x - scroller.clientWidth / 2);
  }
  const rect = $('heatmap').getBoundingClientRect();
  return { x: rect.left + r.x + r.w / 2, y: rect.top + r.y + r.h / 2, bucket: b };
}

// ---------- start ----------

async function main() {
  let doc;
  try {
    doc = await loadDocument();
  } catch (e) {
    $('load-error').hidden = false;
    $('load-error').textContent = 'could not read the report data: ' + e.message;
    console.error('kiln report: could not read the report data:', e);
    document.body.dataset.ready = 'error';
    return;
  }
  state.doc = doc;
  state.names = doc.names || [];
  state.kinds = doc.kinds || [];
  drawHeader();
  drawInfo();
  setupControls();
  window.kilnReport = { cellCenter, state };
  if (doc.kind === 'diff') {
    $('view-select').hidden = true;
    drawDiffTable();
    redraw();
    return;
  }
  if (!doc.views || !doc.views.length) {
    $('flame-mode').textContent = 'This recording has no profile views.';
    drawUnwind();
    document.body.dataset.ready = '1';
    return;
  }
  drawViewButtons();
  state.view = doc.views[0];
  if (doc.timeline && doc.views.some((v) => v.name === doc.timeline.view)) {
    state.timeline = decodeTimeline(doc.timeline);
    $('timeline-section').hidden = false;
    setupHeatmap();
  } else if (doc.counters && doc.counters.series && doc.counters.series.length) {
    $('timeline-section').hidden = false;
    setupCountersOnly();
  }
  setupCounters();
  drawAnomalies();
  drawUnwind();
  selectView(state.view.name);
}

main();
