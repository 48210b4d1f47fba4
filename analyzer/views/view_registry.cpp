#include "analyzer/views/view_registry.h"

#include <array>

#include "analyzer/views/alloc_calls.h"
#include "analyzer/views/alloc_view.h"
#include "analyzer/views/cpu_view.h"
#include "analyzer/views/faults_view.h"
#include "analyzer/views/hotcold_view.h"
#include "analyzer/views/mmap_view.h"
#include "analyzer/views/offcpu_view.h"
#include "analyzer/views/perf_offcpu_view.h"
#include "analyzer/views/probe_view.h"
#include "analyzer/views/sched_tracepoints.h"
#include "analyzer/views/wakeup_view.h"
#include "formats/perf_offcpu.h"

namespace kiln::analyzer {

namespace {

template <typename V>
Result<std::unique_ptr<View>> as_view(Result<std::unique_ptr<V>> v) {
    if (!v) return v.error();
    return std::unique_ptr<View>(std::move(*v));
}

using Header = format::RecordingHeader;

Result<std::unique_ptr<View>> create_cpu(const Header& h, const EventTable& e, const ViewOptions&) {
    return as_view(CpuView::create(h, e));
}
template <AllocView::Kind kind>
Result<std::unique_ptr<View>> create_alloc(const Header& h, const EventTable& e, const ViewOptions&) {
    return as_view(AllocView::create(h, e, kind));
}
Result<std::unique_ptr<View>> create_faults(const Header& h, const EventTable& e, const ViewOptions&) {
    return as_view(FaultsView::create(h, e));
}
Result<std::unique_ptr<View>> create_mmap(const Header& h, const EventTable& e, const ViewOptions&) {
    return as_view(MmapView::create(h, e));
}
Result<std::unique_ptr<View>> create_probes(const Header& h, const EventTable& e, const ViewOptions&) {
    return as_view(ProbeView::create(h, e));
}
bool has_perf_offcpu(const Header& h) {
    return format::find_perf_tool_event(h, format::PerfToolEvent::kOffCpuTime) >= 0;
}
// sched_switch when recorded (its blocks have states and times), else perf's offcpu-time.
Result<std::unique_ptr<View>> create_offcpu(const Header& h, const EventTable& e, const ViewOptions& o) {
    if (!SchedTracepoints::recorded(h) && has_perf_offcpu(h))
        return as_view(PerfOffCpuView::create(h, e, o.min_block_ns));
    if (!SchedTracepoints::recorded(h) &&
        format::find_perf_tool_event(h, format::PerfToolEvent::kOffCpuTimeEmbedded) >= 0)
        return make_error("the offcpu view needs sched:sched_switch or perf record --off-cpu's offcpu-time samples; "
                          "this file's offcpu-time is in the layout of perf 6.15 and later (thread, period and "
                          "stack inside the BPF output's raw data), which kiln does not decode");
    return as_view(OffCpuView::create(h, e, o.min_block_ns));
}
Result<std::unique_ptr<View>> create_hotcold(const Header& h, const EventTable& e, const ViewOptions& o) {
    return as_view(HotColdView::create(h, e, o.min_block_ns));
}
Result<std::unique_ptr<View>> create_wakeup(const Header& h, const EventTable& e, const ViewOptions& o) {
    return as_view(WakeupView::create(h, e, o.min_block_ns));
}

constexpr std::array kViews{
    ViewInfo{"cpu", "ns for clock events, else event count",
             "where the CPU time (or the sampled hardware event) went, per stack", ViewNeeds::kCpuEvents, create_cpu},
    ViewInfo{"alloc", "bytes", "bytes allocated (malloc, calloc, realloc ...) while recording, per caller's stack",
             ViewNeeds::kAllocatorProbes, create_alloc<AllocView::Kind::kAlloc>},
    ViewInfo{"allocs", "count", "allocator calls made while recording, per caller's stack",
             ViewNeeds::kAllocatorProbes, create_alloc<AllocView::Kind::kAllocs>},
    ViewInfo{"inuse", "bytes still held", "bytes allocated while recording and not freed by its end (leaks)",
             ViewNeeds::kAllocatorProbes, create_alloc<AllocView::Kind::kInuse>},
    ViewInfo{"faults", "faults", "page faults per stack", ViewNeeds::kPageFaults, create_faults},
    ViewInfo{"mmap", "bytes", "address space mapped (mmap, mremap and brk growth) per stack of the syscall",
             ViewNeeds::kMmapSyscalls, create_mmap},
    ViewInfo{"probes", "hits", "hits of uprobe: and uretprobe: events per stack", ViewNeeds::kUserProbes,
             create_probes},
    ViewInfo{"offcpu", "ns blocked", "time threads waited off the CPU, per stack and state (sleep, io, preempted)",
             ViewNeeds::kOffCpu, create_offcpu},
    ViewInfo{"hotcold", "ns (on-CPU + off-CPU)", "on-CPU and off-CPU time of the same threads in one profile",
             ViewNeeds::kSchedSwitchAndCpuClock, create_hotcold},
    ViewInfo{"wakeup", "ns blocked", "off-CPU time under the stack that woke the thread (offwaketime)",
             ViewNeeds::kSchedSwitchAndWakeups, create_wakeup},
};

constexpr std::array kReportViews{
    ReportViewInfo{"timeline", "per series (%, tasks, bytes, bytes/s, ns, samples)",
                   "load, CPU busy, PSI, per-process CPU/RSS/I/O, samples, off-CPU time and faults per --window; "
                   "text with sparklines, --json, --csv, --svg",
                   "kiln record (counters are on by default; --off-cpu adds offcpu, --mem=faults adds faults)"},
    ReportViewInfo{"sched", "ns run and waited, counts",
                   "per thread: run time, voluntary/involuntary switches, migrations, run-queue wait "
                   "(count/avg/p99/max and when), longest run on a CPU; text, --json, --csv",
                   "kiln record --sched (-a for every thread)"},
    ReportViewInfo{"syscalls", "count, errors, ns latency",
                   "per process and syscall: count, errors by errno, total/avg/p99/max latency; --last N lists "
                   "each thread's last N calls",
                   "kiln record --syscalls"},
    ReportViewInfo{"portrait", "a page per process",
                   "per process: CPU %, max RSS, I/O bytes, faults, syscalls, switches, migrations, key moments "
                   "(fork, exec, exit status, long blocks) and a class (cpu, memory, io, idle)",
                   "kiln record --sched --syscalls (uses whatever else is recorded too)"},
    ReportViewInfo{"anomalies", "ranges, score, kind",
                   "time windows whose stacks differ from what came before, grouped into kinds, with the functions "
                   "that changed; --window, --sensitivity, --baseline-time, --report P.md|P.json",
                   "kiln record (CPU samples)"},
};

}  // namespace

std::span<const ReportViewInfo> report_view_registry() { return kReportViews; }

const ReportViewInfo* find_report_view(std::string_view name) {
    for (const ReportViewInfo& v : kReportViews)
        if (v.name == name) return &v;
    return nullptr;
}

bool has_recorded(ViewNeeds needs, const format::RecordingHeader& header, const EventTable& events) {
    switch (needs) {
        case ViewNeeds::kCpuEvents: return !cpu_events(header, events).empty();
        case ViewNeeds::kAllocatorProbes: return AllocCalls::recorded(header);
        case ViewNeeds::kPageFaults: return page_fault_event(header) >= 0;
        case ViewNeeds::kMmapSyscalls: return MmapView::applies(header);
        case ViewNeeds::kUserProbes: return !probe_events(header).empty();
        case ViewNeeds::kOffCpu: return SchedTracepoints::recorded(header) || has_perf_offcpu(header);
        case ViewNeeds::kSchedSwitchAndCpuClock: return HotColdView::applies(header, events);
        case ViewNeeds::kSchedSwitchAndWakeups: return WakeupView::applies(header);
    }
    return false;
}

std::string_view how_to_record(ViewNeeds needs) {
    switch (needs) {
        case ViewNeeds::kCpuEvents: return "kiln record (cycles, or cpu-clock where there is no PMU)";
        case ViewNeeds::kAllocatorProbes: return "kiln record --mem or --mem=malloc";
        case ViewNeeds::kPageFaults: return "kiln record --mem or --mem=faults";
        case ViewNeeds::kMmapSyscalls: return "kiln record --mem or --mem=mmap";
        case ViewNeeds::kUserProbes: return "kiln record -e uprobe:PATH:SYMBOL";
        case ViewNeeds::kOffCpu: return "kiln record --off-cpu (or perf record --off-cpu)";
        case ViewNeeds::kSchedSwitchAndCpuClock: return "kiln record --off-cpu -e cpu-clock";
        case ViewNeeds::kSchedSwitchAndWakeups: return "kiln record --off-cpu";
    }
    return "";
}

std::span<const ViewInfo> view_registry() { return kViews; }

const ViewInfo* find_view(std::string_view name) {
    for (const ViewInfo& v : kViews)
        if (v.name == name) return &v;
    return nullptr;
}

std::string view_name_list() {
    std::string out;
    for (const ViewInfo& v : kViews) (out += out.empty() ? "" : ", ") += v.name;
    for (const ReportViewInfo& v : kReportViews) (out += ", ") += v.name;
    return out;
}

Result<std::unique_ptr<View>> make_view(std::string_view name, const format::RecordingHeader& header,
                                        const EventTable& events, const ViewOptions& options) {
    if (const ViewInfo* v = find_view(name)) return v->create(header, events, options);
    if (find_report_view(name))
        return make_error("the " + std::string(name) + " view is a report, not a profile: kiln analyze FILE --view " +
                          std::string(name) + " builds it");
    std::string known;
    for (const auto& v : available_views(header)) known += (known.empty() ? "" : ", ") + v;
    return make_error("unknown view '" + std::string(name) + "'; the views are " + view_name_list() +
                      "; this recording supports: " + (known.empty() ? "none" : known));
}

std::vector<std::string> available_views(const format::RecordingHeader& header) {
    const EventTable events(header);
    std::vector<std::string> views;
    for (const ViewInfo& v : kViews)
        if (has_recorded(v.needs, header, events)) views.emplace_back(v.name);
    return views;
}

std::string default_view(const format::RecordingHeader& header) {
    const auto views = available_views(header);
    return views.empty() ? "cpu" : views.front();
}

}  // namespace kiln::analyzer
