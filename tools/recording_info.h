// The recording's summary as `kiln info` prints it, as rows of (label, value): printed as text
// by `kiln info` and shown in the HTML report.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "formats/recording_header.h"
#include "formats/recording_summary.h"

namespace kiln::tools {

// "99 Hz, dwarf 8192 bytes", "every 100003, fp callchains".
std::string sampling_of(const format::EventDescription& event);

// In `kiln info`'s order. A row with an empty label is a line of the list above it (a
// process, a binary).
std::vector<std::pair<std::string, std::string>> recording_info_rows(const format::RecordingSummary& s,
                                                                     uint16_t major, uint16_t minor);

}  // namespace kiln::tools
