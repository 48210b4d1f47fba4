#include "formats/trace_events.h"

#include <cstring>

namespace kiln::format {

namespace {

struct KindInfo {
    TraceEventKind kind;
    const char* name;
    // The fields the decoder reads, in Layout::fields order; a leading '?' marks one that
    // older kernels lack (left unset).
    std::array<const char*, 5> fields;
};

constexpr KindInfo kKinds[] = {
    {TraceEventKind::kSchedSwitch, "sched:sched_switch", {"prev_pid", "prev_state", "next_pid", "prev_comm", "next_comm"}},
    {TraceEventKind::kSchedWaking, "sched:sched_waking", {"pid", "?target_cpu", "comm"}},
    {TraceEventKind::kSchedWakeup, "sched:sched_wakeup", {"pid", "?target_cpu", "comm"}},
    {TraceEventKind::kSchedWakeupNew, "sched:sched_wakeup_new", {"pid", "?target_cpu", "comm"}},
    {TraceEventKind::kSchedMigrate, "sched:sched_migrate_task", {"pid", "orig_cpu", "dest_cpu"}},
    {TraceEventKind::kSchedFork, "sched:sched_process_fork", {"parent_pid", "child_pid", "child_comm"}},
    {TraceEventKind::kSchedExec, "sched:sched_process_exec", {"pid", "old_pid", "filename"}},
    {TraceEventKind::kSchedExit, "sched:sched_process_exit", {"pid", "comm"}},
    {TraceEventKind::kExitGroup, "syscalls:sys_enter_exit_group", {"error_code"}},
    {TraceEventKind::kSysEnter, "raw_syscalls:sys_enter", {"id", "args"}},
    {TraceEventKind::kSysExit, "raw_syscalls:sys_exit", {"id", "ret"}},
};

const KindInfo* info_of(TraceEventKind kind) {
    for (const auto& k : kKinds)
        if (k.kind == kind) return &k;
    return nullptr;
}

std::optional<int64_t> integer(const TracepointField& f, std::span<const uint8_t> raw) {
    if (f.size == 0) return std::nullopt;
    return TracepointFormat::integer(f, raw);
}

std::string_view text(const TracepointField& f, std::span<const uint8_t> raw) {
    if (f.size == 0) return {};
    return TracepointFormat::string(f, raw).value_or(std::string_view());
}

}  // namespace

TraceEventKind trace_event_kind(std::string_view event_name) {
    for (const auto& k : kKinds)
        if (event_name == k.name) return k.kind;
    return TraceEventKind::kOther;
}

std::string_view trace_event_name(TraceEventKind kind) {
    const KindInfo* k = info_of(kind);
    return k ? k->name : "";
}

Result<TraceEventDecoder> TraceEventDecoder::create(const RecordingHeader& header) {
    TraceEventDecoder d;
    d.layouts_.resize(header.events.size());
    for (size_t e = 0; e < header.events.size(); ++e) {
        const auto& desc = header.events[e];
        const TraceEventKind kind = trace_event_kind(desc.name);
        if (kind == TraceEventKind::kOther) continue;
        if (desc.tracepoint_format.empty())
            return make_error(desc.name + " was recorded without its tracepoint format (by a kiln older than format "
                              "1.1); record it again");
        auto format = parse_tracepoint_format(desc.tracepoint_format);
        if (!format) return make_error(desc.name + ": " + format.error().message);
        Layout& l = d.layouts_[e];
        const KindInfo* info = info_of(kind);
        for (size_t i = 0; i < info->fields.size() && info->fields[i]; ++i) {
            std::string_view want = info->fields[i];
            const bool optional = want.front() == '?';
            if (optional) want.remove_prefix(1);
            const TracepointField* f = format->field(want);
            if (!f) {
                if (optional) continue;
                return make_error("the stored format of " + desc.name + " has no field '" + std::string(want) + "'");
            }
            const bool is_text = want.ends_with("comm") || want == "filename";
            const bool is_args = want == "args";
            if (!is_text && !is_args && f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8)
                return make_error("the field '" + std::string(want) + "' of " + desc.name + " has size " +
                                  std::to_string(f->size) + "; expected an integer");
            if (is_args && f->size < 6 * 8)
                return make_error("the field 'args' of " + desc.name + " holds " + std::to_string(f->size) +
                                  " bytes; expected six 8-byte arguments");
            l.fields[i] = *f;
        }
        l.kind = kind;
    }
    return d;
}

int TraceEventDecoder::event_of(TraceEventKind kind) const {
    for (size_t e = 0; e < layouts_.size(); ++e)
        if (layouts_[e].kind == kind) return static_cast<int>(e);
    return -1;
}

const TraceEventDecoder::Layout* TraceEventDecoder::layout(int event, TraceEventKind kind) const {
    if (event < 0 || static_cast<size_t>(event) >= layouts_.size()) return nullptr;
    const Layout& l = layouts_[static_cast<size_t>(event)];
    return l.kind == kind ? &l : nullptr;
}

std::optional<SchedSwitch> TraceEventDecoder::sched_switch(int event, std::span<const uint8_t> raw) const {
    const Layout* l = layout(event, TraceEventKind::kSchedSwitch);
    if (!l) return std::nullopt;
    auto prev = integer(l->fields[0], raw), state = integer(l->fields[1], raw), next = integer(l->fields[2], raw);
    if (!prev || !state || !next) return std::nullopt;
    return SchedSwitch{static_cast<int32_t>(*prev), *state, static_cast<int32_t>(*next), text(l->fields[3], raw),
                       text(l->fields[4], raw)};
}

std::optional<SchedWake> TraceEventDecoder::sched_wake(int event, std::span<const uint8_t> raw) const {
    const TraceEventKind k = kind(event);
    if (k != TraceEventKind::kSchedWaking && k != TraceEventKind::kSchedWakeup && k != TraceEventKind::kSchedWakeupNew)
        return std::nullopt;
    const Layout& l = layouts_[static_cast<size_t>(event)];
    auto tid = integer(l.fields[0], raw);
    if (!tid) return std::nullopt;
    return SchedWake{static_cast<int32_t>(*tid), static_cast<int32_t>(integer(l.fields[1], raw).value_or(-1)),
                     text(l.fields[2], raw)};
}

std::optional<SchedMigrate> TraceEventDecoder::sched_migrate(int event, std::span<const uint8_t> raw) const {
    const Layout* l = layout(event, TraceEventKind::kSchedMigrate);
    if (!l) return std::nullopt;
    auto tid = integer(l->fields[0], raw), from = integer(l->fields[1], raw), to = integer(l->fields[2], raw);
    if (!tid || !from || !to) return std::nullopt;
    return SchedMigrate{static_cast<int32_t>(*tid), static_cast<int32_t>(*from), static_cast<int32_t>(*to)};
}

std::optional<SchedFork> TraceEventDecoder::sched_fork(int event, std::span<const uint8_t> raw) const {
    const Layout* l = layout(event, TraceEventKind::kSchedFork);
    if (!l) return std::nullopt;
    auto parent = integer(l->fields[0], raw), child = integer(l->fields[1], raw);
    if (!parent || !child) return std::nullopt;
    return SchedFork{static_cast<int32_t>(*parent), static_cast<int32_t>(*child), text(l->fields[2], raw)};
}

std::optional<SchedExec> TraceEventDecoder::sched_exec(int event, std::span<const uint8_t> raw) const {
    const Layout* l = layout(event, TraceEventKind::kSchedExec);
    if (!l) return std::nullopt;
    auto tid = integer(l->fields[0], raw), old_tid = integer(l->fields[1], raw);
    if (!tid || !old_tid) return std::nullopt;
    return SchedExec{static_cast<int32_t>(*tid), static_cast<int32_t>(*old_tid), text(l->fields[2], raw)};
}

std::optional<SchedExit> TraceEventDecoder::sched_exit(int event, std::span<const uint8_t> raw) const {
    const Layout* l = layout(event, TraceEventKind::kSchedExit);
    if (!l) return std::nullopt;
    auto tid = integer(l->fields[0], raw);
    if (!tid) return std::nullopt;
    return SchedExit{static_cast<int32_t>(*tid), text(l->fields[1], raw)};
}

std::optional<int64_t> TraceEventDecoder::exit_status(int event, std::span<const uint8_t> raw) const {
    const Layout* l = layout(event, TraceEventKind::kExitGroup);
    if (!l) return std::nullopt;
    auto code = integer(l->fields[0], raw);
    if (!code) return std::nullopt;
    return static_cast<int32_t>(*code) & 0xff;  // what the parent's wait() sees: the low byte
}

std::optional<SysEnter> TraceEventDecoder::sys_enter(int event, std::span<const uint8_t> raw) const {
    const Layout* l = layout(event, TraceEventKind::kSysEnter);
    if (!l) return std::nullopt;
    auto nr = integer(l->fields[0], raw);
    const TracepointField& args = l->fields[1];
    if (!nr || static_cast<uint64_t>(args.offset) + 6 * 8 > raw.size()) return std::nullopt;
    SysEnter out;
    out.nr = *nr;
    std::memcpy(out.args.data(), raw.data() + args.offset, 6 * 8);
    return out;
}

std::optional<SysExit> TraceEventDecoder::sys_exit(int event, std::span<const uint8_t> raw) const {
    const Layout* l = layout(event, TraceEventKind::kSysExit);
    if (!l) return std::nullopt;
    auto nr = integer(l->fields[0], raw), ret = integer(l->fields[1], raw);
    if (!nr || !ret) return std::nullopt;
    return SysExit{*nr, *ret};
}

}  // namespace kiln::format
