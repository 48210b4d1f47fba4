// Typed decoding of the scheduler and syscall tracepoints (`kiln record --sched --syscalls`,
// and --off-cpu's switch and waking): which event of a recording is which, and their RAW
// payloads as structs. Fields are located through the tracepoint formats stored in the
// recording header (the layout the recording kernel had), never through offsets assumed here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formats/recording_header.h"
#include "formats/result.h"
#include "formats/tracepoint_format.h"

namespace kiln::format {

enum class TraceEventKind : uint8_t {
    kOther,           // not a tracepoint decoded here
    kSchedSwitch,     // sched:sched_switch
    kSchedWaking,     // sched:sched_waking (in the waker's context)
    kSchedWakeup,     // sched:sched_wakeup
    kSchedWakeupNew,  // sched:sched_wakeup_new (a new task's first wakeup)
    kSchedMigrate,    // sched:sched_migrate_task
    kSchedFork,       // sched:sched_process_fork
    kSchedExec,       // sched:sched_process_exec
    kSchedExit,       // sched:sched_process_exit
    kExitGroup,       // syscalls:sys_enter_exit_group (the exit status)
    kSysEnter,        // raw_syscalls:sys_enter
    kSysExit,         // raw_syscalls:sys_exit
};

// The kind of a recorded event by its name ("sched:sched_switch"); kOther for any other.
TraceEventKind trace_event_kind(std::string_view event_name);
// The name of a kind ("sched:sched_switch"); "" for kOther.
std::string_view trace_event_name(TraceEventKind kind);

// Strings point into the RAW payload they were decoded from.
struct SchedSwitch {
    int32_t prev_tid = 0;
    int64_t prev_state = 0;  // TASK_REPORT bits; 0x100 and above: preempted ("R+")
    int32_t next_tid = 0;
    std::string_view prev_comm, next_comm;
};
struct SchedWake {  // waking, wakeup, wakeup_new
    int32_t tid = 0;
    int32_t target_cpu = -1;
    std::string_view comm;
};
struct SchedMigrate {
    int32_t tid = 0;
    int32_t orig_cpu = -1, dest_cpu = -1;
};
struct SchedFork {
    int32_t parent_tid = 0, child_tid = 0;
    std::string_view child_comm;
};
struct SchedExec {
    int32_t tid = 0, old_tid = 0;
    std::string_view filename;
};
struct SchedExit {
    int32_t tid = 0;
    std::string_view comm;
};
struct SysEnter {
    int64_t nr = 0;
    std::array<uint64_t, 6> args{};
};
struct SysExit {
    int64_t nr = 0;
    int64_t ret = 0;  // -errno on failure
};

class TraceEventDecoder {
public:
    // Locates the fields of every event of the header that is one of the kinds above. Fails,
    // naming the event, when one was recorded without a stored format or its format lacks a
    // field this decoder needs.
    static Result<TraceEventDecoder> create(const RecordingHeader& header);

    TraceEventKind kind(int event) const {
        return event >= 0 && static_cast<size_t>(event) < layouts_.size() ? layouts_[static_cast<size_t>(event)].kind
                                                                          : TraceEventKind::kOther;
    }
    // The first event of this kind, or -1 when the recording has none.
    int event_of(TraceEventKind kind) const;
    bool has(TraceEventKind kind) const { return event_of(kind) >= 0; }

    // Each returns nullopt when the event is not of that kind or the payload is too short.
    std::optional<SchedSwitch> sched_switch(int event, std::span<const uint8_t> raw) const;
    std::optional<SchedWake> sched_wake(int event, std::span<const uint8_t> raw) const;
    std::optional<SchedMigrate> sched_migrate(int event, std::span<const uint8_t> raw) const;
    std::optional<SchedFork> sched_fork(int event, std::span<const uint8_t> raw) const;
    std::optional<SchedExec> sched_exec(int event, std::span<const uint8_t> raw) const;
    std::optional<SchedExit> sched_exit(int event, std::span<const uint8_t> raw) const;
    std::optional<int64_t> exit_status(int event, std::span<const uint8_t> raw) const;  // exit_group's
    std::optional<SysEnter> sys_enter(int event, std::span<const uint8_t> raw) const;
    std::optional<SysExit> sys_exit(int event, std::span<const uint8_t> raw) const;

private:
    static constexpr size_t kMaxFields = 5;
    struct Layout {
        TraceEventKind kind = TraceEventKind::kOther;
        std::array<TracepointField, kMaxFields> fields{};  // in the order the kind's table names them
    };
    const Layout* layout(int event, TraceEventKind kind) const;
    std::vector<Layout> layouts_;  // per header event
};

}  // namespace kiln::format
