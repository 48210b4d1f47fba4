#!/usr/bin/env bash
# kiln analyze on perf.data files against perf report and perf script on the same files, in one
# run: `perf record -F FREQ` of WORKLOAD for SECS, with frame pointers (-g), with frame
# pointers compressed (-g -z) and with DWARF stacks (--call-graph dwarf), then each reader's
# CPU (user + system) per sample and peak resident memory (getrusage), median of RUNS.
# Usage: perf_data_vs_perf.sh KILN_BIN WORKLOAD [SECS] [FREQ] [RUNS]   (default 10 s, 999 Hz, 3)
set -euo pipefail
kiln=$1 workload=$2 secs=${3:-10} freq=${4:-999} runs=${5:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# "cpu_s peak_kib" of a command (getrusage of the child: microseconds, where /usr/bin/time
# rounds to 10 ms), median of runs (each field separately).
rusage() {
  python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f %d" % (r.ru_utime + r.ru_stime, r.ru_maxrss))' "$@"
}
measure() {
  for _ in $(seq "$runs"); do rusage "$@"; done > "$work/m"
  echo "$(cut -d' ' -f1 "$work/m" | median) $(cut -d' ' -f2 "$work/m" | median)"
}
for mode in fp fp-z dwarf; do
  case $mode in
    fp) flags=(-g) ;;
    fp-z) flags=(-g -z) ;;
    dwarf) flags=(--call-graph dwarf) ;;
  esac
  # perf 6.1 now and then aborts in util/build-id.c as it ends: try again.
  for _ in 1 2 3; do
    perf record -q -N -F "$freq" "${flags[@]}" -o "$work/$mode.data" -- "$workload" "$secs" >/dev/null 2>&1 && break
  done
  # One line per sample (-F tid leaves the callchain out).
  samples=$(perf script -i "$work/$mode.data" -F tid 2>/dev/null | grep -c . || true)
  read -r k_cpu k_rss < <(measure "$kiln" analyze "$work/$mode.data" --folded /dev/null)
  read -r r_cpu r_rss < <(measure perf report -i "$work/$mode.data" --stdio)
  read -r s_cpu s_rss < <(measure perf script -i "$work/$mode.data")
  us() { echo "$1 * 1000000 / $samples" | bc -l; }
  printf "%s: %s samples (%s s at %s Hz)          us CPU/sample   peak MiB\n" "$mode" "$samples" "$secs" "$freq"
  printf "  %-36s %12.1f %10.1f\n" "kiln analyze --folded" "$(us "$k_cpu")" "$(echo "$k_rss / 1024" | bc -l)" \
    "perf report --stdio" "$(us "$r_cpu")" "$(echo "$r_rss / 1024" | bc -l)" \
    "perf script" "$(us "$s_cpu")" "$(echo "$s_rss / 1024" | bc -l)"
  printf "  kiln / perf report: CPU %.2fx, memory %.2fx; kiln / perf script: CPU %.2fx, memory %.2fx\n" \
    "$(echo "$k_cpu / ($r_cpu + 0.0001)" | bc -l)" "$(echo "$k_rss / $r_rss" | bc -l)" \
    "$(echo "$k_cpu / ($s_cpu + 0.0001)" | bc -l)" "$(echo "$k_rss / $s_rss" | bc -l)"
done
