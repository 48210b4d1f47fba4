// Dev/test helper: builds a kiln HTML report page from a data document without the C++ side.
//   node build_page.mjs DATA.json OUT.html
// Does the same substitution as the C++ assembler: the template's @@KILN_*@@ marker lines are
// replaced by the CSS, d3, d3-flame-graph, the gzip+base64 data document and the report's three
// scripts (report_model.js, report_timeline.js, report.js).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const web = path.join(repo, 'analyzer', 'report', 'web');
const modules = process.env.KILN_REPORT_NODE_MODULES || '/opt/kiln-deps/report/node_modules';

function escapeHtml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function main() {
  const [dataPath, outPath] = process.argv.slice(2);
  if (!dataPath || !outPath) {
    process.stderr.write('usage: node build_page.mjs DATA.json OUT.html\n');
    process.exit(2);
  }
  const json = fs.readFileSync(dataPath, 'utf8');
  const doc = JSON.parse(json);
  const data = zlib.gzipSync(Buffer.from(json, 'utf8')).toString('base64');
  const parts = {
    '@@KILN_TITLE@@': escapeHtml(String(doc.title || 'kiln report')),
    '@@KILN_CSS@@': fs.readFileSync(path.join(web, 'report.css'), 'utf8'),
    '@@KILN_D3@@': fs.readFileSync(path.join(modules, 'd3/dist/d3.min.js'), 'utf8'),
    '@@KILN_FLAMEGRAPH@@': fs.readFileSync(
      path.join(modules, 'd3-flame-graph/dist/d3-flamegraph.umd.min.js'), 'utf8'),
    '@@KILN_DATA@@': data,
    '@@KILN_REPORT_MODEL_JS@@': fs.readFileSync(path.join(web, 'report_model.js'), 'utf8'),
    '@@KILN_REPORT_TIMELINE_JS@@': fs.readFileSync(path.join(web, 'report_timeline.js'), 'utf8'),
    '@@KILN_REPORT_JS@@': fs.readFileSync(path.join(web, 'report.js'), 'utf8'),
  };
  const template = fs.readFileSync(path.join(web, 'report.html'), 'utf8');
  const seen = new Set();
  const lines = template.split('\n').map((line) => {
    if (Object.prototype.hasOwnProperty.call(parts, line)) {
      if (seen.has(line)) throw new Error(`marker ${line} appears twice`);
      seen.add(line);
      return parts[line];
    }
    return line;
  });
  for (const marker of Object.keys(parts)) {
    if (!seen.has(marker)) throw new Error(`marker ${marker} missing from the template`);
  }
  fs.writeFileSync(outPath, lines.join('\n'));
}

main();
