#!/usr/bin/env bash
# DWARF unwinding cost, kiln analyze against perf report and perf script, side by side in
# one run: one workload built without frame pointers, recorded by both tools with
# `-g dwarf,8192` at the same rate, then unwound and symbolized by each. Two recording
# lengths (SECONDS and 4×SECONDS) give each tool's whole cost per sample and its marginal
# cost per sample (the slope between the two: unwinding throughput without start-up costs
# such as loading debug info). CPU is user+sys from wait4, the least of REPEAT (3) runs of each
# analysis; peak RSS from the same run.
# Usage: unwind_vs_perf.sh KILN_BIN WORKLOAD_BIN [SECONDS] [HZ]
set -euo pipefail
kiln=$1 workload=$2 secs=${3:-5} hz=${4:-999}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() {  # name cmd... → "cpu_s peak_kib", the least CPU of REPEAT runs (VM noise only adds)
  local name=$1; shift
  local best="" best_rss=0 cpu rss rc
  for _ in $(seq "${REPEAT:-3}"); do
    read -r cpu rss rc < <("$here/cpu_of.py" "$work/$name.out" "$work/$name.err" -- "$@")
    if [ "$rc" != 0 ]; then echo "$name failed:" >&2; tail -3 "$work/$name.err" >&2; fi
    if [ -z "$best" ] || [ "$(echo "$cpu < $best" | bc)" = 1 ]; then best=$cpu best_rss=$rss; fi
  done
  echo "$best $best_rss"
}

declare -A cpu rss samples bytes
for len in short long; do
  s=$secs; [ $len = long ] && s=$((secs * 4))
  "$kiln" record -F "$hz" -g dwarf,8192 -o "$work/k.kiln" -- "$workload" "$s" >/dev/null 2>"$work/krec.err"
  perf record -B -N -F "$hz" --call-graph dwarf,8192 -o "$work/perf.data" -- "$workload" "$s" >/dev/null 2>"$work/prec.err"
  samples[kiln,$len]=$("$kiln" info --json "$work/k.kiln" | awk -F': ' '/"samples"/{gsub(",","",$2); print $2; exit}')
  samples[perf,$len]=$(perf script -i "$work/perf.data" -F period 2>/dev/null | wc -l)
  bytes[kiln,$len]=$(stat -c %s "$work/k.kiln")
  bytes[perf,$len]=$(stat -c %s "$work/perf.data")
  read -r cpu[kiln,$len] rss[kiln,$len] < <(measure kiln "$kiln" analyze "$work/k.kiln" --folded "$work/k.folded")
  read -r cpu[script,$len] rss[script,$len] < <(measure perf_script perf script -i "$work/perf.data" -F comm,tid,ip,sym)
  read -r cpu[report,$len] rss[report,$len] < <(measure perf_report perf report -i "$work/perf.data" --stdio -g caller --no-children)
done

us() { echo "$1 * 1000000 / $2" | bc -l; }
printf "%-14s %9s %9s %12s %14s %12s %12s\n" tool samples cpu_s us/sample marginal_us peak_MiB file_MiB
row() {  # label tool-key sample-key
  local t=$2 k=$3
  local n=${samples[$k,long]} n0=${samples[$k,short]}
  local whole marg
  whole=$(us "${cpu[$t,long]}" "$n")
  marg=$(echo "(${cpu[$t,long]} - ${cpu[$t,short]}) * 1000000 / ($n - $n0)" | bc -l)
  printf "%-14s %9d %9.3f %12.2f %14.2f %12.1f %12.1f\n" "$1" "$n" "${cpu[$t,long]}" "$whole" "$marg" \
    "$(echo "${rss[$t,long]} / 1024" | bc -l)" "$(echo "${bytes[$k,long]} / 1048576" | bc -l)"
  eval "whole_$t=$whole marg_$t=$marg"
}
row "kiln analyze" kiln kiln
row "perf script" script perf
row "perf report" report perf
ratio() { printf %.1f "$(echo "$1 / ($2 + 0.000001)" | bc -l)"; }
echo "kiln is $(ratio "$whole_script" "$whole_kiln")x / $(ratio "$whole_report" "$whole_kiln")x faster per sample than perf script / perf report" \
     "(whole run), $(ratio "$marg_script" "$marg_kiln")x / $(ratio "$marg_report" "$marg_kiln")x at the margin"
