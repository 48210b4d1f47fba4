#include "recorder/event_set.h"

#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <cstdint>
#include <cstring>
#include <ctime>

#include "formats/probe_names.h"
#include "recorder/trace_events.h"
#include "recorder/user_regs.h"

namespace kiln::recorder {

namespace {

int perf_event_open(perf_event_attr* attr, int pid, int cpu, int group_fd, unsigned long flags) {
    return static_cast<int>(::syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags));
}

}  // namespace

std::string perf_open_error(int err, const std::string& event, int pid, int cpu) {
    std::string where = "event '" + event + "'";
    if (pid > 0) where += " for pid " + std::to_string(pid);
    if (cpu >= 0) where += " on CPU " + std::to_string(cpu);
    std::string msg = "cannot open " + where + ": " + std::strerror(err);
    switch (err) {
        case EACCES:
        case EPERM:
            msg += ". Run as root, grant CAP_PERFMON (setcap cap_perfmon,cap_sys_ptrace+ep), or lower "
                   "/proc/sys/kernel/perf_event_paranoid (system-wide recording needs <= 0, "
                   "kernel callchains <= 1)";
            break;
        case ESRCH: msg += ". No such process: check the pid"; break;
        case EMFILE:
            msg += ". Too many open files: raise `ulimit -n` or record fewer events/CPUs";
            break;
        case ENOENT:
        case EOPNOTSUPP:
            msg += ". This event or one of its options is not supported here; see `kiln list`";
            break;
        case EINVAL:
            msg += ". The kernel rejected the settings (frequency above "
                   "/proc/sys/kernel/perf_event_max_sample_rate, a bad period, or an option "
                   "this kernel lacks)";
            break;
        default: break;
    }
    return msg;
}

