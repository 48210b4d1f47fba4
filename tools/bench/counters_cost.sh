#!/usr/bin/env bash
# What the counter sampler costs the recorder: an idle system-wide recording of SECS with the
# default counters (100 ms machine counters, every process every 1 s) against the same with
# --counter-interval 0, and perf record -a beside them for scale. CPU is user+sys of the whole
# recorder (cpu_of.py, wait4), the median of RUNS runs.
# Usage: counters_cost.sh KILN_BIN [SECS] [RUNS]   (default 10 s, 3 runs)
set -euo pipefail
kiln=$1 secs=${2:-10} runs=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# Median CPU seconds of RUNS runs of "$@".
cpu() {
  for _ in $(seq "$runs"); do
    python3 "$here/cpu_of.py" "$work/out" "$work/err" -- "$@" | cut -d' ' -f1
    rm -f "$work"/*.kiln "$work"/*.data
  done | median
}

on=$(cpu "$kiln" record -q -a -d "$secs" -o "$work/on.kiln")
off=$(cpu "$kiln" record -q -a -d "$secs" --counter-interval 0 -o "$work/off.kiln")
perf=$(cpu perf record -q -a -o "$work/p.data" -- sleep "$secs")
procs=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
printf "%-34s %10s\n" "recorder (idle, -a, ${secs} s)" "CPU s"
printf "%-34s %10s\n" "kiln, counters on (default)" "$on" "kiln, --counter-interval 0" "$off" "perf record -a" "$perf"
printf "counters cost: %.2f ms CPU per second (%s processes in /proc); kiln on/off %.2fx; kiln on/perf %.2fx\n" \
  "$(echo "($on - $off) * 1000 / $secs" | bc -l)" "$procs" \
  "$(echo "$on / ($off + 0.000001)" | bc -l)" "$(echo "$on / ($perf + 0.000001)" | bc -l)"
