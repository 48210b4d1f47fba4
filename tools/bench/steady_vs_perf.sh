#!/usr/bin/env bash
# The recorder's cost per second once recording has started, kiln against perf side by side:
# start-up (kernel symbols, process snapshot, ring setup) and teardown are most of a short
# recording's CPU, so a 10 s ratio hides what a long recording costs. Each recorder runs
# system-wide for SECS with every CPU busy; its threads' CPU time (schedstat, ns) is read at
# 2 s and at SECS-2 s, and the difference is divided by the seconds between. perf -z is
# measured too: like kiln it compresses what it writes, and per second that is most of the cost.
# Usage: steady_vs_perf.sh KILN_BIN WORK_METER_BIN [SECS] [RUNS] [HZ]   (default 14 s, 3 runs, 4000 Hz)
# MODES="fp" picks the call-graph modes (default "fp dwarf"). KILN_BASE=OTHER_KILN_BIN measures
# another kiln build in the same runs (its column kiln_base, for a change's before and after).
set -euo pipefail
kiln=$1 meter=$2 secs=${3:-14} runs=${4:-3} hz=${5:-4000}
cpus=$(nproc)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cpu_ns() {  # CPU time of every thread of pid $1 so far
  local s=0 a f
  for f in /proc/"$1"/task/*/schedstat; do read -r a _ <"$f" 2>/dev/null && s=$((s + a)); done
  echo "$s"
}
# Runs "$@" with the meter on every CPU; prints its steady CPU in microseconds per second.
steady() {
  "$meter" $((secs + 1)) "$cpus" >/dev/null &
  local meter_pid=$!
  "$@" >/dev/null 2>&1 &
  local pid=$! c0 c1
  sleep 2; c0=$(cpu_ns "$pid")
  sleep $((secs - 4)); c1=$(cpu_ns "$pid")
  wait "$pid" || true
  wait "$meter_pid"
  echo $(((c1 - c0) / 1000 / (secs - 4)))
}

printf "%-6s %5s %4s %12s %12s %7s %12s %7s %15s\n" mode hz run kiln_us/s perf_us/s ratio perf-z_us/s ratio kiln_base_us/s
for mode in ${MODES:-fp dwarf}; do
  if [ "$mode" = fp ]; then kg="-g fp"; pg="-g"; else kg="-g dwarf,8192"; pg="--call-graph dwarf,8192"; fi
  for run in $(seq "$runs"); do
    # shellcheck disable=SC2086
    k=$(steady "$kiln" record -q -a -F "$hz" $kg -d "$secs" -o "$work/k.kiln")
    # shellcheck disable=SC2086
    p=$(steady perf record -q -B -N -a -F "$hz" $pg -o "$work/p.data" -- sleep "$secs")
    # shellcheck disable=SC2086
    z=$(steady perf record -q -z -B -N -a -F "$hz" $pg -o "$work/z.data" -- sleep "$secs")
    b=-
    # shellcheck disable=SC2086
    [ -n "${KILN_BASE:-}" ] && b=$(steady "$KILN_BASE" record -q -a -F "$hz" $kg -d "$secs" -o "$work/b.kiln")
    printf "%-6s %5s %4s %12s %12s %7.2f %12s %7.2f %15s\n" "$mode" "$hz" "$run" "$k" "$p" "$(echo "$k / ($p + 0.000001)" | bc -l)" \
      "$z" "$(echo "$k / ($z + 0.000001)" | bc -l)" "$b"
    rm -f "$work/k.kiln" "$work/b.kiln" "$work/p.data" "$work/z.data"
  done
done
