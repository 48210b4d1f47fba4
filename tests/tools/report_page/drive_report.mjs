// Drives a kiln HTML report page in headless Chromium for the tests:
//   node drive_report.mjs PAGE.html OUT_DIR STEPS      (STEPS: a JSON array, or @file holding one)
// Environment: KILN_REPORT_NODE_MODULES (playwright-core's node_modules, default
// /opt/kiln-deps/report/node_modules), KILN_CHROMIUM (default /usr/bin/chromium).
//
// Opens file://PAGE at 1400x1000, collects console errors and uncaught page errors from the
// start, waits (30 s at most) for body[data-ready="1"] ("error": the data could not be read), runs the steps in order and prints ONE
// JSON object on stdout:
//   {"console_errors": ["text", ...], "page_errors": ["message and stack", ...], "steps": [result, ...]}
// Exit 0 when every step ran (console/page errors are for the caller to judge); 1 with a message
// on stderr when the driver failed (page never ready, an element missing, a re-draw that never
// came, a bad step); 2 for bad arguments; 3 when the whole run passed 5 minutes.
//
// Steps and their results (every step that changes the graph waits, 15 s at most, until the
// page's body[data-rendered] counter went up and body[data-pending] is "0"):
//   {"do":"frames"}                 -> {"frames":[{"name","value","share","fill","depth"}, ...]}
//        every frame drawn (not faded by a zoom, width > 0), in the chart's DOM order; value =
//        the frame's total in the view's unit; share = value / the value of the root "all" for
//        the current view/range/anomaly; fill = the rect's computed fill "rgb(r, g, b)";
//        depth: "all" = 0, the process (comm) = 1, ...
//   {"do":"view","name":"offcpu"}   -> {}        clicks #view-select button[data-view=NAME]
//   {"do":"drag","from_s":1.2,"to_s":1.6} -> {"range": "<#range-label text>"}
//        a real mouse drag on the heat map from the cell holding the earlier time to the cell
//        holding the later one, the later time taken as an exclusive end: a time on a cell
//        boundary picks the cell before it, so 1.2 -> 1.6 selects [1.200 s, 1.600 s); either
//        direction works.
//   {"do":"clear_range"}            -> {}        clicks #clear-range
//   {"do":"icicle","on":true}       -> {}        sets the #icicle checkbox (no-op if already so)
//   {"do":"diff_base","on":true}    -> {}        sets #diff-base on a differential graph (the diff
//        page, an anomaly's): widths from the baseline (A scaled to B's total, or the normal
//        windows scaled to the range's), so what shrank or went away is drawn (blue)
//   {"do":"reset_zoom"}             -> {}        clicks #reset-zoom
//   {"do":"search","term":"hot_a"}  -> {"text": "<#search-result text>", "matches": N, "share": S}
//        fills #search, presses Enter; matches/share from #search-result's data-matches and
//        data-share (matched value / the graph's total, a fraction). The term is a regular
//        expression (a plain substring when it is not a valid one).
//   {"do":"zoom","name":"work"}     -> {}        clicks the first drawn frame with that name
//   {"do":"anomaly","index":0}      -> {"range": "<#range-label text>"}
//        clicks #anomalies .anomaly-range[data-index=N]: selects its range and shows its
//        differential flame graph
//   {"do":"text","selector":"#info"} -> {"text": innerText}
//   {"do":"screenshot","name":"cpu"} -> {"path": "OUT_DIR/cpu.png"}   (full page)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const MODULES = process.env.KILN_REPORT_NODE_MODULES || '/opt/kiln-deps/report/node_modules';
const CHROMIUM = process.env.KILN_CHROMIUM || '/usr/bin/chromium';
const READY_MS = 30000;
const STEP_MS = 15000;

const require = createRequire(path.join(MODULES, 'noop.js'));
const { chromium } = require(path.join(MODULES, 'playwright-core'));

class DriverError extends Error {}

function fail(message) { throw new DriverError(message); }

function readSteps(arg) {
  const text = arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg;
  const steps = JSON.parse(text);
  if (!Array.isArray(steps)) fail('STEPS must be a JSON array');
  return steps;
}

async function renderedCount(page) {
  return page.evaluate(() => Number(document.body.dataset.rendered || 0));
}