perf_event_attr EventSet::make_attr(const pmu::ResolvedEvent& ev, const RecordOptions& opt,
                                    bool tracks_sideband, bool enable_on_exec, bool inherit) {
    perf_event_attr a = ev.attr;
    a.size = sizeof(perf_event_attr);
    a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                    PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD;
    if (ev.kind == pmu::EventKind::kTracepoint || ev.kind == pmu::EventKind::kUprobe) {
        if (ev.kind == pmu::EventKind::kTracepoint) a.sample_type |= PERF_SAMPLE_RAW;
        // Tracepoints and uprobes sample every occurrence unless a period was asked for.
        a.freq = 0;
        a.sample_period = opt.period.value_or(1);
        // The offcpu view pairs every switch out with its switch in: no sampling of those.
        if (opt.off_cpu && std::find(std::begin(kOffCpuEvents), std::end(kOffCpuEvents), ev.name) !=
                               std::end(kOffCpuEvents))
            a.sample_period = 1;
        // So do the sched and syscalls views (a switch, an enter with its exit).
        if ((opt.sched || opt.syscalls) && is_trace_event(ev.name)) a.sample_period = 1;
    } else if (opt.mem.faults && ev.name == kPageFaults) {
        // --mem counts faults: every one, or one in N with -c N (each sample then weighs N).
        a.freq = 0;
        a.sample_period = opt.period.value_or(1);
    } else if (opt.period) {
        a.freq = 0;
        a.sample_period = *opt.period;
    } else {
        a.freq = 1;
        a.sample_freq = opt.frequency.value_or(kDefaultFrequency);
    }
    const CallGraph call_graph = ev.no_call_graph ? CallGraph::kNone : opt.call_graph;
    if (call_graph != CallGraph::kNone) a.sample_type |= PERF_SAMPLE_CALLCHAIN;
    // Without the right to sample the kernel, kernel callchains are refused too.
    if (a.exclude_kernel) a.exclude_callchain_kernel = 1;
    if (call_graph == CallGraph::kDwarf) {
        a.sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
        a.sample_regs_user = user_regs_mask();
        a.sample_stack_user = opt.dwarf_stack_bytes;
        // The user part of the stack comes from the DWARF unwind of the copied stack.
        a.exclude_callchain_user = 1;
    } else if (call_graph == CallGraph::kFramePointer && ev.kind != pmu::EventKind::kUprobe &&
               opt.fp_stack_bytes > 0) {
        // The frame-pointer walk starts at the interrupted function's caller's frame when that
        // function has not pushed one (a frameless leaf, a prologue or epilogue): its caller's
        // return address is on the stack, at the offset its CFI gives; the analyzer puts it
        // back (SPEC.md, "-g fp: the top of the stack").
        a.sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
        a.sample_regs_user = leaf_regs_mask();
        a.sample_stack_user = opt.fp_stack_bytes;
    } else if (ev.kind == pmu::EventKind::kUprobe) {
        // Arguments (at entry) and the return value (uretprobe) are in the user registers.
        a.sample_type |= PERF_SAMPLE_REGS_USER;
        a.sample_regs_user = probe_regs_mask();
        // At a function's first instruction the frame-pointer walk misses the direct caller
        // (its frame is not pushed yet): its return address is at [sp], copied here and put
        // back into the stack by the analyzer (SPEC.md, "uprobes in -g fp mode").
        uint32_t stack = ev.user_stack_bytes;
        if (stack == 0 && call_graph == CallGraph::kFramePointer && format::is_entry_uprobe_name(ev.name)) stack = 8;
        if (stack > 0) {
            a.sample_type |= PERF_SAMPLE_STACK_USER;
            a.sample_stack_user = (stack + 7) & ~7u;
        }
    }
    a.disabled = 1;
    a.inherit = inherit ? 1 : 0;
    a.enable_on_exec = enable_on_exec ? 1 : 0;
    a.sample_id_all = 1;
    a.use_clockid = 1;
    a.clockid = CLOCK_MONOTONIC;
    a.watermark = 1;
    a.wakeup_watermark = 0;  // with watermark set, 0 makes the kernel wake the reader at half the ring
    if (tracks_sideband) {
        a.mmap = 1;
        a.mmap2 = 1;
        a.mmap_data = 0;
        a.comm = 1;
        a.comm_exec = 1;
        a.task = 1;
        a.build_id = 1;
        a.ksymbol = 1;
    }
    return a;
}

EventSet::~EventSet() {
    for (auto& f : fds_) ::close(f.fd);
}

