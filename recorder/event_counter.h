// Counts the hits of one tracepoint or uprobe for an `event:` trigger: counting perf events
// (no sampling, no ring buffer), one per CPU system-wide or one per target task with inherit,
// summed by read() at every check.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/result.h"
#include "pmu/event_resolver.h"
#include "pmu/tracefs_uprobes.h"

namespace kiln::recorder {

class EventCounter {
public:
    // system_wide: one fd per CPU of cpus; else one per task (any CPU, children followed).
    // A uprobe followed into children is made in probes (pmu/tracefs_uprobes.h), which must
    // outlive this counter.
    static Result<EventCounter> open(const pmu::ResolvedEvent& event, bool system_wide,
                                     const std::vector<int>& tasks, const std::vector<int>& cpus,
                                     pmu::TracefsUprobes& probes);

    EventCounter() = default;
    EventCounter(EventCounter&& other) noexcept;
    EventCounter& operator=(EventCounter&& other) noexcept;
    ~EventCounter();

    // Hits since open or the last restart().
    uint64_t count() const {
        const uint64_t t = total();
        return t > base_ ? t - base_ : 0;  // a failed read must not wrap around
    }
    // Counts from zero again. A baseline, not PERF_EVENT_IOC_RESET: the reset leaves the
    // counts of exited inherited children (kept apart by the kernel) in place.
    void restart() { base_ = total(); }

private:
    uint64_t total() const;
    void close_all();

    std::vector<int> fds_;
    uint64_t base_ = 0;
};

}  // namespace kiln::recorder
