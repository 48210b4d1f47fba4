// libpfm4: hardware and PMU-specific event names to perf_event_attr encodings.
#pragma once

#include <linux/perf_event.h>

#include <string>
#include <string_view>
#include <vector>

#include "formats/result.h"

namespace kiln::pmu {

// Encodes a libpfm4 event string (e.g. "cycles", "INST_RETIRED:ANY_P", "cycles:u").
Result<perf_event_attr> pfm_encode(std::string_view spec);
// Names of every event of every PMU libpfm4 detects here (the generic "perf" PMU included),
// for suggestions.
std::vector<std::string> pfm_event_names();

}  // namespace kiln::pmu
