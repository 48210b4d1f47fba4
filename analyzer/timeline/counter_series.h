// Timeline series from the COUNTERS snapshots (load, CPU busy, PSI, per-process CPU, RSS, I/O).
//
// How a window gets a value from snapshots taken at their own times:
// - Cumulative counters (CPU ticks, PSI stall microseconds, I/O bytes) are differenced between
//   consecutive snapshots, and each difference is spread evenly over the time between the two:
//   a window gets the share of it that falls inside the window (time-weighted). A rate is that
//   share divided by the part of the window the snapshots cover, so a window half covered is not
//   halved, and a window no pair of snapshots covers has no value. A counter that went down
//   (a pid reused, a counter reset) gives no difference.
// - Gauges (procs_running, procs_blocked, the load average, RSS) take the value of the last
//   snapshot taken before the window's end (so a window holds a snapshot inside it, or the one
//   before it when none is inside); windows that start after the last snapshot have none.
// A process's series start at the first snapshot that lists it and end at the last.
#pragma once

#include <cstdint>
#include <vector>

#include "analyzer/timeline/timeline.h"
#include <cstddef>
#include <limits>

#include "formats/counters.h"

namespace kiln::analyzer {

// Appends the counter series to out (whose windows are set), labels not included: the machine's,
// then per process those of at most `processes` processes, the ones that held the most memory
// first (all of them by default); with all_series false only their resident memory.
void add_counter_series(const std::vector<format::CounterSnapshot>& snapshots, uint32_t ticks_per_second,
                        Timeline& out, size_t processes = std::numeric_limits<size_t>::max(), bool all_series = true);

}  // namespace kiln::analyzer
