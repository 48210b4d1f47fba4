// The analyzer's entry point: one recording and one view in, one Profile out, with a report
// of what could not be resolved. tools/analyze_command.cpp turns this into files and text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/profile/profile.h"
#include "analyzer/profile/stack_timeline.h"
#include "analyzer/profile/window_stacks.h"
#include "analyzer/symbolize/address_resolver.h"
#include "analyzer/symbolize/binary_locator.h"
#include "analyzer/unwind/stack_builder.h"
#include "analyzer/views/sample_filter.h"
#include "analyzer/views/view_registry.h"  // available_views, default_view
#include "formats/recording_header.h"
#include "formats/recording_reader.h"
#include "formats/result.h"

namespace kiln::analyzer {

struct AnalyzeOptions {
    std::string view = "cpu";     // a name in view_registry()
    SampleFilter filter;
    LocatorOptions locator;
    bool libunwind_only = false;  // DWARF stacks without the fast path (to compare the two)
    uint64_t min_block_ns = 0;    // offcpu, hotcold, wakeup: drop blocks shorter than this
    StackObserver on_stack;       // when set, sees every stack the view unwinds (raw frames)
    // Views (by name) whose kept samples also make per-thread timelines of stacks
    // (Analysis::timelines, for speedscope); each must be sample-based (View::feed_timeline).
    std::vector<std::string> timeline_views;
    // Views (by name) whose kept samples are also counted per window of window_bucket_ns under
    // their stacks' function names (Analysis::windows, for the anomalies view); sample-based too.
    std::vector<std::string> window_views;
    uint64_t window_bucket_ns = 10'000'000;
};

struct BinaryReport {
    BinaryStatus status;
    int64_t samples = 0;  // samples with at least one frame in this binary
};

struct Analysis {
    Profile profile;
    std::vector<std::string> warnings;
    std::vector<BinaryReport> binaries;  // every user binary the kept samples touched
    uint64_t samples_seen = 0;           // samples of the view's events
    uint64_t samples_kept = 0;           // after filters
    uint64_t unparsable_samples = 0;
    uint64_t lost = 0;                   // samples the kernel could not write (ring full)
    size_t distinct_stacks = 0;
    UnwindHealth unwind;                            // DWARF unwinding, per binary where stacks ended
    std::map<uint32_t, std::string> unwind_binaries;  // dso → path, for the report
    // When options.timeline_views names the view: its kept samples as per-thread timelines,
    // frames named as the profile's (frame_display_name), times from the recording's start.
    std::optional<StackTimelines> timelines;
    // When options.window_views names the view: its kept samples counted per window and stack.
    std::optional<WindowedStacks> windows;
};

Result<Analysis> analyze_recording(const std::string& path, const AnalyzeOptions& options);
// The same on an open reader (tests and fuzzers hand it recordings held in memory).
Result<Analysis> analyze_reader(format::RecordingReader& reader, const AnalyzeOptions& options);

// Several views of one recording in one pass (`kiln analyze -o DIR`): the records are decoded,
// and each sample parsed and unwound, once for all of them; each view gets its own profile,
// symbolized through one set of symbol tables and opened binaries. options.view is not used;
// the analyses come in the order of view_names. What belongs to the pass is the same in each:
// lost, the recording's warnings, and unwind (every stack the pass unwound, for any view).
Result<std::vector<Analysis>> analyze_views(format::RecordingReader& reader, const AnalyzeOptions& options,
                                            const std::vector<std::string>& view_names);

}  // namespace kiln::analyzer
