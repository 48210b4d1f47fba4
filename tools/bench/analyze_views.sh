#!/usr/bin/env bash
# `kiln analyze -o DIR` (every view in one pass: records decoded, samples parsed and unwound
# once) against each view analyzed alone (`--view V`, writing the same folded, SVG and pprof
# files), on a `--off-cpu --mem -g dwarf` recording of mem_mix (allocator uprobes, faults,
# mmap/brk tracepoints, sched switches and cpu-clock: ten views share the samples).
# Reported: CPU seconds (user+sys, median of 3) of the one pass, of the slowest single view
# and of all single views one after another (what -o DIR cost when it ran a pass per view),
# and the ratios.
# Usage: analyze_views.sh KILN_BIN MEM_MIX_BIN [ROUNDS]
set -euo pipefail
kiln=$1 workload=$2 rounds=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$kiln" record -q --off-cpu --mem -e cpu-clock -g dwarf -o "$work/rec.kiln" -- "$workload" "$rounds"
samples=$("$kiln" info --json "$work/rec.kiln" | python3 -c "import json, sys; print(json.load(sys.stdin)['samples'])")

# Median CPU seconds of three runs of a command.
cpu3() {
  for _ in 1 2 3; do python3 "$here/cpu_of.py" "$work/out" "$work/err" -- "$@" | awk '{print $1}'; done | sort -n | sed -n 2p
}

one_pass=$(cpu3 "$kiln" analyze "$work/rec.kiln" -o "$work/dir")
views=$(ls "$work/dir" | sed -n 's/\.folded$//p')
echo "recording: $(basename "$workload") $rounds, $samples samples, -g dwarf; views: $(echo $views)"
printf "%-10s %8s\n" view cpu_s
slowest=0 slowest_view="" sum=0
for v in $views; do
  c=$(cpu3 "$kiln" analyze "$work/rec.kiln" --view "$v" --folded "$work/$v.folded" --svg "$work/$v.svg" \
        --pprof "$work/$v.pb.gz")
  printf "%-10s %8.3f\n" "$v" "$c"
  cmp -s "$work/$v.folded" "$work/dir/$v.folded" || echo "  $v: the one pass wrote other stacks than the view alone" >&2
  sum=$(echo "$sum + $c" | bc -l)
  if (( $(echo "$c > $slowest" | bc -l) )); then slowest=$c slowest_view=$v; fi
done
printf "%-10s %8.3f\n" "-o DIR" "$one_pass"
printf "one pass / slowest view (%s): %.2f   one pass / every view alone (sum %.3f s): %.2f\n" \
  "$slowest_view" "$(echo "$one_pass / $slowest" | bc -l)" "$sum" "$(echo "$one_pass / $sum" | bc -l)"
