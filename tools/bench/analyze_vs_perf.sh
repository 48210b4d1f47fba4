#!/usr/bin/env bash
# Analysis cost, kiln analyze against perf script and perf report, side by side in one run:
# one workload recorded by both tools (fp call graphs, same rate), then each tool turns its
# recording into symbolized stacks with inline frames resolved. Prints CPU time per sample
# and peak memory of each, and the ratios.
# Usage: analyze_vs_perf.sh KILN_BIN WORKLOAD_BIN [CPU_SECONDS] [HZ]
set -euo pipefail
kiln=$1 workload=$2 secs=${3:-10} hz=${4:-4000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$kiln" record -F "$hz" -g fp -o "$work/k.kiln" -- "$workload" "$secs" >/dev/null 2>"$work/krec.err"
perf record -B -N -F "$hz" -g -o "$work/perf.data" -- "$workload" "$secs" >/dev/null 2>"$work/prec.err"
ks=$("$kiln" info --json "$work/k.kiln" | awk -F': ' '!done && /"samples"/{gsub(",","",$2); print $2; done = 1}')
ps=$(perf script -i "$work/perf.data" -F period 2>/dev/null | wc -l)

# Runs an analysis; prints "cpu_seconds max_rss_kib".
measure() {
  local name=$1; shift
  /usr/bin/time -f "%U %S %M" -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || {
    echo "$name failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
  awk '{print $1 + $2, $3}' "$work/$name.time"
}

read -r kc km < <(measure kiln "$kiln" analyze "$work/k.kiln" --folded "$work/k.folded" --pprof "$work/k.pb.gz" --svg "$work/k.svg")
read -r sc sm < <(measure perf_script perf script -i "$work/perf.data" --inline -F comm,tid,ip,sym,srcline)
read -r rc rm < <(measure perf_report perf report -i "$work/perf.data" --stdio --inline -g caller --no-children)

per() { echo "$1 * 1000000 / $2" | bc -l; }   # microseconds per sample
printf "%-22s %10s %12s %14s %12s\n" tool samples cpu_s us/sample peak_MiB
printf "%-22s %10d %12.3f %14.2f %12.1f\n" "kiln analyze" "$ks" "$kc" "$(per "$kc" "$ks")" "$(echo "$km / 1024" | bc -l)"
printf "%-22s %10d %12.3f %14.2f %12.1f\n" "perf script --inline" "$ps" "$sc" "$(per "$sc" "$ps")" "$(echo "$sm / 1024" | bc -l)"
printf "%-22s %10d %12.3f %14.2f %12.1f\n" "perf report --inline" "$ps" "$rc" "$(per "$rc" "$ps")" "$(echo "$rm / 1024" | bc -l)"
kps=$(per "$kc" "$ks")
echo "per-sample speed-up: $(printf %.1f "$(echo "$(per "$sc" "$ps") / ($kps + 0.000001)" | bc -l)")x vs perf script," \
     "$(printf %.1f "$(echo "$(per "$rc" "$ps") / ($kps + 0.000001)" | bc -l)")x vs perf report;" \
     "memory ratio kiln/perf script $(printf %.2f "$(echo "$km / $sm" | bc -l)")"
