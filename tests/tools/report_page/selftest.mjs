// The report page's own check, without the C++ side: builds the fixture pages, drives them with
// drive_report.mjs and checks what it saw.   node selftest.mjs [OUT_DIR]
// (screenshots land in OUT_DIR, default a fresh directory under the system's temp dir)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-report-'));
fs.mkdirSync(out, { recursive: true });
let failures = 0;

function check(ok, what) {
  process.stdout.write((ok ? 'ok   ' : 'FAIL ') + what + '\n');
  if (!ok) failures++;
}

function near(a, b) { return Math.abs(a - b) < 1e-3; }

function build(name) {
  const page = path.join(out, name + '.html');
  execFileSync('node', [path.join(here, 'build_page.mjs'), path.join(here, 'fixtures', name + '.json'), page]);
  return page;
}

function drive(page, steps) {
  const text = execFileSync('node', [path.join(here, 'drive_report.mjs'), page, out, JSON.stringify(steps)],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  const result = JSON.parse(text);
  check(result.console_errors.length === 0, 'no console errors ' + JSON.stringify(result.console_errors));
  check(result.page_errors.length === 0, 'no page errors ' + JSON.stringify(result.page_errors));
  return result.steps;
}

const byName = (frames, name) => frames.filter((f) => f.name === name);
const rgbOf = (fill) => fill.match(/\d+/g).map(Number);

// analyze page: cpu_split-like, hot_a 3/4 and hot_b 1/4 of work outside 1.2-1.6 s, phase_b inside
{
  const page = build('analyze');
  const s = drive(page, [
    { do: 'frames' },                                   // 0
    { do: 'drag', from_s: 1.2, to_s: 1.6 },             // 1
    { do: 'frames' },                                   // 2
    { do: 'drag', from_s: 0, to_s: 1.2 },               // 3
    { do: 'frames' },                                   // 4
    { do: 'search', term: 'hot_a' },                    // 5
    { do: 'screenshot', name: 'analyze-range' },        // 6
    { do: 'view', name: 'offcpu' },                     // 7
    { do: 'text', selector: '#range-note' },            // 8
    { do: 'view', name: 'cpu' },                        // 9
    { do: 'clear_range' },                              // 10
    { do: 'search', term: 'hot_a' },                    // 11
    { do: 'view', name: 'offcpu' },                     // 12
    { do: 'frames' },                                   // 13
    { do: 'view', name: 'cpu' },                        // 14
    { do: 'zoom', name: 'work' },                       // 15
    { do: 'frames' },                                   // 16
    { do: 'reset_zoom' },                               // 17
    { do: 'icicle', on: true },                         // 18
    { do: 'frames' },                                   // 21
    { do: 'anomaly', index: 0 },                        // 20
    { do: 'frames' },                                   // 21
    { do: 'text', selector: '#info' },                  // 22
    { do: 'screenshot', name: 'analyze-anomaly' },      // 23
    { do: 'diff_base', on: true },                      // 24
    { do: 'frames' },                                   // 25
  ]);
  const all = s[0].frames;
  check(near(byName(all, 'hot_a')[0].share, 1041 / 1788), 'whole recording: hot_a share ' + byName(all, 'hot_a')[0].share);
  check(byName(all, 'all')[0].depth === 0 && byName(all, 'cpu_split')[0].depth === 1, 'root "all" at depth 0, comm at 1');
  check(/^rgb\(/.test(byName(all, 'jit_loop_[j]')[0].fill) && rgbOf(byName(all, 'jit_loop_[j]')[0].fill)[1] > 180, 'JIT frame green');
  check(s[1].range.startsWith('1.200 s – 1.600 s (400 samples)'), 'range label ' + s[1].range);
  check(byName(s[2].frames, 'phase_b').length === 1 && near(byName(s[2].frames, 'phase_b')[0].share, 1), 'range 1.2-1.6: phase_b is all');
  check(!byName(s[2].frames, 'hot_a').length && !byName(s[2].frames, 'work').length, 'range 1.2-1.6: no work/hot_a');
  check(near(byName(s[4].frames, 'hot_a')[0].share, 0.75) && near(byName(s[4].frames, 'hot_b')[0].share, 0.25),
    'range 0-1.2: hot_a 0.75, hot_b 0.25');
  check(!byName(s[4].frames, 'phase_b').length, 'range 0-1.2: no phase_b');
  check(s[5].matches === 1 && near(s[5].share, 0.75) && s[5].text === '1 match, 75.0% of samples', 'search hot_a in range: ' + JSON.stringify(s[5]));
  check(near(s[11].share, 1041 / 1788), 'search hot_a, whole recording: ' + s[11].share);
  const off = s[13].frames;
  check(byName(off, '<script>alert(1)</script>').length === 1, 'untrusted name drawn as text');
  const io = rgbOf(byName(off, '[io]')[0].fill);
  check(io[2] > io[0] && io[2] > io[1], 'off-CPU frame blue ' + byName(off, '[io]')[0].fill);
  check(/applies to the cpu view only/.test(s[8].text), 'range note on another view: ' + s[8].text);
  check(s[16].frames.every((f) => f.depth >= 5) && byName(s[16].frames, 'work').length === 1, 'zoom on work: only its subtree drawn');
  check(s[19].frames.length === all.length, 'icicle after reset zoom: every frame drawn');
  const phase = byName(s[21].frames, 'phase_b')[0];
  check(phase && rgbOf(phase.fill)[0] > rgbOf(phase.fill)[2], 'anomaly differential: phase_b red/orange ' + (phase && phase.fill));
  const gone = byName(s[25].frames, 'hot_b')[0];   // (hot_a is highlighted by the search)
  check(gone && rgbOf(gone.fill)[2] > rgbOf(gone.fill)[0] && near(gone.share, 0.25),
    'anomaly, widths from the normal windows: hot_b blue, 0.25 ' + (gone && gone.fill));
  check(/cpu_split 2/.test(s[22].text) && /libweird/.test(s[22].text), 'info and warnings shown');
}

// diff page: render_page grew
{
  const page = build('diff');
  const s = drive(page, [
    { do: 'frames' }, { do: 'text', selector: '#diff-table' }, { do: 'search', term: 'render_page' },
    { do: 'screenshot', name: 'diff' }, { do: 'diff_base', on: true }, { do: 'frames' },
  ]);
  const rp = byName(s[0].frames, 'render_page')[0];
  const [r, g, b] = rgbOf(rp.fill);
  check(r > g && r > b, 'diff: render_page red-ish ' + rp.fill);
  const pq = rgbOf(byName(s[0].frames, 'parse_query')[0].fill);
  check(pq[2] > pq[0], 'diff: parse_query blue-ish');
  check(/render_page\t33\.0%\t50\.0%\t\+17\.0/.test(s[1].text), 'diff table row');
  check(near(s[2].share, 0.5), 'diff: search share ' + s[2].share);
  const base = s[5].frames;
  check(near(byName(base, 'parse_query')[0].share, 0.4) && near(byName(base, 'render_page')[0].share, 0.33),
    'diff, widths from A: parse_query 0.40, render_page 0.33');
}

process.stdout.write((failures ? failures + ' check(s) failed' : 'all checks passed') + '; screenshots in ' + out + '\n');
process.exit(failures ? 1 : 0);
