#include "recorder/trace_events.h"

#include <algorithm>
#include <iterator>

namespace kiln::recorder {

namespace {

bool off_cpu_event(const std::string& name) {
    return std::find(std::begin(kOffCpuEvents), std::end(kOffCpuEvents), name) != std::end(kOffCpuEvents);
}

Status add(std::vector<pmu::ResolvedEvent>& out, const std::string& spec, const RecordOptions& opt) {
    auto ev = pmu::resolve_event(spec);
    if (!ev) return make_error((opt.syscalls && is_syscall_event(spec) ? "--syscalls: " : "--sched: ") + ev.error().message);
    ev->no_call_graph = !(opt.off_cpu && off_cpu_event(ev->name));
    out.push_back(std::move(*ev));
    return {};
}

}  // namespace

bool is_syscall_event(const std::string& name) {
    return std::find(std::begin(kSyscallEvents), std::end(kSyscallEvents), name) != std::end(kSyscallEvents);
}

bool is_trace_event(const std::string& name) {
    return is_syscall_event(name) ||
           std::find(std::begin(kSchedEvents), std::end(kSchedEvents), name) != std::end(kSchedEvents);
}

Result<std::vector<pmu::ResolvedEvent>> trace_events(const RecordOptions& opt) {
    std::vector<pmu::ResolvedEvent> out;
    if (opt.sched)
        for (const char* e : kSchedEvents) KILN_TRY(add(out, e, opt));
    if (opt.syscalls)
        for (const char* e : kSyscallEvents) KILN_TRY(add(out, e, opt));
    return out;
}

std::string exclude_threads_filter(const std::vector<int>& tids) {
    std::string f;
    for (int tid : tids) f += (f.empty() ? "" : " && ") + std::string("common_pid != ") + std::to_string(tid);
    return f;
}

}  // namespace kiln::recorder
