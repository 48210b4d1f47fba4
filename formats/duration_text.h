// Durations written on command lines ("500us", "100ms", "2.5s"), shared by `kiln record`
// and `kiln analyze` (formats/ is the one library both halves link).
#pragma once

#include <cstdint>
#include <string>

#include "formats/result.h"

namespace kiln::format {

// "250us", "1.5ms", "2s", "100ns" (a bare number is nanoseconds) → nanoseconds; option names
// the flag in errors (e.g. "--min-block").
Result<uint64_t> parse_duration_ns(const std::string& text, const std::string& option);

}  // namespace kiln::format
