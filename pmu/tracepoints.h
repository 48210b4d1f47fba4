// Tracepoints (subsys:name) through tracefs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formats/result.h"

namespace kiln::pmu {

// The numeric id of subsys:name from <tracefs>/events/subsys/name/id. An unknown name fails
// naming the path it looked for and the closest names of that subsystem.
Result<uint64_t> tracepoint_id(std::string_view subsystem, std::string_view name);
// The text of <tracefs>/events/subsys/name/format: the layout of the event's RAW payload.
Result<std::string> tracepoint_format_text(std::string_view subsystem, std::string_view name);
// Whether <tracefs>/events/subsystem is a directory (false when tracefs is unavailable).
bool has_tracepoint_subsystem(std::string_view subsystem);
// Subsystem names, sorted.
std::vector<std::string> tracepoint_subsystem_names();
// Subsystems with their number of events, sorted by name.
std::vector<std::pair<std::string, size_t>> tracepoint_subsystems();
// Event names of one subsystem, sorted.
std::vector<std::string> tracepoints_of(std::string_view subsystem);
// Appends line to a tracefs control file (uprobe_events) in one write(2): the kernel takes each
// write as one command. Returns 0, or the errno of the open or write that failed (EBUSY: an
// open event uses the probe being removed).
int append_tracefs_line(const std::string& file, std::string_view line);

}  // namespace kiln::pmu
