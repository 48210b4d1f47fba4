// The inputs of `kiln diff`: recordings or pprof files turned into name-keyed stacks, so
// that two builds of the same code (other addresses, other binary names) compare.
//
// Matching rules (what makes two frames "the same"):
// - a frame is its function's name, root first, inlined functions as frames of their own;
// - no process frame: the stack starts at the outermost function (main, start_thread ...),
//   so binaries with different names (a rebuild, another -O level) compare; processes of a
//   multi-process recording are pooled;
// - kernel frames keep the _[k] suffix (a kernel function is not a user one of the same
//   name), JIT ones _[j]; inlined frames drop _[i]: a function inlined in one build and not
//   in the other is still the same function;
// - GCC/Clang clone suffixes are removed (foo.constprop.0, foo.isra.0, foo.part.0, foo.cold,
//   foo.lto_priv.0, foo.llvm.123): they differ between builds of the same source.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/analyze.h"
#include "analyzer/profile/flame_tree.h"
#include "analyzer/profile/profile.h"
#include "formats/result.h"

namespace kiln::analyzer {

struct NamedStack {
    std::vector<FlameFrame> frames;  // root first
    int64_t value = 0;               // in the run's sample type (ns of CPU, bytes ...)
    int64_t count = 0;               // samples behind value (see ProfileRun::counts_exact)
};

// One input file.
struct ProfileRun {
    std::string source;          // path
    std::string view;            // recordings: the view built; pprof: "pprof"
    SampleType type;             // what value measures
    std::vector<NamedStack> stacks;
    int64_t total_value = 0;
    int64_t total_count = 0;
    // False when the input has no sample type counting samples ("count" unit): counts are
    // then estimated as value share × number of distinct stacks, fewer than the real
    // samples, so significance is underestimated (conservative).
    bool counts_exact = true;
    // Recordings: what analysis reported (binaries not found show as binary+0xOFFSET and
    // cannot match by name), for the command to print.
    std::vector<std::string> warnings;
};

// A function name without compiler clone suffixes (see above).
std::string normalize_function_name(const std::string& name);

// Name-keyed stacks of a profile, for its default sample type.
ProfileRun run_from_profile(const Profile& p, const std::string& source, const std::string& view);

struct LoadOptions {
    std::string view;               // recordings: the view to build; "" = each recording's default
    AnalyzeOptions analyze;         // filters and binary lookup for recordings
};

// A recording (.kiln) or a pprof file (gzip-compressed or raw profile.proto), told apart by
// content. Errors name the file: missing, neither format, empty profile.
Result<ProfileRun> load_run(const std::string& path, const LoadOptions& options);

}  // namespace kiln::analyzer