// Runs action, then waits until the page has re-drawn the flame graph (its rendered counter
// went past the value before) and has nothing pending.
async function afterRedraw(page, what, action) {
  const before = await renderedCount(page);
  await action();
  try {
    await page.waitForFunction((n) => Number(document.body.dataset.rendered || 0) > n &&
      (document.body.dataset.pending || '0') === '0', before, { timeout: STEP_MS, polling: 20 });
  } catch (e) {
    fail(`${what}: the flame graph was not re-drawn within ${STEP_MS / 1000} s`);
  }
}

async function mustFind(page, selector, what) {
  const handle = await page.$(selector);
  if (!handle) fail(`${what}: no element ${selector}`);
  return handle;
}

// Every frame drawn in the flame graph: not faded out by a zoom, wider than nothing.
function drawnFrames() {
  const frames = [];
  const groups = document.querySelectorAll('#flamegraph svg g.frame');
  let rootValue = 0;
  for (const g of groups) { const d = g.__data__; if (d && d.depth === 0) rootValue = d.data.value; }
  for (const g of groups) {
    const d = g.__data__;
    const rect = g.querySelector('rect');
    if (!d || !rect || g.classList.contains('fade')) continue;
    if (!(Number(rect.getAttribute('width')) > 0)) continue;
    frames.push({
      name: d.data.name, value: d.data.value,
      share: rootValue > 0 ? d.data.value / rootValue : 0,
      fill: getComputedStyle(rect).fill, depth: d.depth,
    });
  }
  return frames;
}

const steps = {
  async frames(page) {
    return { frames: await page.evaluate(drawnFrames) };
  },

  async view(page, step) {
    const button = await mustFind(page, `#view-select button[data-view="${cssString(step.name)}"]`, 'view ' + step.name);
    await afterRedraw(page, 'view', () => button.click());
    return {};
  },

  async drag(page, step) {
    const heat = await mustFind(page, '#timeline-section:not([hidden]) #heatmap:not([hidden])', 'drag (a page with a heat map)');
    await heat.scrollIntoViewIfNeeded();
    // The later of the two times is a range's end: on a cell boundary it selects the cell before
    // it, so a drag over 1.2 -> 1.6 selects [1.2 s, 1.6 s), in either direction.
    const from = await page.evaluate(([t, end]) => window.kilnReport.cellCenter(t, end), [step.from_s, step.from_s > step.to_s]);
    if (!from) fail('drag: the page has no timeline');
    await page.mouse.move(from.x, from.y);
    await afterRedraw(page, 'drag', async () => {
      await page.mouse.down();
      const to = await page.evaluate(([t, end]) => window.kilnReport.cellCenter(t, end), [step.to_s, step.to_s > step.from_s]);
      await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 2 });
      await page.mouse.move(to.x, to.y, { steps: 2 });
      await page.mouse.up();
    });
    return { range: await page.$eval('#range-label', (e) => e.innerText) };
  },

  async clear_range(page) {
    const button = await mustFind(page, '#clear-range', 'clear_range');
    await afterRedraw(page, 'clear_range', () => button.click());
    return {};
  },

  async icicle(page, step) {
    const box = await mustFind(page, '#icicle', 'icicle');
    const checked = await box.isChecked();
    if (checked === !!step.on) return {};
    await afterRedraw(page, 'icicle', () => box.click());
    return {};
  },

  async diff_base(page, step) {
    const box = await mustFind(page, '#diff-base-label:not([hidden]) #diff-base', 'diff_base (a differential graph shown)');
    if ((await box.isChecked()) === !!step.on) return {};
    await afterRedraw(page, 'diff_base', () => box.click());
    return {};
  },

  async reset_zoom(page) {
    const button = await mustFind(page, '#reset-zoom', 'reset_zoom');
    await afterRedraw(page, 'reset_zoom', () => button.click());
    return {};
  },

  async search(page, step) {
    await mustFind(page, '#search', 'search');
    await afterRedraw(page, 'search', async () => {
      await page.fill('#search', String(step.term));
      await page.press('#search', 'Enter');
    });
    return page.$eval('#search-result', (e) => ({
      text: e.innerText, matches: Number(e.dataset.matches), share: Number(e.dataset.share),
    }));
  },

  async zoom(page, step) {
    const box = await page.evaluate((name) => {
      for (const g of document.querySelectorAll('#flamegraph svg g.frame')) {
        const rect = g.querySelector('rect');
        if (!g.__data__ || g.__data__.data.name !== name || g.classList.contains('fade')) continue;
        if (!(Number(rect.getAttribute('width')) > 0)) continue;
        rect.scrollIntoView({ block: 'center' });
        const r = rect.getBoundingClientRect();
        return { x: r.left + Math.min(r.width / 2, 20), y: r.top + r.height / 2 };
      }
      return null;
    }, String(step.name));
    if (!box) fail(`zoom: no frame named ${JSON.stringify(step.name)} is drawn`);
    await afterRedraw(page, 'zoom', () => page.mouse.click(box.x, box.y));
    return {};
  },

  async anomaly(page, step) {
    const entry = await mustFind(page, `#anomalies .anomaly-range[data-index="${Number(step.index)}"]`, 'anomaly ' + step.index);
    await entry.scrollIntoViewIfNeeded();
    await afterRedraw(page, 'anomaly', () => entry.click());
    return { range: await page.$eval('#range-label', (e) => e.innerText) };
  },

  async text(page, step) {
    const handle = await mustFind(page, step.selector, 'text');
    return { text: await handle.innerText() };
  },

  async screenshot(page, step, outDir) {
    const name = String(step.name || 'page').replace(/[^A-Za-z0-9_.-]/g, '_');
    const file = path.join(outDir, name.endsWith('.png') ? name : name + '.png');
    // A full-page capture resizes the viewport and back, and Chromium then scrolls a focused
    // text field (the search box) into view, some time later: the next step's click, aimed
    // before that scroll, lands elsewhere. So nothing keeps the focus through the capture,
    // and the page gets two frames to lay itself out again afterwards.
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.screenshot({ path: file, fullPage: true, timeout: STEP_MS });
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    return { path: file };
  },
};

