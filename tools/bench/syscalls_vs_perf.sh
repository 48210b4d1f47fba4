#!/usr/bin/env bash
# `kiln record --sched --syscalls` under a syscall storm (`perf bench syscall basic`: getppid in a
# loop), kiln against perf side by side in one run. Each recorder records the whole machine
# while the storm runs; reported: the storm's slowdown against a run without a recorder, the
# recorder's own CPU seconds, the file size and the events lost. Recorders:
#   kiln        kiln record -a --sched --syscalls -g none (cpu-clock 999 Hz, the --sched events,
#               raw_syscalls enter and exit)
#   perf-rec    perf record -a with the same events (cpu-clock 999 Hz, no stacks)
#   perf-trace  perf trace -s -a (per-thread syscall summary, no file)
# Usage: syscalls_vs_perf.sh KILN_BIN [LOOPS]
set -euo pipefail
kiln=$1 loops=${2:-3000000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

storm() { perf bench syscall basic -l "$loops" 2>&1 | awk '/Total time/{print $3}'; }

base=$(for _ in 1 2 3; do storm; done | sort -n | sed -n 2p)
# Seconds each recorder runs: the storm, slowed down several times by recording, fits inside.
window=$(echo "($base * 12 + 3) / 1" | bc)

. "$here/under_load.sh"  # measure NAME CMD..., perf_lost FILE

# -c 1: every occurrence of the tracepoints, as kiln records them; cpu-clock every 1001001 ns
# (999 Hz) by its own term (a bare -F would sample the tracepoints too; perf 6.1 takes no
# period term on tracepoints).
sched_events=()
for e in sched:sched_switch sched:sched_waking sched:sched_wakeup_new sched:sched_migrate_task sched:sched_process_fork \
  sched:sched_process_exec sched:sched_process_exit syscalls:sys_enter_exit_group raw_syscalls:sys_enter \
  raw_syscalls:sys_exit; do
  sched_events+=(-e "$e")
done
echo "storm: perf bench syscall basic -l $loops, baseline ${base}s; recorders run ${window}s system-wide"
printf "%-11s %9s %8s %9s %12s %10s\n" recorder storm_s slowdown cpu_s bytes lost
read -r ks kc < <(measure kiln "$kiln" record -q -a -g none --sched --syscalls -d "$window" -o "$work/k.kiln")
kb=$(stat -c %s "$work/k.kiln")
kl=$("$kiln" info --json "$work/k.kiln" 2>/dev/null | awk -F': ' '/"lost"/ && v == "" {gsub(",","",$2); v = $2} END{print v}')
ksys=$("$kiln" info "$work/k.kiln" 2>/dev/null | awk '/raw_syscalls:sys_enter/ {print $(NF-1)}')
printf "%-11s %9.3f %8.2f %9.2f %12d %10s  (%s syscalls entered)\n" kiln "$ks" "$(echo "$ks / $base" | bc -l)" "$kc" "$kb" "$kl" "$ksys"
read -r ps pc < <(measure perf-rec perf record -q -a -c 1 -e cpu-clock/period=1001001/ "${sched_events[@]}" \
  -o "$work/perf.data" -- sleep "$window")
pb=$(stat -c %s "$work/perf.data")
psys=$(perf report -i "$work/perf.data" --stats 2>/dev/null | awk '/SAMPLE events/ {print $3; exit}')  # all events
printf "%-11s %9.3f %8.2f %9.2f %12d %10s  (%s samples)\n" perf-rec "$ps" "$(echo "$ps / $base" | bc -l)" "$pc" "$pb" \
  "$(perf_lost "$work/perf.data")" "$psys"
read -r ts tc < <(measure perf-trace perf trace -s -a -o "$work/trace.txt" -- sleep "$window")
tl=$(grep -c -i "lost" "$work/trace.txt" || true)
printf "%-11s %9.3f %8.2f %9.2f %12s %10s\n" perf-trace "$ts" "$(echo "$ts / $base" | bc -l)" "$tc" "-" "lines:$tl"
echo "ratios: kiln/perf-rec cpu $(echo "$kc / $pc" | bc -l | cut -c1-5), bytes $(echo "$kb / $pb" | bc -l | cut -c1-5);" \
  "kiln/perf-trace cpu $(echo "$kc / $tc" | bc -l | cut -c1-5)"
