#!/usr/bin/env bash
# Recorder cost and file size, kiln against perf record, side by side in one run:
# system-wide at the given frequency with every CPU busy, fp and dwarf call graphs.
# Usage: record_vs_perf.sh KILN_BIN SPINNER_BIN [SECONDS] [HZ]
set -euo pipefail
kiln=$1 spinner=$2 secs=${3:-10} hz=${4:-999}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Every CPU busy for the whole run, plus margin.
for _ in $(seq "$(nproc)"); do "$spinner" $((secs * 2 + 30)) >/dev/null & done
sleep 0.5

# Runs a recorder; prints "cpu_seconds bytes lost".
measure() {
  local name=$1; shift
  # A recorder that fails (perf 6.1 sometimes crashes in its own post-processing) is
  # reported, not fatal: its CPU time so far is still measured.
  /usr/bin/time -f "%U %S" -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" ||
    echo "note: $name exited with status $?: $(tail -n 1 "$work/$name.err")" >&2
  local cpu
  cpu=$(awk '{print $1 + $2}' "$work/$name.time")
  echo "$cpu"
}

printf "%-6s %-8s %10s %10s %8s %12s %12s %8s %10s %10s\n" mode hz kiln_cpu perf_cpu ratio kiln_bytes perf_bytes ratio kiln_lost perf_lost
for mode in fp dwarf; do
  if [ "$mode" = fp ]; then kg="-g fp"; pg="-g"; else kg="-g dwarf,8192"; pg="--call-graph dwarf,8192"; fi
  # shellcheck disable=SC2086
  kc=$(measure "kiln_$mode" "$kiln" record -a -F "$hz" $kg -d "$secs" -o "$work/k.kiln")
  # shellcheck disable=SC2086
  pc=$(measure "perf_$mode" perf record -B -N -a -F "$hz" $pg -o "$work/perf.data" -- sleep "$secs")
  kb=$(stat -c %s "$work/k.kiln"); pb=$(stat -c %s "$work/perf.data")
  kl=$("$kiln" info --json "$work/k.kiln" 2>/dev/null | awk -F': ' '/"lost"/{gsub(",","",$2); print $2; exit}')
  pl=$(perf report -i "$work/perf.data" --stats 2>/dev/null | awk '/LOST/ && !/LOST_SAMPLES/ && !f{v=$NF; f=1} END{print f ? v : 0}' || echo "?")
  printf "%-6s %-8s %10.2f %10.2f %8.2f %12d %12d %8.3f %10s %10s\n" "$mode" "$hz" "$kc" "$pc" \
    "$(echo "$kc / ($pc + 0.0001)" | bc -l)" "$kb" "$pb" "$(echo "$kb / $pb" | bc -l)" "$kl" "$pl"
  rm -f "$work/k.kiln" "$work/perf.data"
done
