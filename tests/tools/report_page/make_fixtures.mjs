// Writes the hand-made data documents the report page is tested with (fixtures/*.json):
//   node make_fixtures.mjs [OUT_DIR]          analyze.json (cpu_split-like) and diff.json
//   node make_fixtures.mjs --large OUT.json   a big analyze document (200k stacks, ~2M run numbers)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// runs: [bucket_delta, n, stack, count, ...] from a Map bucket -> Map stack -> count
function encodeRuns(perBucket) {
  const runs = [];
  let prev = 0;
  for (const b of [...perBucket.keys()].sort((x, y) => x - y)) {
    const cells = perBucket.get(b);
    runs.push(b - prev, cells.size);
    for (const [s, n] of cells) runs.push(s, n);
    prev = b;
  }
  return runs;
}

function analyzeDoc() {
  const names = ['cpu_split', '_start', '__libc_start_main', 'main', 'work', 'hot_a', 'hot_b', 'phase_b',
    'read', 'entry_SYSCALL_64_[k]', 'schedule_[k]', '[io]', 'nanosleep', '[sleep]', 'jit_loop_[j]',
    '<script>alert(1)</script>'];
  const kinds = [4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 5, 0, 5, 2, 0];
  const base = [0, 1, 2, 3];
  const stacks = [[...base, 4, 5], [...base, 4, 6], [...base, 7], [...base, 4, 5, 14]];
  // 2 s of 20 ms buckets holding 4k samples (k = 4 or 5): hot_a 3k (one of them in JIT code),
  // hot_b k; from 1.2 s to 1.6 s (buckets 60..79) only phase_b, 20 per bucket.
  const perBucket = new Map();
  const values = [0, 0, 0, 0];
  for (let b = 0; b < 100; b++) {
    const cells = new Map();
    if (b >= 60 && b < 80) cells.set(2, 20);
    else { const k = 4 + ((b * 7) % 3 === 0 ? 1 : 0); cells.set(0, 3 * k - 1); cells.set(1, k); cells.set(3, 1); }
    for (const [s, n] of cells) values[s] += n;
    perBucket.set(b, cells);
  }
  const total = values.reduce((a, b) => a + b, 0);
  const offStacks = [[...base, 8, 9, 10, 11], [...base, 4, 12, 9, 10, 13], [...base, 15, 12, 9, 10, 13]];
  const offValues = [600e6, 250e6, 150e6];
  const counters = {
    window_s: 0.1, start_s: 0,
    series: [
      { name: 'load.running', unit: 'tasks', values: Array.from({ length: 20 }, (_, i) => (i >= 12 && i < 16 ? 3 : 1)) },
      { name: 'cpu.busy', unit: '%', values: Array.from({ length: 20 }, (_, i) => 50 + 10 * Math.sin(i)) },
      { name: 'psi.cpu.some', unit: '%', values: Array.from({ length: 20 }, (_, i) => (i === 5 || i === 6 ? null : i % 3)) },
      { name: 'mem.rss', unit: 'bytes', values: Array.from({ length: 20 }, (_, i) => 1048576 * (10 + i)) },
    ],
  };
  const normal = [values[0], values[1], 0, values[3]];
  return {
    schema: 1, kind: 'analyze', title: 'kiln report: cpu_split.kiln', file: 'cpu_split.kiln',
    command: 'kiln analyze cpu_split.kiln --html r.html', duration_s: 2.0,
    info: [['command', './cpu_split 2'], ['duration', '2.00 s'], ['events', 'cpu-clock (1000 Hz)'], ['samples', String(total)]],
    warnings: ['1 binary had no symbols: /usr/lib/libweird.so'],
    names, kinds,
    views: [
      { name: 'cpu', description: 'On-CPU time: where the threads ran', unit: 'samples', total, stacks, values },
      { name: 'offcpu', description: 'Off-CPU time: where the threads blocked', unit: 'nanoseconds',
        total: offValues.reduce((a, b) => a + b, 0), stacks: offStacks, values: offValues },
      { name: 'hotcold', description: 'On- and off-CPU time together', unit: 'nanoseconds',
        total: 2e9, stacks: [[...base, 4, 5], [...base, 8, 9, 10, 11]], values: [1.5e9, 0.5e9], cold: [0, 0.5e9] },
    ],
    timeline: { view: 'cpu', bucket_s: 0.02, buckets: 100, runs: encodeRuns(perBucket) },
    counters,
    anomalies: {
      window_s: 0.1,
      ranges: [{
        start_s: 1.2, end_s: 1.6, kind: 1, label: 'phase_b', score: 12.3,
        changes: [{ function: 'phase_b', before: 0, after: 1, p: 1e-30 }, { function: 'hot_a', before: 0.75, after: 0, p: 1e-20 }],
        diff: { stacks, before: normal, after: [0, 0, 400, 0] },
      }],
      kinds: [{ id: 1, label: 'phase_b', ranges: 1, windows: 4 }],
      counters: [{ series: 'load.running', unit: 'tasks', start_s: 1.2, end_s: 1.6, z: 8.1, expected: 1, peak: 3 }],
    },
    unwind: {
      stacks: 2000, complete_pct: 99.1, truncated_pct: 0.5, failed_pct: 0.4, fp_fallback_pct: 0,
      rows: [{ binary: '/usr/lib/libweird.so', pct: 0.4, what: 'stopped here: no CFI', fix: 'build it with -fasynchronous-unwind-tables' }],
    },
  };
}

