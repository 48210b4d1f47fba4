#include "tools/analyze_perfetto.h"

#include <cstdio>

#include "analyzer/output/perfetto_writer.h"
#include "formats/recording_reader.h"

namespace kiln::tools {

std::string write_perfetto_trace(const std::string& file, const analyzer::PerfettoOptions& options,
                                 const std::string& path, bool only_with_timeline, std::vector<std::string>& written) {
    auto reader = format::RecordingReader::open(file);
    if (!reader) return reader.error().message;
    auto trace = analyzer::collect_perfetto(**reader, options);
    if (!trace) return trace.error().message;
    if (only_with_timeline && !trace->has_timeline()) return "";
    for (const auto& w : trace->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::fprintf(stderr, "kiln analyze: perfetto: %zu switches, %zu wakeups, %zu counter tracks, %zu instants, %zu samples\n",
                 trace->switches.size(), trace->wakes.size(), trace->counters.size(), trace->instants.size(),
                 trace->samples.size());
    if (Status st = analyzer::write_perfetto(*trace, path); !st) return st.error().message;
    if (path != "-") written.push_back(path);
    return "";
}

}  // namespace kiln::tools
