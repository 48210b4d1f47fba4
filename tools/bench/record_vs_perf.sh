#!/usr/bin/env bash
# Recorder cost, workload slowdown, file size and lost samples: kiln record against perf record
# (uncompressed and -z), side by side in one run, system-wide with every CPU busy (work_meter,
# one thread per CPU), fp and dwarf call graphs at each frequency given.
# Usage: record_vs_perf.sh KILN_BIN WORK_METER_BIN [SECONDS] [HZ...]   (default 10 s, 999 4000)
# MODES="fp fp0 dwarf" picks the call-graph modes (default "fp dwarf"; fp0 is kiln's -g fp,0,
# frame pointers without the 32-byte stack top, against perf -g).
#
# Recorder CPU is user+sys of the recorder process and its threads (wait4, exact). Slowdown is
# the meter's units with nothing recording (the mean of the runs just before and after) over
# its units while the recorder ran: the recorder's CPU plus what sampling costs the workload
# (interrupts, callchains, stack copies). Lost samples: kiln info's count and the sum of perf's
# PERF_RECORD_LOST samples (perf report --stats, per event), not the number of LOST records.
#
# kiln keeps the kernel's symbols in its cache ($KILN_CACHE_DIR, else ~/.cache/kiln) and does
# not read /proc/kallsyms again until a reboot, a module or a BPF program changes it; the
# cache is filled before the first row, and kiln_cold is kiln with the cache turned off
# (what the first recording after such a change costs).
set -euo pipefail
kiln=$1 meter=$2 secs=${3:-10}
shift $(($# < 3 ? $# : 3))
hzs=${*:-999 4000}
here=$(cd "$(dirname "$0")" && pwd)
cpus=$(nproc)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Runs the meter on every CPU for $secs while "$@" records (nothing with no command). Prints
# "units recorder_cpu_seconds".
run_with() {
  local name=$1; shift
  "$meter" "$secs" "$cpus" >"$work/$name.units" &
  local meter_pid=$! cpu=0
  if [ $# -gt 0 ]; then
    # A recorder that fails (perf 6.1 sometimes crashes in its own post-processing) is
    # reported, not fatal: its CPU time so far is still measured.
    read -r cpu _ status _ < <(python3 "$here/cpu_of.py" "$work/$name.out" "$work/$name.err" -- "$@")
    [ "$status" = 0 ] || echo "note: $name exited with status $status: $(tail -n 1 "$work/$name.err")" >&2
  fi
  wait "$meter_pid"
  echo "$(cat "$work/$name.units") $cpu"
}

perf_lost() {  # sum of the per-event lost sample counts
  perf report -i "$1" --stats 2>/dev/null |
    awk '/ stats:$/{ev=1} ev && /LOST_SAMPLES events:/{s+=$NF} END{print s+0}'
}
kiln_lost() { "$kiln" info --json "$1" | awk -F': ' '!done && /^  "lost"/{gsub(",","",$2); print $2; done = 1}'; }
ratio() { echo "$1 / ($2 + 0.000001)" | bc -l; }
mb() { echo "$(stat -c %s "$1") / 1000000" | bc -l; }

"$kiln" record -q -a -d 0.1 -o "$work/warm.kiln" 2>/dev/null  # fills the kernel-symbol cache
read -r base_prev _ < <(run_with base0)
cpu_rows=() size_rows=()
for hz in $hzs; do
  for mode in ${MODES:-fp dwarf}; do
    case $mode in
      fp) kg="-g fp"; pg="-g" ;;
      fp0) kg="-g fp,0"; pg="-g" ;;  # kiln without the stack top (perf's walk)
      *) kg="-g dwarf,8192"; pg="--call-graph dwarf,8192" ;;
    esac
    # shellcheck disable=SC2086
    read -r ku kc < <(run_with kiln "$kiln" record -q -a -F "$hz" $kg -d "$secs" -o "$work/k.kiln")
    # shellcheck disable=SC2086
    read -r _ cc < <(run_with kilncold env KILN_CACHE_DIR= "$kiln" record -q -a -F "$hz" $kg -d "$secs" -o "$work/c.kiln")
    # shellcheck disable=SC2086
    read -r pu pc < <(run_with perf perf record -q -B -N -a -F "$hz" $pg -o "$work/p.data" -- sleep "$secs")
    # shellcheck disable=SC2086
    read -r zu zc < <(run_with perfz perf record -q -z -B -N -a -F "$hz" $pg -o "$work/z.data" -- sleep "$secs")
    read -r base_next _ < <(run_with "base_$hz$mode")
    base=$(echo "($base_prev + $base_next) / 2" | bc -l)
    base_prev=$base_next
    cpu_rows+=("$(printf "%-6s %5s %9.3f %9.3f %7.2f %9.3f %7.2f %9.3f %7.2f %11.3f %11.3f %11.3f" "$mode" "$hz" "$kc" "$pc" \
      "$(ratio "$kc" "$pc")" "$zc" "$(ratio "$kc" "$zc")" "$cc" "$(ratio "$cc" "$pc")" "$(ratio "$base" "$ku")" \
      "$(ratio "$base" "$pu")" "$(ratio "$base" "$zu")")")
    kb=$(mb "$work/k.kiln") pb=$(mb "$work/p.data") zb=$(mb "$work/z.data")
    size_rows+=("$(printf "%-6s %5s %9.3f %9.3f %7.3f %9.3f %7.3f %9s %9s" "$mode" "$hz" "$kb" "$pb" \
      "$(ratio "$kb" "$pb")" "$zb" "$(ratio "$kb" "$zb")" "$(kiln_lost "$work/k.kiln")" "$(perf_lost "$work/p.data")")")
    rm -f "$work/k.kiln" "$work/c.kiln" "$work/p.data" "$work/z.data"
  done