function cssString(s) { return String(s).replace(/["\\]/g, '\\$&'); }

async function run(pagePath, outDir, stepList) {
  const consoleErrors = [], pageErrors = [], results = [];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: READY_MS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(STEP_MS);
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
    page.on('pageerror', (err) => pageErrors.push(String(err && err.stack ? err.stack : err)));
    await page.goto(pathToFileURL(path.resolve(pagePath)).href, { timeout: READY_MS });
    try {
      await page.waitForFunction(() => document.body && /^(1|error)$/.test(document.body.dataset.ready || ''), null,
        { timeout: READY_MS, polling: 50 });
      if (await page.evaluate(() => document.body.dataset.ready) === 'error') {
        fail(`the page could not read its data: ${await page.$eval('#load-error', (e) => e.textContent)}`);
      }
    } catch (e) {
      if (e instanceof DriverError) throw e;
      fail(`the page never became ready within ${READY_MS / 1000} s; page errors: ${JSON.stringify(pageErrors)}; ` +
        `console errors: ${JSON.stringify(consoleErrors)}`);
    }
    for (const [i, step] of stepList.entries()) {
      const fn = step && Object.prototype.hasOwnProperty.call(steps, step.do) ? steps[step.do] : null;
      if (!fn) fail(`step ${i}: unknown step ${JSON.stringify(step)}`);
      try {
        results.push(await fn(page, step, outDir));
      } catch (e) {
        if (e instanceof DriverError) fail(`step ${i} (${step.do}): ${e.message}`);
        fail(`step ${i} (${step.do}): ${e.message}`);
      }
    }
  } finally {
    await browser.close();
  }
  return { console_errors: consoleErrors, page_errors: pageErrors, steps: results };
}

async function main() {
  const [pagePath, outDir, stepsArg] = process.argv.slice(2);
  if (!pagePath || !outDir || stepsArg === undefined) {
    process.stderr.write('usage: node drive_report.mjs PAGE.html OUT_DIR STEPS(JSON array or @file)\n');
    process.exit(2);
  }
  try {
    if (!fs.existsSync(pagePath)) fail(`no page ${pagePath}`);
    fs.mkdirSync(outDir, { recursive: true });
    const result = await run(pagePath, outDir, readSteps(stepsArg));
    process.stdout.write(JSON.stringify(result) + '\n');
  } catch (e) {
    process.stderr.write('drive_report: ' + (e instanceof DriverError ? e.message : (e && e.stack) || String(e)) + '\n');
    process.exit(1);
  }
}

// A watchdog: whatever hangs, the driver ends.
setTimeout(() => { process.stderr.write('drive_report: gave up after 5 minutes\n'); process.exit(3); }, 300000).unref();
main();
