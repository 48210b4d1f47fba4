// libpfm4 (loaded on first use): hardware and PMU-specific event names to perf_event_attr
// encodings.
#pragma once

#include <linux/perf_event.h>

#include <string>
#include <string_view>
#include <vector>

#include "formats/result.h"

namespace kiln::pmu {

// Encodes a libpfm4 event string (e.g. "cycles", "INST_RETIRED:ANY_P", "cycles:u") with
// PFM_OS_PERF_EVENT_EXT at user+kernel privilege. attr.size is set. When it fails and
// not_found is given, *not_found tells "no such event" apart from a bad modifier or a
// library failure.
Result<perf_event_attr> pfm_encode(std::string_view spec, bool* not_found = nullptr);

// Names of every event of every PMU libpfm4 detects here (the generic "perf" PMU
// included), for suggestions. Computed once.
const std::vector<std::string>& pfm_event_names();

}  // namespace kiln::pmu
