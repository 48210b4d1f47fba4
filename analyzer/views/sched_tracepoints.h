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
    std::optional<SwitchFields> parse_switch(std::span<const uint8_t> raw) const;
    // The woken task of a sched_waking/sched_wakeup payload.
    std::optional<int32_t> parse_wakee(std::span<const uint8_t> raw) const;

private:
    int switch_event_ = -1, wake_event_ = -1;
    format::TracepointField prev_pid_, prev_state_, next_pid_, wakee_;
};

}  // namespace kiln::analyzer
