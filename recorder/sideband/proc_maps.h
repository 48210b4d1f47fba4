// Parsing /proc/PID/maps lines into format::MappingEntry.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "formats/result.h"
#include "formats/sideband.h"

namespace kiln::recorder::sideband {

struct ParsedMapping {
    format::MappingEntry entry;  // path without the " (deleted)" suffix, build_id empty
    bool deleted = false;        // the kernel printed " (deleted)": the path names another file now
};

// One line: "start-end perms offset major:minor inode   path". nullopt when malformed.
std::optional<ParsedMapping> parse_maps_line(std::string_view line);

// A whole maps file; the error names the first malformed line.
Result<std::vector<ParsedMapping>> parse_maps(std::string_view text);

}  // namespace kiln::recorder::sideband
