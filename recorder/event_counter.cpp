#include "recorder/event_counter.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "formats/probe_names.h"
#include "recorder/event_set.h"

namespace kiln::recorder {

namespace {

int perf_event_open(perf_event_attr* attr, int pid, int cpu) {
    return static_cast<int>(::syscall(SYS_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

}  // namespace

Result<EventCounter> EventCounter::open(const pmu::ResolvedEvent& event, bool system_wide,
                                        const std::vector<int>& tasks, const std::vector<int>& cpus,
                                        pmu::TracefsUprobes& probes) {
    if (event.kind != pmu::EventKind::kTracepoint && event.kind != pmu::EventKind::kUprobe)
        return make_error("event '" + event.name +
                          "' is not a tracepoint or uprobe: event triggers count hits of subsys:name "
                          "tracepoints (see `kiln list`) or uprobe:PATH:SYMBOL probes");
    perf_event_attr a = event.attr;
    a.size = sizeof(perf_event_attr);
    a.sample_period = 0;  // counting only: no samples, no ring buffer
    a.freq = 0;
    a.sample_type = 0;
    a.read_format = 0;    // read() gives one u64, the children's counts included
    a.disabled = 0;
    a.inherit = system_wide ? 0 : 1;
    if (event.kind == pmu::EventKind::kUprobe) {
        if (a.inherit) {
            // The uprobe PMU cannot be inherited (pmu/tracefs_uprobes.h): a tracefs probe can.
            auto id = probes.add(event.probe_path, a.config2, format::is_uretprobe_name(event.name));
            if (!id) return make_error("event '" + event.name + "': " + id.error().message);
            a.type = PERF_TYPE_TRACEPOINT;
            a.config = *id;
            a.config1 = a.config2 = 0;
        } else {
            a.config1 = reinterpret_cast<uintptr_t>(event.probe_path.c_str());
        }
    }
    EventCounter c;
    const std::vector<int> any_cpu{-1};
    const std::vector<int>& on_cpus = system_wide ? cpus : any_cpu;
    const std::vector<int> everyone{-1};
    const std::vector<int>& of_tasks = system_wide ? everyone : tasks;
    for (int task : of_tasks) {
        for (int cpu : on_cpus) {
            const int fd = perf_event_open(&a, task, cpu);
            if (fd < 0) {
                const int err = errno;
                // A thread that exited since the target was listed is not an error.
                if (err == ESRCH && !system_wide && task != of_tasks.front()) continue;
                return make_error(perf_open_error(err, event.name, task, cpu));
            }
            c.fds_.push_back(fd);
        }
    }
    if (c.fds_.empty()) return make_error("event '" + event.name + "': no CPU or task to count it on");
    return c;
}

EventCounter::EventCounter(EventCounter&& other) noexcept
    : fds_(std::exchange(other.fds_, {})), base_(other.base_) {}

EventCounter& EventCounter::operator=(EventCounter&& other) noexcept {
    if (this != &other) {
        close_all();
        fds_ = std::exchange(other.fds_, {});
        base_ = other.base_;
    }
    return *this;
}

EventCounter::~EventCounter() { close_all(); }

void EventCounter::close_all() {
    for (int fd : fds_) ::close(fd);
    fds_.clear();
}

uint64_t EventCounter::total() const {
    uint64_t sum = 0;
    for (int fd : fds_) {
        uint64_t v = 0;
        if (::read(fd, &v, sizeof v) == static_cast<ssize_t>(sizeof v)) sum += v;
    }
    return sum;
}

}  // namespace kiln::recorder
