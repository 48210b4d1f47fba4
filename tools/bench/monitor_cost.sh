#!/usr/bin/env bash
# What the flight recorder costs, side by side with perf in one run:
#  1. idle monitoring: CPU seconds of `kiln monitor -a -F 99` (a signal trigger, default 30 s
#     history) over SECS against `perf record --overwrite -a -F 99` (perf's flight recorder:
#     the kernel overwrites its rings, perf reads them only at the end) and a plain
#     `perf record -a -F 99`; each recorder's own CPU (cpu_of.py, wait4), median of RUNS;
#  2. the workload's slowdown at 999 Hz: stress-ng's CPU stressor on every CPU for LOAD_SECS,
#     bogo ops per second alone and beside each recorder.
# Usage: monitor_cost.sh KILN_BIN [SECS] [RUNS] [LOAD_SECS]   (default 60 s, 3 runs, 20 s)
set -euo pipefail
kiln=$1 secs=${2:-60} runs=${3:-3} load_secs=${4:-20}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'pkill -INT -f "monitor -o $work" 2>/dev/null || true; rm -rf "$work"' EXIT
cpus=$(nproc)

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
cpu() {
  for _ in $(seq "$runs"); do
    python3 "$here/cpu_of.py" "$work/out" "$work/err" -- "$@" | cut -d' ' -f1
    rm -rf "$work"/*.kiln "$work"/*.data "$work"/mon; mkdir -p "$work/mon"
  done | median
}
mkdir -p "$work/mon"
monitor=$(cpu "$kiln" monitor -o "$work/mon" -a -F 99 --trigger signal --status-interval 0 -d "$secs")
# With a trigger read every 10 ms, and without the /proc counters (every process every second).
monitor_load=$(cpu "$kiln" monitor -o "$work/mon" -a -F 99 --trigger 'load>=1000' --status-interval 0 -d "$secs")
monitor_bare=$(cpu "$kiln" monitor -o "$work/mon" -a -F 99 --trigger signal --counter-interval 0 --status-interval 0 -d "$secs")
overwrite=$(cpu perf record -q --overwrite -a -F 99 -o "$work/o.data" -- sleep "$secs")
plain=$(cpu perf record -q -a -F 99 -o "$work/p.data" -- sleep "$secs")
per_s() { echo "$1 * 1000 / $secs" | bc -l; }
printf "idle, -a -F 99, %s s (median of %s)      CPU s   ms CPU per s\n" "$secs" "$runs"
printf "%-40s %8.3f %10.2f\n" "kiln monitor (30 s history)" "$monitor" "$(per_s "$monitor")" \
  "  with load>=N read every 10 ms" "$monitor_load" "$(per_s "$monitor_load")" \
  "  with --counter-interval 0" "$monitor_bare" "$(per_s "$monitor_bare")" \
  "perf record --overwrite" "$overwrite" "$(per_s "$overwrite")" "perf record" "$plain" "$(per_s "$plain")"
printf "kiln monitor / perf --overwrite: %.2fx; / perf record: %.2fx\n" \
  "$(echo "$monitor / ($overwrite + 0.000001)" | bc -l)" "$(echo "$monitor / ($plain + 0.000001)" | bc -l)"

# bogo ops per second of the CPU stressor on every CPU while "$@" runs ("" for none).
bogo() {
  local pid=""
  if [ $# -gt 0 ]; then "$@" >/dev/null 2>&1 & pid=$!; sleep 2; fi
  local ops
  ops=$(stress-ng --cpu "$cpus" --timeout "${load_secs}s" --metrics-brief 2>&1 | awk '$4 == "cpu" { print $(NF-1) }')
  if [ -n "$pid" ]; then kill -INT "$pid"; wait "$pid" || true; fi
  rm -rf "$work"/*.data "$work"/mon; mkdir -p "$work/mon"
  echo "$ops"
}
alone=$(bogo)
with_monitor=$(bogo "$kiln" monitor -o "$work/mon" -a -F 999 --trigger signal --status-interval 0)
with_overwrite=$(bogo perf record -q --overwrite -a -F 999 -o "$work/o.data")
with_plain=$(bogo perf record -q -a -F 999 -o "$work/p.data")
slow() { echo "($alone / $1 - 1) * 100" | bc -l; }
printf "\nstress-ng --cpu %s for %s s at 999 Hz       bogo ops/s   slowdown\n" "$cpus" "$load_secs"
printf "%-40s %10.1f\n" "alone" "$alone"
printf "%-40s %10.1f %9.2f%%\n" "beside kiln monitor" "$with_monitor" "$(slow "$with_monitor")" \
  "beside perf record --overwrite" "$with_overwrite" "$(slow "$with_overwrite")" \
  "beside perf record" "$with_plain" "$(slow "$with_plain")"
