# Sourced by the benchmarks that run a recorder while a load runs (offcpu_vs_perf.sh,
# syscalls_vs_perf.sh). Needs: $here (tools/bench), $work (a temporary directory) and a
# function `storm` that runs the load and prints its seconds.

# Runs recorder NAME (its argv after --) while the storm runs; prints "storm_s cpu_s".
measure() {
  local name=$1; shift
  python3 "$here/cpu_of.py" "$work/$name.out" "$work/$name.err" -- "$@" >"$work/$name.cpu" &
  local rec=$!
  sleep 1  # recorder started and enabled
  local t
  t=$(storm)
  wait "$rec" || echo "note: $name exited with an error: $(tail -n 1 "$work/$name.err")" >&2
  echo "$t $(awk '{print $1}' "$work/$name.cpu")"
}

# The records perf lost, from `perf report --stats` ("LOST events: N").
perf_lost() {
  local stats
  stats=$(perf report -i "$1" --stats 2>/dev/null) || { echo "?"; return; }
  awk '/LOST/ && !/LOST_SAMPLES/ && !f {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) {v = $i; f = 1; break}}
       END {print f ? v : 0}' <<<"$stats"
}
