#!/usr/bin/env bash
# Allocation tracing cost: mem_mix ROUNDS (ROUNDS x 20000 malloc/free pairs of 4096 bytes, plus
# 64 leaked blocks and a 16 MiB mapping) run alone, under `kiln record --mem=malloc -g fp`,
# under `perf record -g` with the same uprobes and uretprobes made by `perf probe` (entry of
# malloc, calloc, realloc, free, posix_memalign, aligned_alloc, memalign; return of all but
# free), and under heaptrack (LD_PRELOAD). Reported per tool: the workload's own wall-time
# slowdown (timed by /usr/bin/time inside the tool, so the tool's start-up and its end-of-run
# work are not in it), CPU seconds of tool + workload beyond the workload alone (start-up
# included), the workload's extra wall time per allocator call, the file size, records lost.
# Usage: mem_vs_perf.sh KILN_BIN MEM_MIX_BIN [ROUNDS]
set -euo pipefail
kiln=$1 workload=$2 rounds=${3:-50}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
libc=$(ldd "$workload" | awk '/libc.so/{print $3}')
fns="malloc calloc realloc free posix_memalign aligned_alloc memalign"
cleanup() { perf probe -q -d 'probe_libc:*' >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
command -v heaptrack >/dev/null || { echo "heaptrack missing: tools/install-deps installs it" >&2; exit 1; }

# "cpu_s workload_wall_s" of a command that runs the workload through `timed` (cpu_of.py:
# user+sys of the command and its children).
timed=(/usr/bin/time -f %e -o "$work/wall")
measure() {
  local name=$1; shift
  local cpu
  cpu=$(python3 "$here/cpu_of.py" "$work/$name.out" "$work/$name.err" -- "$@" | awk '{print $1}')
  echo "$cpu $(tail -n 1 "$work/wall")"
}

calls=$(( rounds * 20000 * 2 + 64 ))  # malloc + free per churn iteration, leaked mallocs
read -r base_cpu base_wall < <(for _ in 1 2 3; do measure base "${timed[@]}" "$workload" "$rounds"; done | sort -n -k2 | sed -n 2p)

cleanup_probes() { perf probe -q -d 'probe_libc:*' >/dev/null 2>&1 || true; }
cleanup_probes
for f in $fns; do
  perf probe -q -x "$libc" "$f" >/dev/null
  [ "$f" = free ] || perf probe -q -x "$libc" "${f}%return" >/dev/null
done

echo "workload: $(basename "$workload") $rounds ($calls allocator calls), alone ${base_wall}s wall, ${base_cpu}s CPU; libc $libc"
printf "%-10s %8s %9s %10s %12s %12s %8s\n" tool wall_x extra_cpu ns_per_call bytes size_vs_perf lost
perf_bytes=0
for tool in perf kiln heaptrack; do
  case $tool in
    kiln) read -r c w < <(measure kiln "$kiln" record -q --mem=malloc -g fp -o "$work/k.kiln" -- "${timed[@]}" "$workload" "$rounds")
          bytes=$(stat -c %s "$work/k.kiln")
          lost=$("$kiln" info --json "$work/k.kiln" 2>/dev/null | awk -F': ' '/"lost"/ && v == "" {gsub(",","",$2); v = $2} END{print v}') ;;
    perf) read -r c w < <(measure perf perf record -q -g -e 'probe_libc:*' -o "$work/perf.data" -- "${timed[@]}" "$workload" "$rounds")
          bytes=$(stat -c %s "$work/perf.data"); perf_bytes=$bytes
          lost=$(perf report -i "$work/perf.data" --stats 2>/dev/null | awk '/LOST/ && !/LOST_SAMPLES/ && !f {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) {v = $i; f = 1; break}} END {print f ? v : 0}') ;;
    heaptrack) read -r c w < <(measure heaptrack heaptrack -o "$work/ht" "${timed[@]}" "$workload" "$rounds")
          bytes=$(stat -c %s "$work"/ht*.zst 2>/dev/null || stat -c %s "$work"/ht*.gz)
          lost=n/a ;;
  esac
  extra=$(echo "$c - $base_cpu" | bc -l)
  printf "%-10s %8.2f %9.2f %10.0f %12d %12.3f %8s\n" "$tool" "$(echo "$w / $base_wall" | bc -l)" "$extra" \
    "$(echo "($w - $base_wall) * 1000000000 / $calls" | bc -l)" "$bytes" "$(echo "$bytes / $perf_bytes" | bc -l)" "$lost"
done