done

echo "-- recorder CPU seconds (ratio kiln/perf) and workload slowdown (units alone / units while recording)"
printf "%-6s %5s %9s %9s %7s %9s %7s %9s %7s %11s %11s %11s\n" mode hz kiln perf ratio perf_-z ratio kiln_cold ratio \
  slow_kiln slow_perf slow_perf-z
printf "%s\n" "${cpu_rows[@]}"
echo "-- file size MB (ratio kiln/perf) and lost samples, each tool with its default ring size"
printf "%-6s %5s %9s %9s %7s %9s %7s %9s %9s\n" mode hz kiln perf ratio perf_-z ratio kiln_lost perf_lost
printf "%s\n" "${size_rows[@]}"

# The same ring size for both (data pages per CPU), at the heaviest setting: which loses less
# when the ring is too small for the rate.
echo "-- lost samples with the same ring size, 4000 Hz, dwarf,8192, ${secs} s"
printf "%-10s %10s %10s %8s %10s %10s %8s\n" ring_pages kiln_kept kiln_lost lost% perf_kept perf_lost lost%
for pages in 8 64; do
  run_with kiln_m "$kiln" record -q -a -F 4000 -g dwarf,8192 -m "$pages" -d "$secs" -o "$work/k.kiln" >/dev/null
  run_with perf_m perf record -q -B -N -a -F 4000 --call-graph dwarf,8192 -m "$pages" -o "$work/p.data" -- sleep "$secs" >/dev/null
  kk=$("$kiln" info --json "$work/k.kiln" | awk -F': ' '!done && /^  "samples"/{gsub(",","",$2); print $2; done = 1}')
  kl=$(kiln_lost "$work/k.kiln")
  pk=$(perf report -i "$work/p.data" --stats 2>/dev/null | awk '/ stats:$/{ev=1} ev && /SAMPLE events:/{s+=$NF} END{print s+0}')
  pl=$(perf_lost "$work/p.data")
  printf "%-10s %10s %10s %8.1f %10s %10s %8.1f\n" "$pages" "$kk" "$kl" "$(echo "100 * $kl / ($kk + $kl + 0.000001)" | bc -l)" \
    "$pk" "$pl" "$(echo "100 * $pl / ($pk + $pl + 0.000001)" | bc -l)"
  rm -f "$work/k.kiln" "$work/p.data"
done
