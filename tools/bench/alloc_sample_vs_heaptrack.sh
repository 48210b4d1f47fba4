#!/usr/bin/env bash
# Sampled allocation profiling against heaptrack and exact probing, side by side in one run.
# Workloads of known shape: mem_mix ROUNDS (ROUNDS x 20000 malloc/free of 4096 bytes, 64 blocks of
# 100000 bytes kept by leak_blocks) and alloc_threads (4 threads x 10 rounds of 5000 blocks freed by
# another thread, 28,160,000 bytes kept by alloc_round). For each tool: the workload's wall-time
# slowdown (its own wall time, which it writes to WORKLOAD_ELAPSED_FILE: the tools' start-up and
# end-of-run work are not in it; median of RUNS), and what it says is in use under the leaking function against the truth:
# kiln's inuse view (exact with --mem=malloc; an estimate with --alloc-sample, shown as the
# median and the range over RUNS), heaptrack's "leaked" total (the whole program's).
# Usage: alloc_sample_vs_heaptrack.sh KILN_BIN WORKLOADS_DIR [MEM_MIX_ROUNDS] [RUNS] [MEANS]
# (EXACT=0 leaves out --mem=malloc, which slows mem_mix ~1000x.)
set -euo pipefail
kiln=$1 workloads=$2 rounds=${3:-200} runs=${4:-5} means=${5:-512K 64K}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v heaptrack >/dev/null || { echo "heaptrack missing: tools/install-deps installs it" >&2; exit 1; }

# The workload's wall seconds of one run of "$@" (the workload writes them itself).
export WORKLOAD_ELAPSED_FILE="$work/wall"
timed=()
wall_of() { rm -f "$work/wall"; "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }; cat "$work/wall"; }
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# Bytes in use at the end under frame $2 in recording $1.
inuse_under() {
  "$kiln" analyze "$1" --view inuse --folded - 2>/dev/null | awk -v f=";$2;" '{s = $0; sub(/ [0-9]+$/, "", s); if (index(s ";", f)) t += $NF} END {printf "%.0f", t}'
}

bench() {  # name, leak function, truth bytes, workload command...
  local name=$1 leak=$2 truth=$3; shift 3
  local alone
  alone=$(for _ in $(seq "$runs"); do wall_of "${timed[@]}" "$@"; done | median)
  echo "== $name: alone ${alone} s; in use under $leak: $truth bytes"
  printf "%-32s %8s %14s %22s\n" tool slowdown "in use" "of truth (range)"
  local w est
  # heaptrack: its own leaked total.
  w=$(for i in $(seq "$runs"); do wall_of heaptrack -o "$work/ht$i" "${timed[@]}" "$@"; done | median)
  est=$(heaptrack_print -f "$(ls "$work"/ht1.*)" 2>/dev/null | awk '/total memory leaked/ {print $4}')
  printf "%-32s %8.2f %14s %22s\n" heaptrack "$(echo "$w / $alone" | bc -l)" "$est" "(whole program)"
  rm -f "$work"/ht*
  # The sampler's wrappers alone: preloaded, a mean so large that nothing is sampled.
  w=$(for _ in $(seq "$runs"); do wall_of env LD_PRELOAD="$(dirname "$kiln")/libkiln-alloc-sampler.so" \
      KILN_ALLOC_SAMPLE_MEAN=1000000000000000 "$@"; done | median)
  printf "%-32s %8.2f %14s %22s\n" "sampler preloaded, no samples" "$(echo "$w / $alone" | bc -l)" "-" "-"
  # kiln, every call probed (one run: it is slow).
  if [ "${EXACT:-1}" != 0 ]; then
  w=$(wall_of "$kiln" record -q --mem=malloc -g fp -o "$work/exact.kiln" -- "${timed[@]}" "$@")
  est=$(inuse_under "$work/exact.kiln" "$leak")
  printf "%-32s %8.2f %14s %22.3f\n" "kiln --mem=malloc" "$(echo "$w / $alone" | bc -l)" "$est" "$(echo "$est / $truth" | bc -l)"
  fi
  local mode mean
  for mean in $means; do
  for mode in fp dwarf; do
    : >"$work/walls"; : >"$work/ests"
    for i in $(seq "$runs"); do
      wall_of "$kiln" record -q -g "$mode" --alloc-sample "$mean" -o "$work/s$i.kiln" -- "${timed[@]}" "$@" >>"$work/walls"
      inuse_under "$work/s$i.kiln" "$leak" >>"$work/ests"; echo >>"$work/ests"
      rm -f "$work/s$i.kiln"
    done
    w=$(median <"$work/walls")
    est=$(median <"$work/ests")
    printf "%-32s %8.2f %14s %9.3f (%.3f-%.3f)\n" "kiln -g $mode --alloc-sample $mean" "$(echo "$w / $alone" | bc -l)" "$est" \
      "$(echo "$est / $truth" | bc -l)" "$(echo "$(sort -g "$work/ests" | head -1) / $truth" | bc -l)" \
      "$(echo "$(sort -g "$work/ests" | tail -1) / $truth" | bc -l)"
  done
  done
}

echo "mean bytes between samples: $means; $runs runs each (the exact probes: one)"
bench "mem_mix $rounds" leak_blocks 6400000 "$workloads/mem_mix_fp" "$rounds"
bench "alloc_threads 10 4" alloc_round 28160000 "$workloads/alloc_threads_fp" 10 4
