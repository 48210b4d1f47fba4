#!/usr/bin/env bash
# DWARF unwinding cost, kiln analyze against perf report and perf script, side by side in
# one run: one workload built without frame pointers, recorded by both tools with
# `-g dwarf,8192` at the same rate, then unwound and symbolized by each. Two recording
# lengths (SECONDS and 4×SECONDS) give each tool's whole cost per sample and its marginal
# cost per sample (the slope between the two: unwinding throughput without start-up costs
# such as loading debug info). CPU is user+sys of all threads from wait4, wall the elapsed
# time; each the least of REPEAT (5) runs of each analysis (VM noise only adds); peak RSS from
# the run with the least CPU. kiln spreads its work over threads (decompression, loading
# binaries, kernel symbols): CPU shows the work done, wall what a user waits.
# Usage: unwind_vs_perf.sh KILN_BIN WORKLOAD_BIN [SECONDS] [HZ]
set -euo pipefail
kiln=$1 workload=$2 secs=${3:-5} hz=${4:-999}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() {  # name cmd... → "cpu_s peak_kib wall_s", the least CPU and the least wall of REPEAT runs
  local name=$1; shift
  local best="" best_rss=0 best_wall="" cpu rss rc wall
  for _ in $(seq "${REPEAT:-5}"); do
    read -r cpu rss rc wall < <("$here/cpu_of.py" "$work/$name.out" "$work/$name.err" -- "$@")
    if [ "$rc" != 0 ]; then echo "$name failed:" >&2; tail -3 "$work/$name.err" >&2; fi
    if [ -z "$best" ] || [ "$(echo "$cpu < $best" | bc)" = 1 ]; then best=$cpu best_rss=$rss; fi
    if [ -z "$best_wall" ] || [ "$(echo "$wall < $best_wall" | bc)" = 1 ]; then best_wall=$wall; fi
  done
  echo "$best $best_rss $best_wall"
}

declare -A cpu rss wall samples bytes
for len in short long; do
  s=$secs; [ $len = long ] && s=$((secs * 4))
  "$kiln" record -F "$hz" -g dwarf,8192 -o "$work/k.kiln" -- "$workload" "$s" >/dev/null 2>"$work/krec.err"
  perf record -B -N -F "$hz" --call-graph dwarf,8192 -o "$work/perf.data" -- "$workload" "$s" >/dev/null 2>"$work/prec.err"
  samples[kiln,$len]=$("$kiln" info --json "$work/k.kiln" | awk -F': ' '!done && /"samples"/{gsub(",","",$2); print $2; done = 1}')
  samples[perf,$len]=$(perf script -i "$work/perf.data" -F period 2>/dev/null | wc -l)
  bytes[kiln,$len]=$(stat -c %s "$work/k.kiln")
  bytes[perf,$len]=$(stat -c %s "$work/perf.data")
  read -r cpu[kiln,$len] rss[kiln,$len] wall[kiln,$len] < <(measure kiln "$kiln" analyze "$work/k.kiln" --folded "$work/k.folded")
  read -r cpu[script,$len] rss[script,$len] wall[script,$len] < <(measure perf_script perf script -i "$work/perf.data" -F comm,tid,ip,sym)
  read -r cpu[report,$len] rss[report,$len] wall[report,$len] < <(measure perf_report perf report -i "$work/perf.data" --stdio -g caller --no-children)
done

us() { echo "$1 * 1000000 / $2" | bc -l; }
printf "%-14s %9s %9s %8s %10s %10s %12s %12s %9s %9s\n" tool samples cpu_s wall_s "cpu us/s" "wall us/s" "cpu marg" "wall marg" peak_MiB file_MiB
row() {  # label tool-key sample-key
  local t=$2 k=$3
  local n=${samples[$k,long]} n0=${samples[$k,short]}
  local cw ww cm wm
  cw=$(us "${cpu[$t,long]}" "$n")
  ww=$(us "${wall[$t,long]}" "$n")
  cm=$(echo "(${cpu[$t,long]} - ${cpu[$t,short]}) * 1000000 / ($n - $n0)" | bc -l)
  wm=$(echo "(${wall[$t,long]} - ${wall[$t,short]}) * 1000000 / ($n - $n0)" | bc -l)
  printf "%-14s %9d %9.3f %8.3f %10.2f %10.2f %12.2f %12.2f %9.1f %9.1f\n" "$1" "$n" "${cpu[$t,long]}" "${wall[$t,long]}" \
    "$cw" "$ww" "$cm" "$wm" "$(echo "${rss[$t,long]} / 1024" | bc -l)" "$(echo "${bytes[$k,long]} / 1048576" | bc -l)"
  eval "cw_$t=$cw ww_$t=$ww cm_$t=$cm wm_$t=$wm"
}
row "kiln analyze" kiln kiln
row "perf script" script perf
row "perf report" report perf
ratio() { printf %.1f "$(echo "$1 / ($2 + 0.000001)" | bc -l)"; }
echo "kiln per sample against perf script / perf report:" \
     "CPU whole $(ratio "$cw_script" "$cw_kiln")x / $(ratio "$cw_report" "$cw_kiln")x," \
     "wall whole $(ratio "$ww_script" "$ww_kiln")x / $(ratio "$ww_report" "$ww_kiln")x," \
     "CPU marginal $(ratio "$cm_script" "$cm_kiln")x / $(ratio "$cm_report" "$cm_kiln")x," \
     "wall marginal $(ratio "$wm_script" "$wm_kiln")x / $(ratio "$wm_report" "$wm_kiln")x"
