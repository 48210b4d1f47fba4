// The scheduler tracepoints of a recording (sched:sched_switch, sched:sched_waking or
// sched:sched_wakeup) and their RAW fields, located through the tracepoint format stored in
// the recording header: the kernel's layout as recorded, never one assumed here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "formats/recording_header.h"
#include "formats/result.h"
#include "formats/tracepoint_format.h"

namespace kiln::analyzer {

struct SwitchFields {
    int32_t prev_tid = 0;     // the task leaving the CPU (the sample's own task)
    int64_t prev_state = 0;   // its state: 0 runnable (preempted), 1 sleeping, 2 uninterruptible ...
    int32_t next_tid = 0;     // the task coming in
    int32_t prev_prio = 0, next_prio = 0;  // 0 when the stored format has no such field
};

// A sched_waking/sched_wakeup payload.
struct WakeFields {
    int32_t pid = 0;          // the woken task
    int32_t prio = 0;         // 0 when the stored format has no such field
    int32_t target_cpu = -1;  // the CPU it will run on; -1 when the format has no target_cpu
};

class SchedTracepoints {
public:
    // Fails when the recording has no sched:sched_switch, or has it without a stored format
    // (recorded by a kiln before formats were stored); view names the view for the message.
    static Result<SchedTracepoints> find(const format::RecordingHeader& header, const std::string& view);
    // Whether the recording has a sched:sched_switch event at all.
    static bool recorded(const format::RecordingHeader& header);

    int switch_event() const { return switch_event_; }
    int wake_event() const { return wake_event_; }  // -1 when no wakeup event was recorded
    // Whether wake_event() is sched:sched_waking (else sched:sched_wakeup).
    bool wake_is_waking() const { return wake_is_waking_; }
    std::optional<SwitchFields> parse_switch(std::span<const uint8_t> raw) const;
    // The woken task of a sched_waking/sched_wakeup payload.
    std::optional<int32_t> parse_wakee(std::span<const uint8_t> raw) const;
    std::optional<WakeFields> parse_wake(std::span<const uint8_t> raw) const;

private:
    int switch_event_ = -1, wake_event_ = -1;
    bool wake_is_waking_ = false;
    format::TracepointField prev_pid_, prev_state_, next_pid_, wakee_;
    // Fields some exports read when the stored format has them (integers of 1 to 8 bytes).
    std::optional<format::TracepointField> prev_prio_, next_prio_, wake_prio_, target_cpu_;
};

}  // namespace kiln::analyzer
