// Every view `kiln analyze` can build, in one table: its name, the unit of its default value,
// what the recording must hold for it, a one-line description and its factory. The analyzer
// creates views through it; the command line's --view and --help, `-o DIR` (every view the
// recording holds data for, in table order) and the tests read it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/views/view.h"
#include "formats/recording_header.h"
#include "formats/result.h"

namespace kiln::analyzer {

// What a view needs recorded.
enum class ViewNeeds : uint8_t {
    kCpuEvents,               // a sampling event that measures CPU use (cycles, cpu-clock ...)
    kAllocatorProbes,         // the allocator's uprobes (--mem, --mem=malloc)
    kPageFaults,              // the page-faults event (--mem, --mem=faults)
    kMmapSyscalls,            // the syscalls tracepoints of mmap, munmap, mremap, brk (--mem, --mem=mmap)
    kUserProbes,              // uprobe: or uretprobe: events (-e uprobe:PATH:SYMBOL)
    kOffCpu,                  // sched:sched_switch (--off-cpu), or perf record --off-cpu's offcpu-time
    kSchedSwitchAndCpuClock,  // sched:sched_switch and a CPU clock event (--off-cpu -e cpu-clock)
    kSchedSwitchAndWakeups,   // sched:sched_switch and sched_waking or sched_wakeup (--off-cpu)
};

// Whether the recording holds what `needs` names.
bool has_recorded(ViewNeeds needs, const format::RecordingHeader& header, const EventTable& events);
// How to record it, for help text: "kiln record --off-cpu".
std::string_view how_to_record(ViewNeeds needs);

// What a factory may need beyond the recording (command-line choices).
struct ViewOptions {
    uint64_t min_block_ns = 0;  // offcpu, hotcold, wakeup: drop blocks shorter than this
};

using ViewFactory = Result<std::unique_ptr<View>> (*)(const format::RecordingHeader& header, const EventTable& events,
                                                      const ViewOptions& options);

struct ViewInfo {
    std::string_view name;         // --view NAME, View::name(), DIR/NAME.svg
    std::string_view unit;         // what the default value counts: "bytes", "ns blocked" ...
    std::string_view description;  // one line, for --help
    ViewNeeds needs;
    ViewFactory create;  // fails with a message naming what the recording lacks
};

// Every view, in the order `-o DIR` writes them and --help lists them.
std::span<const ViewInfo> view_registry();
// The view named so, or nullptr.
const ViewInfo* find_view(std::string_view name);
// "cpu, alloc, ..., wakeup": every view's name, for help and errors.
std::string view_name_list();

// Views that are reports, not profiles: they produce their own data (the timeline's series), are
// built by their own entry point (timeline/timeline_builder.h) and written by their own writers,
// so they have no factory and `-o DIR` does not make a profile of them. --view and --help list
// them after the profile views.
struct ReportViewInfo {
    std::string_view name;
    std::string_view unit;
    std::string_view description;
    std::string_view how_to_record;
};
std::span<const ReportViewInfo> report_view_registry();
const ReportViewInfo* find_report_view(std::string_view name);

// Creates the view named so. An unknown name fails with the valid names and those this
// recording holds data for.
Result<std::unique_ptr<View>> make_view(std::string_view name, const format::RecordingHeader& header,
                                        const EventTable& events, const ViewOptions& options);

// Views this recording has data for, in the order `-o DIR` writes them.
std::vector<std::string> available_views(const format::RecordingHeader& header);
// The view `kiln analyze` builds without --view: the first available one, else cpu (whose
// error then says what the recording lacks).
std::string default_view(const format::RecordingHeader& header);

}  // namespace kiln::analyzer
