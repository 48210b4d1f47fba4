// `kiln analyze FILE --view sched|syscalls|portrait`: runs the trace pass (analyzer/sched/) and
// writes the view as text (stdout by default), --json and --csv. Also their files for -o DIR.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/views/sample_filter.h"

namespace kiln::tools {

struct TraceViewArgs {
    std::string file;
    std::string view;  // sched, syscalls or portrait
    analyzer::SampleFilter filter;  // --time limits the pass; --pid/--tid/--comm the rows
    std::string json, csv;
    size_t last = 0;  // syscalls: --last N
};

bool is_trace_view(const std::string& view);

// Exit code: 0, 1 (the recording lacks what the view needs, or a file could not be written).
int run_trace_view(const TraceViewArgs& args);

// For -o DIR: DIR/{sched,syscalls,portrait}.json for those the recording supports (portrait
// whenever sched or syscalls is). Adds the paths written; returns an error message, or "".
std::string write_trace_view_files(const std::string& file, const analyzer::SampleFilter& filter,
                                   const std::string& dir, std::vector<std::string>& written);

}  // namespace kiln::tools
