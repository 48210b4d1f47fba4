#include "analyzer/views/sched_tracepoints.h"

#include "formats/perf_offcpu.h"

namespace kiln::analyzer {

namespace {

constexpr const char* kSwitch = "sched:sched_switch";

int event_named(const format::RecordingHeader& header, const std::string& name) {
    for (size_t i = 0; i < header.events.size(); ++i)
        if (header.events[i].name == name) return static_cast<int>(i);
    return -1;
}

Result<format::TracepointField> field(const format::TracepointFormat& f, const std::string& event,
                                      const std::string& name) {
    const format::TracepointField* found = f.field(name);
    if (!found) return make_error("the stored format of " + event + " has no field '" + name + "'");
    if (found->size != 4 && found->size != 8)
        return make_error("the field '" + name + "' of " + event + " has size " + std::to_string(found->size) +
                          "; expected an integer of 4 or 8 bytes");
    return *found;
}

Result<format::TracepointFormat> stored_format(const format::RecordingHeader& header, int event,
                                               const std::string& view) {
    const auto& desc = header.events[static_cast<size_t>(event)];
    if (desc.tracepoint_format.empty())
        return make_error("the " + view + " view needs the layout of " + desc.name +
                          ", which this recording does not hold (it was made by an older kiln); record it again with "
                          "`kiln record --off-cpu`");
    auto f = format::parse_tracepoint_format(desc.tracepoint_format);
    if (!f) return make_error(desc.name + ": " + f.error().message);
    return f;
}

// An optional integer field: present only when the format has it with an integer's size.
std::optional<format::TracepointField> optional_field(const format::TracepointFormat& f, const std::string& name) {
    const format::TracepointField* found = f.field(name);
    if (!found || found->size == 0 || found->size > 8 || (found->size & (found->size - 1)) != 0) return std::nullopt;
    return *found;
}

int32_t optional_integer(const std::optional<format::TracepointField>& f, std::span<const uint8_t> raw,
                         int32_t fallback) {
    if (!f) return fallback;
    auto v = format::TracepointFormat::integer(*f, raw);
    return v ? static_cast<int32_t>(*v) : fallback;
}

}  // namespace

bool SchedTracepoints::recorded(const format::RecordingHeader& header) { return event_named(header, kSwitch) >= 0; }

Result<SchedTracepoints> SchedTracepoints::find(const format::RecordingHeader& header, const std::string& view) {
    SchedTracepoints t;
    t.switch_event_ = event_named(header, kSwitch);
    if (t.switch_event_ < 0) {
        std::string names;
        for (const auto& e : header.events) names += (names.empty() ? "" : ", ") + e.name;
        // perf record --off-cpu's sums have no switch or wakeup times to pair into blocks.
        const bool perf_offcpu =
            format::find_perf_tool_event(header, format::PerfToolEvent::kOffCpuTime) >= 0 ||
            format::find_perf_tool_event(header, format::PerfToolEvent::kOffCpuTimeEmbedded) >= 0;
        return make_error("the " + view + " view needs sched:sched_switch events (record with `kiln record --off-cpu`); "
                          "this recording has: " + (names.empty() ? "no events" : names) +
                          (perf_offcpu ? "; perf record --off-cpu's offcpu-time holds only each stack's total "
                                         "off-CPU time, without the switch and wakeup times this view needs "
                                         "(`--view offcpu` reads it)"
                                       : ""));
    }
    auto sw = stored_format(header, t.switch_event_, view);
    if (!sw) return sw.error();
    for (auto [dst, name] : {std::pair{&t.prev_pid_, "prev_pid"}, {&t.prev_state_, "prev_state"}, {&t.next_pid_, "next_pid"}}) {
        auto f = field(*sw, kSwitch, name);
        if (!f) return f.error();
        *dst = *f;
    }
    t.prev_prio_ = optional_field(*sw, "prev_prio");
    t.next_prio_ = optional_field(*sw, "next_prio");
    for (const char* wake : {"sched:sched_waking", "sched:sched_wakeup"}) {
        const int e = event_named(header, wake);
        if (e < 0) continue;
        auto wf = stored_format(header, e, view);
        if (!wf) return wf.error();
        auto pid = field(*wf, wake, "pid");
        if (!pid) return pid.error();
        t.wake_event_ = e;
        t.wake_is_waking_ = std::string(wake) == "sched:sched_waking";
        t.wakee_ = *pid;
        t.wake_prio_ = optional_field(*wf, "prio");
        t.target_cpu_ = optional_field(*wf, "target_cpu");
        break;
    }
    return t;
}

std::optional<SwitchFields> SchedTracepoints::parse_switch(std::span<const uint8_t> raw) const {
    auto prev = format::TracepointFormat::integer(prev_pid_, raw);
    auto state = format::TracepointFormat::integer(prev_state_, raw);
    auto next = format::TracepointFormat::integer(next_pid_, raw);
    if (!prev || !state || !next) return std::nullopt;
    return SwitchFields{static_cast<int32_t>(*prev), *state, static_cast<int32_t>(*next),
                        optional_integer(prev_prio_, raw, 0), optional_integer(next_prio_, raw, 0)};
}

std::optional<int32_t> SchedTracepoints::parse_wakee(std::span<const uint8_t> raw) const {
    auto pid = format::TracepointFormat::integer(wakee_, raw);
    if (!pid) return std::nullopt;
    return static_cast<int32_t>(*pid);
}

std::optional<WakeFields> SchedTracepoints::parse_wake(std::span<const uint8_t> raw) const {
    auto pid = parse_wakee(raw);
    if (!pid) return std::nullopt;
    return WakeFields{*pid, optional_integer(wake_prio_, raw, 0), optional_integer(target_cpu_, raw, -1)};
}

}  // namespace kiln::analyzer
