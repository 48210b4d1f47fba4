// kiln HTML report, part 1 of 3: constants, page state, formatting, loading the data document,
// stack tries, the timeline's runs, colours.
// Plain classic scripts, no modules, no network. report_model.js, report_timeline.js and
// report.js run in that order and share the page's global scope; report.js starts the page.
// Every name from the data is untrusted text: it only reaches the page through textContent,
// d3's .text() or a canvas's fillText, never as HTML.
'use strict';

const ROWS_PER_SECOND_DEFAULT = 50;
const ROW_H = 6;          // heat-map row height, px
const STRIP_H = 10;       // anomaly band strip above the heat map
const AXIS_H = 18;        // seconds axis below it
const MIN_COL_W = 6;
const MAX_COL_W = 160;
const COUNTER_H = 38;
const COUNTERS_SHOWN = 12;
const TOP_ROWS = 30;
const MAX_FRAMES = 50000;    // frames handed to d3-flame-graph at most
const SELECT_FILL = 'rgba(60, 90, 230, 0.22)';

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
  graph: null,         // the drawn graph's {trie, val, extra}
  focus: 0,            // the trie node the tree was last re-built around (0: none)
  pruned: null,        // {frames, below} when the tiniest frames were left out
  refocusing: false,
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

// The smallest value a frame needs to be handed to the chart: with more than MAX_FRAMES frames
// (among those member() accepts, all when it is null), the tiniest are left out (FlameGraph's
// minwidth idea; their time stays in their parents). total: the value widths are relative to.
function pruneThreshold(val, total, member) {
  const CLASSES = 512, PER_OCTAVE = 8;
  if (!(total > 0)) return 0;
  const counts = new Float64Array(CLASSES);   // nodes per class of value/total, 1/8 octave wide
  let nonzero = 0;
  for (let i = 1; i < val.length; i++) {
    if (val[i] > 0 && (!member || member[i])) {
      nonzero++;
      counts[Math.min(CLASSES - 1, Math.max(0, Math.floor(-Math.log2(val[i] / total) * PER_OCTAVE)))]++;
    }
  }
  if (nonzero <= MAX_FRAMES) return 0;
  let kept = 0;
  for (let k = 0; k < CLASSES; k++) {
    if (kept + counts[k] > MAX_FRAMES) return total * Math.pow(2, -k / PER_OCTAVE);   // keep classes < k
    kept += counts[k];
  }
  return 0;
}

// The d3-flame-graph data tree of the nodes with a value (extra: optional per-node arrays).
// focus: a trie node the user zoomed into; when frames had to be left out, its subtree gets a
// threshold of its own, so zooming in shows its small frames.
function toHierarchy(trie, val, extra, focus) {
  const min = pruneThreshold(val, val[0], null);
  let inFocus = null, focusMin = min;
  if (min > 0 && focus > 0) {
    inFocus = new Uint8Array(trie.size);
    inFocus[focus] = 1;
    for (let i = focus + 1; i < trie.size; i++) inFocus[i] = inFocus[trie.parent[i]];
    focusMin = pruneThreshold(val, val[focus], inFocus);
  }
  const objs = new Array(trie.size);
  const root = { name: 'all', value: val[0], kind: 4, tid: 0, children: [] };
  objs[0] = root;
  let hidden = 0;
  for (let i = 1; i < trie.size; i++) {
    if (!(val[i] > 0) || !objs[trie.parent[i]]) continue;
    if (val[i] < (inFocus && inFocus[i] ? focusMin : min)) { hidden++; continue; }
    const n = trie.name[i];
    const o = { name: state.names[n], value: val[i], kind: state.kinds[n], tid: i, children: [] };
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
  if (kind === 1) return rgb(225 + 30 * v, 130 + 40 * v, 80 + 50 * v);             // kernel: peach-orange
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