function diffDoc() {
  const names = ['server', 'main', 'handle', 'render_page', 'parse_query', 'log_write'];
  const kinds = [4, 0, 0, 0, 0, 0];
  const stacks = [[0, 1, 2, 3], [0, 1, 2, 4], [0, 1, 5]];
  const a = [330, 400, 270], b = [550, 330, 220];
  return {
    schema: 1, kind: 'diff', title: 'kiln diff: base.kiln vs new.kiln', file: 'new.kiln',
    command: 'kiln diff base.kiln new.kiln --html d.html', duration_s: 2.0, names, kinds,
    diff: {
      a: 'base.kiln', b: 'new.kiln', unit: 'samples', a_total: 1000, b_total: 1100,
      stacks, a_values: a, b_values: b,
      table: [
        { function: 'render_page', a_share: 0.33, b_share: 0.5, delta_pp: 17.0, p: 1e-9, significant: true },
        { function: 'parse_query', a_share: 0.4, b_share: 0.3, delta_pp: -10.0, p: 1e-5, significant: true },
        { function: 'log_write', a_share: 0.27, b_share: 0.2, delta_pp: -7.0, p: 0.08, significant: false },
      ],
      verdict: 'regression: render_page +17.0 pp (p < 1e-9)',
    },
  };
}

// ~200k distinct stacks of depth 12..30 over 5000 functions, 600 s, runs of ~2M numbers.
function largeDoc() {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x80000000);
  const nFn = 5000;
  const names = ['big'], kinds = [4];
  for (let i = 1; i < nFn; i++) { names.push('fn_' + i + (i % 17 === 0 ? '_[k]' : '')); kinds.push(i % 17 === 0 ? 1 : 0); }
  const stacks = [], values = [];
  for (let s = 0; s < 200000; s++) {
    const depth = 12 + Math.floor(rnd() * 18);
    const st = [0];
    for (let d = 1; d < depth; d++) st.push(1 + Math.floor(Math.pow(rnd(), 3 - d / 12) * (nFn - 1)));
    stacks.push(st); values.push(0);
  }
  const buckets = 600 * 50, perBucket = new Map();
  let pairs = 0;
  while (pairs < 950000) {
    const b = Math.floor(rnd() * buckets), s = Math.floor(rnd() * stacks.length);
    if (!perBucket.has(b)) perBucket.set(b, new Map());
    const cells = perBucket.get(b);
    if (!cells.has(s)) pairs++;
    cells.set(s, (cells.get(s) || 0) + 1);
    values[s]++;
  }
  const total = values.reduce((a, b) => a + b, 0);
  return {
    schema: 1, kind: 'analyze', title: 'kiln report: big.kiln', file: 'big.kiln', command: 'kiln analyze big.kiln --html big.html',
    duration_s: 600, info: [['duration', '600 s']], warnings: [], names, kinds,
    views: [{ name: 'cpu', description: 'On-CPU', unit: 'samples', total, stacks, values }],
    timeline: { view: 'cpu', bucket_s: 0.02, buckets, runs: encodeRuns(perBucket) },
  };
}

if (process.argv[2] === '--large') {
  fs.writeFileSync(process.argv[3], JSON.stringify(largeDoc()));
} else {
  const out = process.argv[2] || path.join(here, 'fixtures');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'analyze.json'), JSON.stringify(analyzeDoc(), null, 1) + '\n');
  fs.writeFileSync(path.join(out, 'diff.json'), JSON.stringify(diffDoc(), null, 1) + '\n');
}
