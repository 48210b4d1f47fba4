#!/usr/bin/env bash
# Off-CPU recording under a context-switch storm (`perf bench sched messaging`), kiln against
# perf side by side in one run. Each recorder records the whole machine while the storm runs;
# reported: the storm's slowdown against a run without a recorder, the recorder's own CPU
# seconds, the file size and the events lost. Two pairs:
#   switch   kiln record -a -e sched:sched_switch -g fp     vs  perf record -a -e sched:sched_switch -g
#   off-cpu  kiln record -a --off-cpu -g fp (cpu-clock, sched_switch, sched_waking)
#                                                            vs  perf record -a -g with the same three events
# Usage: offcpu_vs_perf.sh KILN_BIN [LOOPS] [GROUPS]
set -euo pipefail
kiln=$1 loops=${2:-1000} groups=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

storm() { perf bench sched messaging -g "$groups" -l "$loops" 2>&1 | awk '/Total time/{print $3}'; }

# Median of three storm runs without a recorder: the baseline.
base=$(for _ in 1 2 3; do storm; done | sort -n | sed -n 2p)
window=$(echo "($base * 3 + 3) / 1" | bc)  # seconds each recorder runs; the storm fits inside

. "$here/under_load.sh"  # measure NAME CMD..., perf_lost FILE

echo "storm: perf bench sched messaging -g $groups -l $loops, baseline ${base}s; recorders run ${window}s system-wide"
printf "%-8s %10s %10s %8s %8s %9s %9s %12s %12s %7s %10s %10s\n" events kiln_storm perf_storm kiln_x perf_x \
  kiln_cpu perf_cpu kiln_bytes perf_bytes size_r kiln_lost perf_lost
for pair in ${PAIRS:-switch off-cpu}; do
  if [ "$pair" = switch ]; then
    kflags=(-e sched:sched_switch); pflags=(-e sched:sched_switch)
  else
    kflags=(--off-cpu -e cpu-clock); pflags=(-e cpu-clock -e sched:sched_switch -e sched:sched_waking)
  fi
  read -r ks kc < <(measure "kiln_$pair" "$kiln" record -q -a -g fp "${kflags[@]}" -d "$window" -o "$work/k.kiln")
  read -r ps pc < <(measure "perf_$pair" perf record -q -a -g "${pflags[@]}" -o "$work/perf.data" -- sleep "$window")
  kb=$(stat -c %s "$work/k.kiln"); pb=$(stat -c %s "$work/perf.data")
  # (awk reads to the end: an early exit would SIGPIPE kiln info and fail the pipeline)
  kl=$("$kiln" info --json "$work/k.kiln" 2>/dev/null | awk -F': ' '/"lost"/ && v == "" {gsub(",","",$2); v = $2} END{print v}')
  pl=$(perf_lost "$work/perf.data")
  printf "%-8s %10.3f %10.3f %8.2f %8.2f %9.2f %9.2f %12d %12d %7.3f %10s %10s\n" "$pair" "$ks" "$ps" \
    "$(echo "$ks / $base" | bc -l)" "$(echo "$ps / $base" | bc -l)" "$kc" "$pc" "$kb" "$pb" \
    "$(echo "$kb / $pb" | bc -l)" "$kl" "$pl"
  rm -f "$work/k.kiln" "$work/perf.data"
done
