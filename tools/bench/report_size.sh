#!/usr/bin/env bash
# The HTML report's size and build time, side by side with perf's flame-graph data in one run:
# `kiln record -a -F 99 -g fp` and `perf record -a -F 99 -g` of the same SECS (the machine
# running a mixed stress-ng load: CPU methods, memory, disk, so stacks are many and varied),
# then `kiln analyze --html` (every view, the 20 ms heat map, counters, anomalies; compressed
# in the page) against perf's flame-graph script with `--format json` (`perf script report
# flamegraph`: the merged tree perf's HTML flame graph embeds, one profile, no timeline; its
# HTML is that JSON in a template, which Debian does not package).
# Usage: report_size.sh KILN_BIN [SECS]   (default 60 s)
set -euo pipefail
kiln=$1 secs=${2:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stress-ng --cpu 1 --cpu-method all --vm 1 --vm-bytes 64M --hdd 1 --hdd-bytes 16M --timeout "$((secs + 5))s" \
  >/dev/null 2>&1 &
load=$!
"$kiln" record -q -a -F 99 -g fp -o "$work/k.kiln" -- sleep "$secs" &
kiln_pid=$!
perf record -q -a -F 99 -g -o "$work/p.data" -- sleep "$secs" 2>/dev/null
wait "$kiln_pid"
wait "$load" || true
t0=$(date +%s.%N)
"$kiln" analyze "$work/k.kiln" --html "$work/report.html" 2>/dev/null
t1=$(date +%s.%N)
script=$(find /usr/lib*/perf-core /usr/libexec/perf-core -name flamegraph.py 2>/dev/null | head -n 1 || true)
perf script -i "$work/p.data" -s "$script" -- --format json -o "$work/perf.json" >/dev/null 2>&1
t2=$(date +%s.%N)
size() { stat -c %s "$1"; }
kiln_html=$(size "$work/report.html") perf_json=$(size "$work/perf.json")
perf_gz=$(gzip -c "$work/perf.json" | wc -c)
# The page's data alone (the base64 text of #kiln-data): the rest is d3, d3-flame-graph and kiln's script.
kiln_data=$(python3 -c 'import re,sys; print(len(re.search(r"id=\"kiln-data\">\s*([^<]*)", open(sys.argv[1]).read()).group(1).strip()))' "$work/report.html")
printf "system-wide, -F 99, %s s, %s CPUs\n" "$secs" "$(nproc)"
printf "%-52s %12s %10s\n" "" "bytes" "seconds"
printf "%-52s %12d %10.2f\n" "kiln analyze --html (the whole page)" "$kiln_html" "$(echo "$t1 - $t0" | bc -l)" \
  "perf flamegraph.py --format json (merged tree)" "$perf_json" "$(echo "$t2 - $t1" | bc -l)"
printf "%-52s %12d\n" "  kiln's data in it (gzip + base64)" "$kiln_data" \
  "  perf's JSON gzip-compressed" "$perf_gz" \
  "kiln recording" "$(size "$work/k.kiln")" "perf.data" "$(size "$work/p.data")"
printf "kiln page / perf's flame-graph JSON: %.2fx; kiln's data / perf's JSON: %.2fx; time: %.2fx\n" \
  "$(echo "$kiln_html / $perf_json" | bc -l)" "$(echo "$kiln_data / $perf_json" | bc -l)" \
  "$(echo "($t1 - $t0) / ($t2 - $t1 + 0.000001)" | bc -l)"
