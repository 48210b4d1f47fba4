// kiln HTML report, part 2 of 3: the heat map and its range selection, the counter charts,
// the anomalies list.
// Plain classic scripts, no modules, no network. report_model.js, report_timeline.js and
// report.js run in that order and share the page's global scope; report.js starts the page.
// Every name from the data is untrusted text: it only reaches the page through textContent,
// d3's .text() or a canvas's fillText, never as HTML.
'use strict';

// ---------- heat map ----------

// The time axis shared by the heat map's columns and the counter charts: px per second.
function timeAxis(seconds) {
  const avail = Math.max(300, ($('timeline-scroll').clientWidth || 1300) - 4);
  const colW = Math.max(MIN_COL_W, Math.min(MAX_COL_W, Math.floor(avail / seconds)));
  return { seconds, colW, width: seconds * colW, drag: null };
}

function setupHeatmap() {
  const tl = state.timeline;
  state.heat = timeAxis(Math.max(1, Math.ceil(Math.max(state.doc.duration_s || 0, tl.buckets * tl.bucket) - 1e-9)));
  state.heat.height = STRIP_H + tl.rows * ROW_H + AXIS_H;
  sizeCanvas($('heatmap'), state.heat.width, state.heat.height);
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

// Counters without a heat map (no sample-based view): their own time axis, no range selection.
function setupCountersOnly() {
  const c = state.doc.counters;
  const longest = Math.max(0, ...c.series.map((s) => (s.values || []).length));
  const end = Math.max(state.doc.duration_s || 0, (c.start_s || 0) + longest * c.window_s);
  $('heat-rows').hidden = true;
  for (const sel of ['.timeline-status', '.range-bar']) document.querySelector(sel).hidden = true;
  document.querySelector('#timeline-section .hint').textContent = '(counters over the recording)';
  state.heat = timeAxis(Math.max(1, Math.ceil(end - 1e-9)));
  const canvas = $('heatmap');
  canvas.style.cursor = 'default';
  drawSecondsAxis(sizeCanvas(canvas, state.heat.width, AXIS_H), 0);
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
    ctx.fillRect(r.x, r.y, r.w - (heat.colW > 8 ? 1 : 0), r.h);
  }
  const sel = heat.drag ? orderedRange(heat.drag.b0, heat.drag.b1) : state.range;
  for (const r of (state.doc.anomalies && state.doc.anomalies.ranges) || []) {
    ctx.fillStyle = kindColor(r.kind);
    ctx.fillRect(r.start_s * heat.colW, 1, Math.max(2, (r.end_s - r.start_s) * heat.colW), STRIP_H - 3);
    drawCellRange(ctx, rangeForTimes(r.start_s, r.end_s), null, kindColor(r.kind), [3, 2]);
  }
  if (sel) drawCellRange(ctx, sel, SELECT_FILL, '#1d3fd6');
  drawSecondsAxis(ctx, STRIP_H + tl.rows * ROW_H);
}

// A range of cells: a wash (fill, optional) and an outline per column it spans.
function drawCellRange(ctx, sel, fill, stroke, dash) {
  const rows = state.timeline.rows, colW = state.heat.colW;
  const c0 = Math.floor(sel.b0 / rows), c1 = Math.floor(sel.b1 / rows);
  ctx.strokeStyle = stroke;
  ctx.lineWidth = 2;
  ctx.setLineDash(dash || []);
  for (let c = c0; c <= c1; c++) {
    const r0 = c === c0 ? sel.b0 % rows : 0, r1 = c === c1 ? sel.b1 % rows : rows - 1;
    const y = STRIP_H + r0 * ROW_H, h = (r1 - r0 + 1) * ROW_H;
    if (fill) { ctx.fillStyle = fill; ctx.fillRect(c * colW, y, colW, h); }
    ctx.strokeRect(c * colW + 1, y + 1, colW - 2, h - 2);
  }
  ctx.setLineDash([]);
}

function drawSecondsAxis(ctx, y) {
  const heat = state.heat;
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

// The bucket under the mouse, or null off the columns (clamp: the nearest, for a drag).
function bucketFromEvent(ev, clamp) {
  const rect = $('heatmap').getBoundingClientRect(), heat = state.heat, tl = state.timeline;
  let col = Math.floor((ev.clientX - rect.left) / heat.colW);
  const row = Math.floor((ev.clientY - rect.top - STRIP_H) / ROW_H);
  if (clamp) col = Math.min(Math.max(col, 0), heat.seconds - 1);
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
  const b = bucketFromEvent(ev, true);
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
  if (state.timeline) drawHeatmap();
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
    box.append(el('div', { class: 'counter-group-title' }, unit ? 'counters in ' + unit : 'counters'));
    for (const s of series) box.append(drawCounter(s, c));
  }
}

function counterValue(v, unit) {
  if (unit === 'bytes' || unit === 'nanoseconds') return formatValue(v, unit);
  return String(+v.toPrecision(4)) + (unit ? ' ' + unit : '');
}

function drawCounter(series, c) {
  const heat = state.heat, w = heat.width;
  const wrap = el('div', { class: 'counter' });
  const values = series.values || [];
  let max = 0;
  for (const v of values) if (v !== null && v > max) max = v;
  wrap.append(el('div', { class: 'counter-label' }, series.name + ' (max ' + counterValue(max, series.unit) + ')'));
  const canvas = el('canvas');
  const ctx = sizeCanvas(canvas, w, COUNTER_H);
  ctx.fillStyle = '#fafafa';
  ctx.fillRect(0, 0, w, COUNTER_H);
  const tl = state.timeline;
  if (state.range) {
    ctx.fillStyle = 'rgba(60, 90, 230, 0.18)';
    const x0 = state.range.b0 * tl.bucket * heat.colW, x1 = (state.range.b1 + 1) * tl.bucket * heat.colW;
    ctx.fillRect(x0, 0, x1 - x0, COUNTER_H);
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
  if (an.kinds && an.kinds.length) {
    const legend = el('div', { class: 'anomaly-kinds' });
    for (const k of an.kinds) {
      const sw = el('span', { class: 'swatch' });
      sw.style.background = kindColor(k.id);
      legend.append(el('span', { class: 'anomaly-kind' }));
      legend.lastChild.append(sw, k.label + ' (' + k.ranges + (k.ranges === 1 ? ' range, ' : ' ranges, ') +
        k.windows + (k.windows === 1 ? ' window)' : ' windows)'));
    }
    box.append(legend);
  }
  (an.ranges || []).forEach((r, i) => {
    const item = el('div', { class: 'anomaly-range', 'data-index': String(i), role: 'button', tabindex: '0' });
    const head = el('div', { class: 'anomaly-head' });
    const sw = el('span', { class: 'swatch' });
    sw.style.background = kindColor(r.kind);
    head.append(sw, fmtTime(r.start_s) + ' – ' + fmtTime(r.end_s) + ' · ' + r.label +
      ' · score ' + (+r.score).toFixed(1));
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
        fmtTime(a.start_s) + ' – ' + fmtTime(a.end_s) + ' · ' + a.series + ': peak ' + a.peak + ' ' +
        (a.unit || '') +
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
