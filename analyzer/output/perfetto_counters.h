// Counter tracks for the Perfetto export from a recording's COUNTERS snapshots (not windowed,
// unlike the timeline view: one value per snapshot or per pair of snapshots). Names follow the
// timeline's series (analyzer/timeline/counter_series.h): load.running, load.blocked,
// load.1min, cpu.busy, cpu.N.busy, psi.*, process.PID.{cpu,rss,read_bytes,write_bytes}.
// Gauges take the snapshot's time; rates (CPU busy %, PSI %, process CPU % and I/O bytes/s)
// between two snapshots take the first one's time, so each value holds over the interval it
// describes.
#pragma once

#include <cstdint>
#include <vector>

#include "analyzer/output/perfetto_events.h"
#include "formats/counters.h"

namespace kiln::analyzer {

std::vector<PerfettoCounter> perfetto_counters(const std::vector<format::CounterSnapshot>& snapshots,
                                               uint32_t ticks_per_second);

}  // namespace kiln::analyzer
