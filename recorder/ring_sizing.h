// How many data pages each per-CPU ring buffer gets: enough for an eighth of a second of
// records at the requested rate, so a drain loop delayed by a loaded machine loses nothing, and
// for bursts of the events that record every occurrence (tracepoints, uprobes), whose rate no
// flag gives.
#pragma once

#include <cstddef>
#include <cstdint>

#include "recorder/record_options.h"

namespace kiln::recorder {

// every_occurrence_events: how many of the event_count events are tracepoints or uprobes.
size_t ring_data_pages(const RecordOptions& opt, size_t event_count, size_t every_occurrence_events,
                       size_t page_size);

}  // namespace kiln::recorder
