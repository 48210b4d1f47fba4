// The `counters TIME KEY=VALUE...` line of recording scripts (its keys: recording_script.h).
#pragma once

#include <cstdint>
#include <sstream>

#include "formats/counters.h"
#include "formats/result.h"

namespace kiln::testing {

// The rest of a counters line (after the word) as a COUNTERS chunk of one snapshot, its time
// start_ns + TIME.
Result<format::CounterChunk> parse_counters_line(std::istringstream& in, uint64_t start_ns);

}  // namespace kiln::testing
