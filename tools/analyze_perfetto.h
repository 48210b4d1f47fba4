// `kiln analyze FILE --perfetto PATH`, and DIR/trace.perfetto-trace of `kiln analyze -o DIR`:
// wires analyzer::collect_perfetto (its own pass over the recording) to write_perfetto.
#pragma once

#include <string>
#include <vector>

#include "analyzer/output/perfetto_collector.h"

namespace kiln::tools {

// Writes the trace to path and prints what it holds on stderr. only_with_timeline (for -o DIR):
// writes nothing, and says nothing, when the recording holds neither switches nor counters.
// Adds the path written to written; returns an error message, or "".
std::string write_perfetto_trace(const std::string& file, const analyzer::PerfettoOptions& options,
                                 const std::string& path, bool only_with_timeline, std::vector<std::string>& written);

}  // namespace kiln::tools