Status EventSet::open(const std::vector<pmu::ResolvedEvent>& events, const RecordOptions& opt,
                      const EventTarget& target, const std::function<Status(int fd, int cpu)>& map_ring,
                      pmu::TracefsUprobes& probes) {
    const bool inherit = !target.system_wide && !target.per_thread;
    std::vector<int> tasks = target.system_wide ? std::vector<int>{-1} : target.tasks;
    for (size_t e = 0; e < events.size(); ++e) {
        names_.push_back(events[e].name);
        is_clock_.push_back(events[e].is_clock);
        tracepoint_formats_.push_back(events[e].tracepoint_format);
        attrs_.push_back(make_attr(events[e], opt, e == 0, target.enable_on_exec, inherit));
        // Opened per task, sched_switch fires only when the task switches out (it runs in the
        // context of the task leaving the CPU); PERF_RECORD_SWITCH records add the switch back
        // in, which the offcpu view pairs with it. System-wide, the next_pid field says it.
        if (events[e].name == kSchedSwitch && !target.system_wide) attrs_.back().context_switch = 1;
        // An inherited uprobe PMU event makes the target's forks fail (pmu/tracefs_uprobes.h):
        // followed tasks get a tracefs uprobe, opened as the tracepoint it is.
        if (events[e].kind == pmu::EventKind::kUprobe && inherit) {
            perf_event_attr& a = attrs_.back();
            auto id = probes.add(events[e].probe_path, a.config2, format::is_uretprobe_name(events[e].name));
            if (!id) return make_error("event '" + names_[e] + "': " + id.error().message);
            a.type = PERF_TYPE_TRACEPOINT;
            a.config = *id;
            a.config1 = a.config2 = 0;
        }
        ids_.emplace_back();
    }
    for (int cpu : target.cpus) {
        int owner = -1;
        for (size_t e = 0; e < events.size(); ++e) {
            for (int task : tasks) {
                perf_event_attr attr = attrs_[e];
                // Only the first event tracks mmap/comm/task, so those records are not
                // duplicated; per-task events see only their own task's, so every task gets it.
                if (e != 0) {
                    attr.mmap = attr.mmap2 = attr.comm = attr.comm_exec = attr.task = attr.build_id = 0;
                    attr.ksymbol = 0;
                }
                // A uprobe names its binary by a pointer to the path: events[e] outlives this
                // call; the attr kept for the header (attrs_) holds 0 there, not an address.
                if (events[e].kind == pmu::EventKind::kUprobe && attr.type != PERF_TYPE_TRACEPOINT)
                    attr.config1 = reinterpret_cast<uintptr_t>(events[e].probe_path.c_str());
                int fd = perf_event_open(&attr, task, cpu, -1, PERF_FLAG_FD_CLOEXEC);
                if (fd < 0) {
                    int err = errno;
                    // A thread that exited between listing and opening is not an error.
                    if (err == ESRCH && !target.system_wide && task != tasks.front()) continue;
                    return make_error(perf_open_error(err, names_[e], task, cpu));
                }
                uint64_t id = 0;
                if (::ioctl(fd, PERF_EVENT_IOC_ID, &id) != 0) {
                    ::close(fd);
                    return make_error("cannot read the id of event '" + names_[e] + "': " + std::strerror(errno));
                }
                ids_[e].push_back(id);
                fds_.push_back({fd, cpu, e});
                if (owner < 0) {
                    owner = fd;
                    ring_owners_.push_back({fd, cpu, e});
                    KILN_TRY(map_ring(fd, cpu));
                } else if (::ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, owner) != 0) {
                    return make_error("cannot redirect event '" + names_[e] + "' on CPU " +
                                      std::to_string(cpu) + " into its ring buffer: " + std::strerror(errno));
                }
            }
        }
    }
    if (ring_owners_.empty()) return make_error("no event could be opened for the target");
    return {};
}

Status EventSet::set_filter(bool (*matches)(const std::string& name), const std::string& filter) {
    if (filter.empty()) return {};
    for (const auto& f : fds_) {
        if (!matches(names_[f.event_index])) continue;
        if (::ioctl(f.fd, PERF_EVENT_IOC_SET_FILTER, filter.c_str()) != 0)
            return make_error("cannot set the filter '" + filter + "' on event '" + names_[f.event_index] + "' on CPU " +
                              std::to_string(f.cpu) + ": " + std::strerror(errno));
    }
    return {};
}

Status EventSet::enable() {
    for (auto& f : fds_)
        if (::ioctl(f.fd, PERF_EVENT_IOC_ENABLE, 0) != 0)
            return make_error("cannot enable event '" + names_[f.event_index] + "' on CPU " +
                              std::to_string(f.cpu) + ": " + std::strerror(errno));
    return {};
}

void EventSet::disable() {
    for (auto& f : fds_) ::ioctl(f.fd, PERF_EVENT_IOC_DISABLE, 0);
}

std::vector<format::EventDescription> EventSet::describe() const {
    std::vector<format::EventDescription> out;
    for (size_t e = 0; e < names_.size(); ++e) {
        format::EventDescription d;
        d.name = names_[e];
        const auto* p = reinterpret_cast<const uint8_t*>(&attrs_[e]);
        d.attr.assign(p, p + sizeof(perf_event_attr));
        d.ids = ids_[e];
        d.is_clock = is_clock_[e];
        d.tracepoint_format = tracepoint_formats_[e];
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace kiln::recorder
