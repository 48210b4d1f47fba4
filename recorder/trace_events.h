// The events of `kiln record --sched` and `--syscalls`: scheduler tracepoints (switch, wakeup,
// migration, fork, exec, exit) and raw_syscalls enter/exit, recorded on every occurrence and
// without stacks (--off-cpu keeps its stacks on the switch and waking events it shares). The
// analyzer's sched, syscalls, portrait and timeline views read them (analyzer/sched/).
#pragma once

#include <string>
#include <vector>

#include "formats/result.h"
#include "pmu/event_resolver.h"
#include "recorder/record_options.h"

namespace kiln::recorder {

// --sched: what perf sched record takes, plus exit_group's entry for the exit status (the
// sched_process_exit tracepoint has none). sched_waking rather than sched_wakeup: --off-cpu
// records it too, so the two flags share one event.
inline constexpr const char* kSchedEvents[] = {
    "sched:sched_switch",         "sched:sched_waking",         "sched:sched_wakeup_new",
    "sched:sched_migrate_task",   "sched:sched_process_fork",   "sched:sched_process_exec",
    "sched:sched_process_exit",   "syscalls:sys_enter_exit_group"};
inline constexpr const char* kSyscallEvents[] = {"raw_syscalls:sys_enter", "raw_syscalls:sys_exit"};

// The events opt.sched and opt.syscalls ask for, in a fixed order, each marked stackless
// unless --off-cpu wants its stack.
Result<std::vector<pmu::ResolvedEvent>> trace_events(const RecordOptions& opt);

// Whether event is one of --syscalls' (its volume is the target's syscall rate).
bool is_syscall_event(const std::string& name);
// Whether event is one of --sched's or --syscalls' (recorded on every occurrence).
bool is_trace_event(const std::string& name);

// A tracepoint filter that drops the records of these threads (kiln's own, when -a records
// every thread's syscalls): "common_pid != 1 && common_pid != 2".
std::string exclude_threads_filter(const std::vector<int>& tids);

}  // namespace kiln::recorder
