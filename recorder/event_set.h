// Opens every perf event fd of a recording: each event on each CPU (system-wide or a
// command/process followed across CPUs) or each thread of the target on each CPU, with one
// ring buffer per CPU that the other fds of that CPU redirect into.
#pragma once

#include <linux/perf_event.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "formats/recording_header.h"
#include "formats/result.h"
#include "pmu/event_resolver.h"
#include "pmu/tracefs_uprobes.h"
#include "recorder/record_options.h"

namespace kiln::recorder {

struct EventTarget {
    bool system_wide = false;        // pid = -1
    std::vector<int> tasks;          // pids/tids to open (each followed with inherit unless per_thread)
    bool per_thread = false;         // -t: no inherit
    bool enable_on_exec = false;     // command mode
    std::vector<int> cpus;
};

struct OpenedFd {
    int fd = -1;
    int cpu = -1;
    size_t event_index = 0;
};

class EventSet {
public:
    EventSet() = default;
    ~EventSet();
    EventSet(const EventSet&) = delete;
    EventSet& operator=(const EventSet&) = delete;

    // Builds the attr of every event from the options (sampling, sample_type, callchains).
    static perf_event_attr make_attr(const pmu::ResolvedEvent& ev, const RecordOptions& opt,
                                     bool tracks_sideband, bool enable_on_exec, bool inherit);

    // map_ring(fd, cpu) is called for the first fd of each CPU as soon as it is open: the
    // kernel redirects other fds (PERF_EVENT_IOC_SET_OUTPUT) only into a mapped buffer.
    // Uprobes of followed (inherited) tasks are made in probes, which must outlive this set
    // and the rings mapped from its fds (an event lives while a ring maps it).
    Status open(const std::vector<pmu::ResolvedEvent>& events, const RecordOptions& opt,
                const EventTarget& target, const std::function<Status(int fd, int cpu)>& map_ring,
                pmu::TracefsUprobes& probes);
    Status enable();
    void disable();
    // Sets a tracepoint filter (tracefs syntax) on every fd of the events whose name matches.
    Status set_filter(bool (*matches)(const std::string& name), const std::string& filter);

    // The fd per CPU that owns the ring buffer, in the order of target.cpus.
    const std::vector<OpenedFd>& ring_owners() const { return ring_owners_; }
    std::vector<format::EventDescription> describe() const;

private:
    std::vector<OpenedFd> fds_;
    std::vector<OpenedFd> ring_owners_;
    std::vector<std::string> names_;
    std::vector<perf_event_attr> attrs_;
    std::vector<bool> is_clock_;
    std::vector<std::string> tracepoint_formats_;
    std::vector<std::vector<uint64_t>> ids_;
};

std::string perf_open_error(int err, const std::string& event, int pid, int cpu);

}  // namespace kiln::recorder
