// kiln HTML report: the page's behaviour. Plain JS, no modules, no network: the data document
// (see docs of the report schema) is read from the #kiln-data element; d3 and d3-flame-graph
// are inlined before this script. Every name from the data is untrusted text: it only ever
// reaches the page through textContent / d3's .text().
'use strict';
(function () {
  const ROWS_PER_SECOND_DEFAULT = 50;
  const ROW_H = 6;          // heat-map row height, px
  const STRIP_H = 10;       // anomaly band strip above the heat map
  const AXIS_H = 18;        // seconds axis below it
  const MIN_COL_W = 6;
  const MAX_COL_W = 64;
  const COUNTER_H = 38;
  const COUNTERS_SHOWN = 12;
  const TOP_ROWS = 30;
  const MAX_FRAMES = 40000;   // frames handed to d3-flame-graph at most
  const SELECT_FILL = 'rgba(60, 90, 230, 0.45)';

  const state = {
    doc: null,
    names: [],
    kinds: [],
    view: null,          // current view object (analyze pages)
    range: null,         // {b0, b1} inclusive bucket indexes, or null
    anomaly: null,       // index of the anomaly range whose differential graph is shown
    unit: 'samples',
    chart: null,
    diffColors: false,
    tries: new Map(),    // cache: view name / 'anomaly:i' / 'diff' -> StackTrie
    timeline: null,      // decoded timeline
    heat: null,          // heat-map geometry
    graphTotal: 0,
    rendered: 0,
    pending: 0,
    ready: false,
    showAllCounters: false,
  };

  // ---------- small helpers ----------

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function pct(fraction, digits) {
    if (!isFinite(fraction)) return '–';
    return (100 * fraction).toFixed(digits === undefined ? 1 : digits) + '%';
  }

  function fmtTime(t) { return t.toFixed(3) + ' s'; }

  function fmtInt(n) { return Math.round(n).toLocaleString('en-US'); }

  function formatValue(v, unit) {
    const a = Math.abs(v);
    if (unit === 'nanoseconds') {
      if (a < 1e3) return v.toFixed(0) + ' ns';
      if (a < 1e6) return (v / 1e3).toFixed(1) + ' µs';
      if (a < 1e9) return (v / 1e6).toFixed(2) + ' ms';
      return (v / 1e9).toFixed(3) + ' s';
    }
    if (unit === 'bytes') {
      if (a < 1024) return v.toFixed(0) + ' B';
      if (a < 1024 * 1024) return (v / 1024).toFixed(1) + ' KiB';
      if (a < 1024 * 1024 * 1024) return (v / 1048576).toFixed(1) + ' MiB';
      return (v / 1073741824).toFixed(2) + ' GiB';
    }
    if (unit === 'samples') return fmtInt(v) + (a === 1 ? ' sample' : ' samples');
    return fmtInt(v) + (unit && unit !== 'count' ? ' ' + unit : '');
  }

  function unitNoun(unit) {
    return unit === 'nanoseconds' ? 'time' : unit === 'bytes' ? 'bytes' : unit || 'samples';
  }

  function escapeRegex(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

  // ---------- loading ----------

  async function loadDocument() {
    const text = $('kiln-data').textContent.trim();
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).json();
  }

  // ---------- stack tries: every view's stacks merged once, values summed per draw ----------

  // A prefix tree of the stacks (root = "all", id 0). Parents always have smaller ids than their
  // children, so summing values bottom-up is one reverse pass. first[i] says node i's name is
  // not on its ancestors (a function's total counts it once per stack).
  function buildTrie(stacks) {
    let cap = 1 << 12, size = 1;
    let parent = new Int32Array(cap), name = new Int32Array(cap), first = new Uint8Array(cap);
    parent[0] = -1; name[0] = -1;
    // child lookup: open addressing over (parent, name) -> child id, ids stored + 1 (0 = empty)
    let slots = new Int32Array(cap * 2), mask = slots.length - 1, shift = 32 - Math.log2(slots.length);
    const slotOf = (p, n) => {
      let h = Math.imul(p ^ Math.imul(n + 1, 0x85EBCA77), 0x9E3779B1) >>> shift;   // Fibonacci hashing
      for (;;) {
        const id = slots[h];
        if (id === 0 || (parent[id - 1] === p && name[id - 1] === n)) return h;
        h = (h + 1) & mask;
      }
    };
    const grow = () => {
      cap *= 2;
      const np = new Int32Array(cap); np.set(parent); parent = np;
      const nn = new Int32Array(cap); nn.set(name); name = nn;
      const nf = new Uint8Array(cap); nf.set(first); first = nf;
      slots = new Int32Array(cap * 2); mask = slots.length - 1; shift = 32 - Math.log2(slots.length);
      for (let i = 1; i < size; i++) slots[slotOf(parent[i], name[i])] = i + 1;
    };
    const leaf = new Int32Array(stacks.length);
    const onPath = new Int32Array(state.names.length + 1).fill(-1);
    for (let s = 0; s < stacks.length; s++) {
      const stack = stacks[s];
      let node = 0;
      for (let j = 0; j < stack.length; j++) {
        const n = stack[j];
        let h = slotOf(node, n);
        let child = slots[h] - 1;
        if (child < 0) {
          if (size >= cap) { grow(); h = slotOf(node, n); }
          child = size++;
          parent[child] = node; name[child] = n;
          first[child] = onPath[n] === s ? 0 : 1;
          slots[h] = child + 1;
        }
        onPath[n] = s;
        node = child;
      }
      leaf[s] = node;
    }
    return { size, leaf, parent: parent.subarray(0, size), name: name.subarray(0, size), first: first.subarray(0, size) };
  }

  function trieFor(key, stacks) {
    let trie = state.tries.get(key);
    if (!trie) { trie = buildTrie(stacks); state.tries.set(key, trie); }
    return trie;
  }

  // Per-node totals from per-stack values.
  function nodeTotals(trie, stackValues) {
    const val = new Float64Array(trie.size);
    for (let s = 0; s < stackValues.length; s++) val[trie.leaf[s]] += stackValues[s];
    for (let i = trie.size - 1; i > 0; i--) val[trie.parent[i]] += val[i];
    return val;
  }

  // The smallest value a frame needs to be handed to the chart: with more than MAX_FRAMES frames,
  // the tiniest are left out (FlameGraph's minwidth idea; their time stays in their parents).
  function pruneThreshold(val) {
    const total = val[0];
    if (!(total > 0)) return 0;
    const counts = new Float64Array(64);
    let nonzero = 0;
    for (let i = 1; i < val.length; i++) {
      if (val[i] > 0) { nonzero++; counts[Math.min(63, Math.floor(-Math.log2(val[i] / total)))]++; }
    }
    if (nonzero <= MAX_FRAMES) return 0;
    let kept = 0;
    for (let k = 0; k < 64; k++) {
      if (kept + counts[k] > MAX_FRAMES) return total * Math.pow(2, -k);   // keep classes < k
      kept += counts[k];
    }
    return 0;
  }

  // The d3-flame-graph data tree of the nodes with a value (extra: optional per-node arrays).
  function toHierarchy(trie, val, extra) {
    const min = pruneThreshold(val);
    const objs = new Array(trie.size);
    const root = { name: 'all', value: val[0], kind: 4, children: [] };
    objs[0] = root;
    let hidden = 0;
    for (let i = 1; i < trie.size; i++) {
      if (!(val[i] > 0) || !objs[trie.parent[i]]) continue;
      if (val[i] < min) { hidden++; continue; }
      const n = trie.name[i];
      const o = { name: state.names[n], value: val[i], kind: state.kinds[n], children: [] };
      if (extra && extra.cold) o.cold = extra.cold[i];
      if (extra && extra.delta) o.delta = extra.delta[i];
      objs[i] = o;
      objs[trie.parent[i]].children.push(o);
    }
    if (extra && extra.delta) root.delta = extra.delta[0];
    state.pruned = hidden ? { frames: hidden, below: min / val[0] } : null;
    return root;
  }

  // ---------- timeline data: runs decoded once into per-bucket slices ----------

  function decodeTimeline(tl) {
    const runs = tl.runs || [];
    const buckets = tl.buckets || 0;
    const offset = new Int32Array(buckets + 1);
    let pairs = 0;
    for (let i = 0, b = 0; i < runs.length;) {   // first pass: pairs per bucket
      b += runs[i]; const n = runs[i + 1];
      if (b < buckets) offset[b + 1] += n;
      pairs += n; i += 2 + 2 * n;
    }
    for (let b = 0; b < buckets; b++) offset[b + 1] += offset[b];
    const stack = new Int32Array(offset[buckets]);
    const count = new Float64Array(offset[buckets]);
    const perBucket = new Float64Array(buckets);
    const fill = offset.slice(0, buckets);
    for (let i = 0, b = 0; i < runs.length;) {
      b += runs[i]; const n = runs[i + 1]; i += 2;
      for (let k = 0; k < n; k++, i += 2) {
        if (b >= buckets) continue;
        const at = fill[b]++;
        stack[at] = runs[i]; count[at] = runs[i + 1];
        perBucket[b] += runs[i + 1];
      }
    }
    let max = 0;
    for (let b = 0; b < buckets; b++) if (perBucket[b] > max) max = perBucket[b];
    const rows = Math.max(1, Math.round(1 / tl.bucket_s)) || ROWS_PER_SECOND_DEFAULT;
    return { view: tl.view, bucket: tl.bucket_s, buckets, rows, offset, stack, count, perBucket, max, pairs };
  }

  function rangeStackValues(range, nStacks) {
    const tl = state.timeline, out = new Float64Array(nStacks);
    for (let i = tl.offset[range.b0]; i < tl.offset[range.b1 + 1]; i++) out[tl.stack[i]] += tl.count[i];
    return out;
  }

  function rangeSamples(range) {
    let n = 0;
    for (let b = range.b0; b <= range.b1; b++) n += state.timeline.perBucket[b];
    return n;
  }

  function bucketAt(t, isEnd) {
    const tl = state.timeline;
    let b = Math.floor(t / tl.bucket + 1e-9);
    if (isEnd && Math.abs(b * tl.bucket - t) < tl.bucket * 1e-6) b -= 1;   // a range's end: [t0, t1)
    return Math.min(Math.max(b, 0), tl.buckets - 1);
  }

  function rangeForTimes(t0, t1) {
    const b0 = bucketAt(t0, false);
    return { b0, b1: Math.max(b0, bucketAt(t1, true)) };
  }

  // ---------- colours ----------

  // FlameGraph's namehash: a stable 0..1 from the function's name (module prefix dropped).
  function nameHash(name) {
    let vector = 0, weight = 1, max = 1, mod = 10;
    const tick = name.indexOf('`');
    if (tick >= 0) name = name.slice(tick + 1);
    for (let i = 0; i < name.length; i++) {
      vector += ((name.charCodeAt(i) % mod) / (mod++ - 1)) * weight;
      max += weight; weight *= 0.7;
      if (mod > 12) break;
    }
    return 1 - vector / max;
  }

  function rgb(r, g, b) { return 'rgb(' + Math.round(r) + ',' + Math.round(g) + ',' + Math.round(b) + ')'; }

  function paletteColor(data) {
    const v = nameHash(data.name || '');
    const kind = data.kind;
    if (kind === 5 || (data.cold > 0 && data.cold * 2 > data.value)) return rgb(80 + 60 * v, 110 + 60 * v, 190 + 55 * v);
    if (kind === 1) return rgb(215 + 40 * v, 120 + 50 * v, 20 * v);                  // kernel
    if (kind === 2) return rgb(50 + 60 * v, 185 + 55 * v, 50 + 60 * v);               // JIT
    if (kind === 4) return rgb(190 + 30 * v, 190 + 30 * v, 180 + 30 * v);             // synthetic
    if (kind === 3) return rgb(200 + 40 * v, 130 + 40 * v, 130 + 40 * v);             // unknown
    if (/_\[i\]$/.test(data.name)) return rgb(50 + 60 * v, 165 + 55 * v, 165 + 55 * v); // inlined
    return rgb(205 + 50 * v, 230 * v, 55 * v);                                         // user: warm
  }

  function frameColor(d, original) {
    if (d.highlight) return original;
    if (state.diffColors) return flamegraph.colorMapper.differentialColorMapper(d, original);
    return paletteColor(d.data);
  }

  function heatColorScale(max) {
    return d3.scaleSequential(d3.interpolateRgbBasis(['#ffffff', '#ffd9a0', '#ff9a30', '#e8400c', '#a00000']))
      .domain([0, Math.max(1, max)]);
  }

  function kindColor(kind) {
    return d3.schemeTableau10[Math.abs(kind | 0) % 10];
  }

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
      .onClick(() => markRendered());
    return chart;
  }

  function frameLabel(d) {
    const data = d.data;
    let text = data.name + ' — ' + formatValue(data.value, state.unit) + ' (' + pct(data.value / state.graphTotal, 2) + ')';
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
    const busy = () => svg && Array.prototype.some.call(svg.querySelectorAll('g, rect, foreignObject, div'), (n) => n.__transition);
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
    state.unit = view.unit;
    state.diffColors = false;
    drawFlame(toHierarchy(trie, val, extra));
    drawTopTable(trie, val);
    updateModeLine();
  }

  function diffExtra(trie, before, after, totalBefore, totalAfter) {
    const scale = totalBefore > 0 ? totalAfter / totalBefore : 0;
    const a = nodeTotals(trie, after), b = nodeTotals(trie, before);
    const delta = new Float64Array(trie.size);
    for (let i = 0; i < trie.size; i++) delta[i] = a[i] - b[i] * scale;
    return { val: a, delta };
  }

  function drawAnomalyDiff(index) {
    const r = state.doc.anomalies.ranges[index];
    const trie = trieFor('anomaly:' + index, r.diff.stacks);
    const sum = (xs) => xs.reduce((s, x) => s + x, 0);
    const { val, delta } = diffExtra(trie, r.diff.before, r.diff.after, sum(r.diff.before), sum(r.diff.after));
    state.unit = 'samples';
    state.diffColors = true;
    drawFlame(toHierarchy(trie, val, { delta }));
    drawTopTable(trie, val);
    updateModeLine();
  }

  function drawDiffPage() {
    const diff = state.doc.diff;
    const trie = trieFor('diff', diff.stacks);
    const { val, delta } = diffExtra(trie, diff.a_values, diff.b_values, diff.a_total, diff.b_total);
    state.unit = diff.unit;
    state.diffColors = true;
    drawFlame(toHierarchy(trie, val, { delta }));
    drawTopTable(trie, val);
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
        '): the range against the normal windows, widths = the range;');
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
    $('top-hint').textContent = '(by self ' + unitNoun(state.unit) + '; click a row to search it)';
  }

  // ---------- header, summary, unwinding, diff table ----------

  function drawHeader() {
    const doc = state.doc;
    $('report-title').textContent = doc.kind === 'diff' && doc.diff
      ? 'kiln diff: ' + doc.diff.a + ' vs ' + doc.diff.b : (doc.title || 'kiln report');
    const meta = $('report-meta');
    const rows = doc.kind === 'diff' && doc.diff
      ? [['A (base)', doc.diff.a], ['B (new)', doc.diff.b], ['command', doc.command]]
      : [['file', doc.file], ['command', doc.command], ['duration', doc.duration_s !== undefined ? doc.duration_s.toFixed(3) + ' s' : '']];
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
    line.append(el('span', { class: 'legend-red' }, 'red = grew in B'), ', ', el('span', { class: 'legend-blue' }, 'blue = shrank'));
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

  // ---------- heat map ----------

  function setupHeatmap() {
    const tl = state.timeline;
    const seconds = Math.max(1, Math.ceil(Math.max(state.doc.duration_s || 0, tl.buckets * tl.bucket) - 1e-9));
    const avail = Math.max(300, ($('timeline-scroll').clientWidth || 1300) - 4);
    const colW = Math.max(MIN_COL_W, Math.min(MAX_COL_W, Math.floor(avail / seconds)));
    const height = STRIP_H + tl.rows * ROW_H + AXIS_H;
    state.heat = { seconds, colW, width: seconds * colW, height, drag: null };
    sizeCanvas($('heatmap'), state.heat.width, height);
    drawRowAxis();
    drawHeatLegend();
    const canvas = $('heatmap');
    canvas.addEventListener('mousedown', onHeatDown);
    canvas.addEventListener('mousemove', onHeatHover);
    canvas.addEventListener('mouseleave', () => { $('heat-hover').textContent = ''; });
    window.addEventListener('mousemove', onHeatDrag);
    window.addEventListener('mouseup', onHeatUp);
    drawHeatmap();
  }

  function sizeCanvas(canvas, w, h) {
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.width = w + 'px';
    canvas.style.height = h + 'px';
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return ctx;
  }

  function drawRowAxis() {
    const tl = state.timeline, ctx = sizeCanvas($('heat-rows'), 50, state.heat.height);
    ctx.fillStyle = '#555';
    ctx.font = '10px sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const ms = Math.round(tl.bucket * 1000);
    for (let row = 0; row < tl.rows; row += Math.max(1, Math.round(tl.rows / 5))) {
      ctx.fillText((row * ms) + ' ms', 46, STRIP_H + row * ROW_H + ROW_H / 2);
    }
  }

  function drawHeatLegend() {
    const box = $('heat-legend'), tl = state.timeline, scale = heatColorScale(tl.max);
    const c = el('canvas');
    const ctx = sizeCanvas(c, 120, 10);
    for (let x = 0; x < 120; x++) { ctx.fillStyle = scale((x / 119) * Math.max(1, tl.max)); ctx.fillRect(x, 0, 1, 10); }
    box.append('0', c, 'max ' + fmtInt(tl.max) + ' ' + (tl.view === 'cpu' ? 'samples' : 'events') + ' per ' +
      Math.round(tl.bucket * 1000) + ' ms');
  }

  function cellRect(b) {
    const { colW } = state.heat, rows = state.timeline.rows;
    return { x: Math.floor(b / rows) * colW, y: STRIP_H + (b % rows) * ROW_H, w: colW, h: ROW_H };
  }

  function drawHeatmap() {
    const tl = state.timeline, heat = state.heat;
    const ctx = $('heatmap').getContext('2d');
    ctx.clearRect(0, 0, heat.width, heat.height);
    ctx.fillStyle = '#fbfbfb';
    ctx.fillRect(0, STRIP_H, heat.width, tl.rows * ROW_H);
    const scale = heatColorScale(tl.max);
    for (let b = 0; b < tl.buckets; b++) {
      if (!tl.perBucket[b]) continue;
      const r = cellRect(b);
      ctx.fillStyle = scale(tl.perBucket[b]);
      ctx.fillRect(r.x, r.y, r.w - (heat.colW > 8 ? 1 : 0), r.h - 1);
    }
    const sel = heat.drag ? orderedRange(heat.drag.b0, heat.drag.b1) : state.range;
    if (sel) {
      ctx.fillStyle = SELECT_FILL;
      for (let b = sel.b0; b <= sel.b1; b++) { const r = cellRect(b); ctx.fillRect(r.x, r.y, r.w, r.h); }
    }
    for (const r of (state.doc.anomalies && state.doc.anomalies.ranges) || []) {
      ctx.fillStyle = kindColor(r.kind);
      ctx.fillRect(r.start_s * heat.colW, 1, Math.max(2, (r.end_s - r.start_s) * heat.colW), STRIP_H - 3);
    }
    drawSecondsAxis(ctx);
  }

  function drawSecondsAxis(ctx) {
    const heat = state.heat, y = STRIP_H + state.timeline.rows * ROW_H;
    ctx.fillStyle = '#555';
    ctx.strokeStyle = '#999';
    ctx.font = '10px sans-serif';
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    const every = Math.max(1, Math.ceil(36 / heat.colW));
    for (let s = 0; s <= heat.seconds; s++) {
      const x = s * heat.colW;
      ctx.fillRect(x, y, 1, s % every === 0 ? 5 : 2);
      if (s % every === 0 && x + 20 < heat.width + 8) ctx.fillText(s + 's', x + 2, y + 5);
    }
  }

  function orderedRange(a, b) { return { b0: Math.min(a, b), b1: Math.max(a, b) }; }

  function bucketFromEvent(ev) {
    const rect = $('heatmap').getBoundingClientRect(), heat = state.heat, tl = state.timeline;
    const col = Math.floor((ev.clientX - rect.left) / heat.colW);
    const row = Math.floor((ev.clientY - rect.top - STRIP_H) / ROW_H);
    if (col < 0 || col >= heat.seconds) return null;
    const b = col * tl.rows + Math.min(Math.max(row, 0), tl.rows - 1);
    return b < tl.buckets ? b : Math.min(b, tl.buckets - 1);
  }

  function onHeatHover(ev) {
    const b = bucketFromEvent(ev);
    if (b === null) { $('heat-hover').textContent = ''; return; }
    const tl = state.timeline;
    $('heat-hover').textContent = fmtTime(b * tl.bucket) + ' – ' + fmtTime((b + 1) * tl.bucket) + ': ' +
      fmtInt(tl.perBucket[b]) + ' samples';
  }

  function onHeatDown(ev) {
    if (ev.button !== 0) return;
    const b = bucketFromEvent(ev);
    if (b === null) return;
    ev.preventDefault();
    state.heat.drag = { b0: b, b1: b };
    drawHeatmap();
  }

  function onHeatDrag(ev) {
    const drag = state.heat && state.heat.drag;
    if (!drag) return;
    const b = bucketFromEvent(ev);
    if (b !== null && b !== drag.b1) { drag.b1 = b; drawHeatmap(); }
  }

  function onHeatUp() {
    const drag = state.heat && state.heat.drag;
    if (!drag) return;
    state.heat.drag = null;
    setRange(orderedRange(drag.b0, drag.b1), null);
  }

  // ---------- range selection ----------

  function setRange(range, anomalyIndex) {
    state.range = range;
    state.anomaly = anomalyIndex;
    const label = $('range-label');
    if (range) {
      const tl = state.timeline;
      label.textContent = fmtTime(range.b0 * tl.bucket) + ' – ' + fmtTime((range.b1 + 1) * tl.bucket) +
        ' (' + fmtInt(rangeSamples(range)) + ' samples)';
    } else {
      label.textContent = 'whole recording';
    }
    $('clear-range').disabled = !range;
    for (const b of $('view-select').querySelectorAll('button')) {
      b.classList.toggle('current', anomalyIndex === null && b.dataset.view === state.view.name);
    }
    markCurrentAnomaly();
    if (state.heat) drawHeatmap();
    drawCounters();
    redraw();
  }

  // ---------- counters ----------

  function setupCounters() {
    const c = state.doc.counters;
    if (!c || !c.series || !c.series.length || !state.heat) return;
    const toggle = $('counters-toggle');
    if (c.series.length > COUNTERS_SHOWN) {
      toggle.hidden = false;
      toggle.addEventListener('click', () => {
        state.showAllCounters = !state.showAllCounters;
        toggle.textContent = state.showAllCounters ? 'show fewer counters' : 'show all ' + c.series.length + ' counters';
        drawCounters();
      });
      toggle.textContent = 'show all ' + c.series.length + ' counters';
    }
    drawCounters();
  }

  function drawCounters() {
    const c = state.doc.counters, box = $('counters');
    if (!c || !c.series || !state.heat) return;
    box.textContent = '';
    const shown = state.showAllCounters ? c.series : c.series.slice(0, COUNTERS_SHOWN);
    const groups = d3.group(shown, (s) => s.unit || '');
    for (const [unit, series] of groups) {
      box.append(el('div', { class: 'counter-group-title' }, unit ? 'in ' + unit : 'counters'));
      for (const s of series) box.append(drawCounter(s, c));
    }
  }

  function drawCounter(series, c) {
    const heat = state.heat, w = heat.width;
    const wrap = el('div', { class: 'counter' });
    const values = series.values || [];
    let max = 0;
    for (const v of values) if (v !== null && v > max) max = v;
    wrap.append(el('div', { class: 'counter-label' }, series.name + ' (max ' + (+max.toPrecision(4)) + ' ' + (series.unit || '') + ')'));
    const canvas = el('canvas');
    const ctx = sizeCanvas(canvas, w, COUNTER_H);
    ctx.fillStyle = '#fafafa';
    ctx.fillRect(0, 0, w, COUNTER_H);
    const tl = state.timeline;
    if (state.range) {
      ctx.fillStyle = 'rgba(60, 90, 230, 0.18)';
      ctx.fillRect(state.range.b0 * tl.bucket * heat.colW, 0, (state.range.b1 - state.range.b0 + 1) * tl.bucket * heat.colW, COUNTER_H);
    }
    for (const a of (state.doc.anomalies && state.doc.anomalies.counters) || []) {
      if (a.series !== series.name) continue;
      ctx.fillStyle = 'rgba(220, 60, 40, 0.15)';
      ctx.fillRect(a.start_s * heat.colW, 0, (a.end_s - a.start_s) * heat.colW, COUNTER_H);
    }
    const y = (v) => COUNTER_H - 3 - (max > 0 ? (v / max) * (COUNTER_H - 8) : 0);
    ctx.strokeStyle = '#c05000';
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    let open = false;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) { open = false; continue; }
      const x = ((c.start_s || 0) + i * c.window_s) * heat.colW;
      if (open) ctx.lineTo(x, y(v)); else ctx.moveTo(x, y(v));
      open = true;
    }
    ctx.stroke();
    wrap.append(canvas);
    return wrap;
  }

  // ---------- anomalies ----------

  function drawAnomalies() {
    const an = state.doc.anomalies;
    if (!an || ((!an.ranges || !an.ranges.length) && (!an.counters || !an.counters.length))) return;
    $('anomalies-section').hidden = false;
    const box = $('anomalies');
    (an.ranges || []).forEach((r, i) => {
      const item = el('div', { class: 'anomaly-range', 'data-index': String(i), role: 'button', tabindex: '0' });
      const head = el('div', { class: 'anomaly-head' });
      const sw = el('span', { class: 'swatch' });
      sw.style.background = kindColor(r.kind);
      head.append(sw, fmtTime(r.start_s) + ' – ' + fmtTime(r.end_s) + ' · ' + r.label + ' · score ' + (+r.score).toFixed(1));
      item.append(head);
      const changes = el('div', { class: 'anomaly-changes' });
      (r.changes || []).slice(0, 5).forEach((ch, k) => {
        if (k) changes.append(' · ');
        changes.append(el('span', { class: 'fn' }, ch.function), ' ',
          el('span', { class: ch.after >= ch.before ? 'grew' : 'shrank' }, pct(ch.before) + ' → ' + pct(ch.after)));
      });
      item.append(changes);
      item.addEventListener('click', () => selectAnomaly(i));
      item.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') selectAnomaly(i); });
      box.append(item);
    });
    if (an.counters && an.counters.length) {
      box.append(el('div', { class: 'anomaly-subtitle' }, 'Counters that left their usual level'));
      for (const a of an.counters) {
        const item = el('div', { class: 'anomaly-counter' },
          fmtTime(a.start_s) + ' – ' + fmtTime(a.end_s) + ' · ' + a.series + ': peak ' + a.peak + ' ' + (a.unit || '') +
          ' (usually ' + a.expected + ', z = ' + (+a.z).toFixed(1) + ')');
        if (state.timeline) item.addEventListener('click', () => setRange(rangeForTimes(a.start_s, a.end_s), null));
        box.append(item);
      }
    }
  }

  function selectAnomaly(i) {
    const r = state.doc.anomalies.ranges[i];
    setRange(state.timeline ? rangeForTimes(r.start_s, r.end_s) : null, i);
  }

  function markCurrentAnomaly() {
    for (const item of document.querySelectorAll('#anomalies .anomaly-range')) {
      item.classList.toggle('current', Number(item.dataset.index) === state.anomaly);
    }
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
    drawViewButtons();
    state.view = doc.views[0];
    if (doc.timeline && doc.views.some((v) => v.name === doc.timeline.view)) {
      state.timeline = decodeTimeline(doc.timeline);
      $('timeline-section').hidden = false;
      setupHeatmap();
      setupCounters();
    }
    drawAnomalies();
    drawUnwind();
    selectView(state.view.name);
  }

  main();
})();
