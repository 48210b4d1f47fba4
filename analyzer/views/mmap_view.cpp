#include "analyzer/views/mmap_view.h"

#include <array>
#include <string_view>

namespace kiln::analyzer {

namespace {

struct Syscall {
    std::string_view name;
    MmapView::Call call;
    const char* a;  // enter fields
    const char* b;
};
constexpr Syscall kSyscalls[] = {
    {"mmap", MmapView::Call::kMmap, "len", nullptr},
    {"munmap", MmapView::Call::kMunmap, "len", nullptr},
    {"mremap", MmapView::Call::kMremap, "old_len", "new_len"},
    {"brk", MmapView::Call::kBrk, "brk", nullptr},
};

// "syscalls:sys_enter_mmap" → its syscall and side.
const Syscall* syscall_of(std::string_view name, bool& exit) {
    constexpr std::string_view enter_prefix = "syscalls:sys_enter_", exit_prefix = "syscalls:sys_exit_";
    std::string_view rest;
    if (name.starts_with(enter_prefix)) {
        rest = name.substr(enter_prefix.size());
        exit = false;
    } else if (name.starts_with(exit_prefix)) {
        rest = name.substr(exit_prefix.size());
        exit = true;
    } else {
        return nullptr;
    }
    for (const auto& s : kSyscalls)
        if (s.name == rest) return &s;
    return nullptr;
}

// A syscall's return value that is an error (-4095..-1).
bool failed(int64_t ret) { return ret < 0 && ret >= -4095; }

}  // namespace

bool MmapView::applies(const format::RecordingHeader& header) {
    bool enter = false, exit = false;
    for (const auto& e : header.events) {
        bool is_exit = false;
        if (syscall_of(e.name, is_exit)) (is_exit ? exit : enter) = true;
    }
    return enter && exit;
}

Result<std::unique_ptr<MmapView>> MmapView::create(const format::RecordingHeader& header, const EventTable& events) {
    std::unique_ptr<MmapView> v(new MmapView());
    v->probes_.resize(header.events.size());
    if (!applies(header)) {
        std::string names;
        for (const auto& e : header.events) names += (names.empty() ? "" : ", ") + e.name;
        return make_error("the mmap view needs the syscalls tracepoints of mmap, munmap, mremap and brk (record with "
                          "`kiln record --mem` or --mem=mmap); this recording has: " + (names.empty() ? "no events" : names));
    }
    for (size_t i = 0; i < header.events.size() && i < events.size(); ++i) {
        const auto& desc = header.events[i];
        bool exit = false;
        const Syscall* sc = syscall_of(desc.name, exit);
        if (!sc) continue;
        if (desc.tracepoint_format.empty())
            return make_error("the mmap view needs the layout of " + desc.name +
                              ", which this recording does not hold; record it again with `kiln record --mem=mmap`");
        auto f = format::parse_tracepoint_format(desc.tracepoint_format);
        if (!f) return make_error(desc.name + ": " + f.error().message);
        Probe p{sc->call, exit, {}, {}};
        const char* fields[2] = {exit ? "ret" : sc->a, exit ? nullptr : sc->b};
        format::TracepointField* dst[2] = {&p.a, &p.b};
        for (int k = 0; k < 2; ++k) {
            if (!fields[k]) continue;
            const format::TracepointField* found = f->field(fields[k]);
            if (!found) return make_error("the stored format of " + desc.name + " has no field '" + fields[k] + "'");
            *dst[k] = *found;
        }
        const perf_event_attr& a = events.attr(static_cast<int>(i));
        p.regs_mask = a.sample_regs_user;
        p.mode = stack_mode(a, desc.name);
        v->probes_[i] = p;
    }
    return v;
}

bool MmapView::wants(int event) const {
    return event >= 0 && static_cast<size_t>(event) < probes_.size() && probes_[static_cast<size_t>(event)];
}

void MmapView::sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) {
    handle(s, event, &labels, stacks);
}

// brk of threads the filters leave out still moves their process's break.
void MmapView::filtered_sample(const format::ParsedSample& s, int event, const SampleLabels&, StackBuilder& stacks) {
    handle(s, event, nullptr, stacks);
}

void MmapView::handle(const format::ParsedSample& s, int event, const SampleLabels* labels, StackBuilder& stacks) {
    if (!wants(event)) return;
    const Probe& p = *probes_[static_cast<size_t>(event)];
    const auto tid = static_cast<int32_t>(s.tid);
    if (p.exit) {
        const auto ret = format::TracepointFormat::integer(p.a, s.raw);
        if (ret) exited(s, p, *ret);
        return;
    }
    Pending& pe = pending_[tid];
    pe.call = p.call;
    pe.a = static_cast<uint64_t>(format::TracepointFormat::integer(p.a, s.raw).value_or(0));
    pe.b = p.b.size ? static_cast<uint64_t>(format::TracepointFormat::integer(p.b, s.raw).value_or(0)) : 0;
    pe.shown = labels != nullptr;
    pe.frames.clear();
    if (labels) {
        stacks.frames(s, p.regs_mask, p.mode, pe.frames);
        pe.labels = *labels;
        pe.unwind = stacks.last_mark();
    }
}

void MmapView::exited(const format::ParsedSample& s, const Probe& p, int64_t ret) {
    auto it = pending_.find(static_cast<int32_t>(s.tid));
    if (it == pending_.end() || it->second.call != p.call) {
        ++unpaired_exits_;
        if (it != pending_.end()) pending_.erase(it);
        return;
    }
    const Pending pe = std::move(it->second);
    pending_.erase(it);
    uint64_t mapped = 0, unmapped = 0;
    bool ok = !failed(ret);
    switch (p.call) {
        case Call::kMmap:
            if (ok) mapped = pe.a;
            break;
        case Call::kMunmap:
            if (ok) unmapped = pe.a;
            break;
        case Call::kMremap:
            if (ok) (pe.b >= pe.a ? mapped : unmapped) = pe.b >= pe.a ? pe.b - pe.a : pe.a - pe.b;
            break;
        case Call::kBrk: {
            // brk returns the break after the call (the old one when it failed or only asked).
            const auto now = static_cast<uint64_t>(ret);
            const auto pid = static_cast<int32_t>(s.pid);
            auto old = brk_.find(pid);
            if (old == brk_.end()) {
                if (pe.a != 0) ++unknown_brk_;  // a move from a break never seen: its size is unknown
            } else if (now > old->second) {
                mapped = now - old->second;
            } else {
                unmapped = old->second - now;
            }
            ok = pe.a != 0 && now == pe.a;  // a call that moved the break as asked
            brk_[pid] = now;
            break;
        }
    }
    if (!pe.shown || (!ok && mapped == 0 && unmapped == 0)) return;
    const std::array<int64_t, 3> v{static_cast<int64_t>(mapped), static_cast<int64_t>(unmapped), ok ? 1 : 0};
    builder_.add(pe.frames, pe.labels, v, pe.unwind);
}

std::vector<std::string> MmapView::warnings() const {
    std::vector<std::string> out;
    if (unpaired_exits_)
        out.push_back("mmap: " + std::to_string(unpaired_exits_) +
                      " syscall exits without their entry (records lost, or the call began before recording); not counted");
    if (unknown_brk_)
        out.push_back("mmap: " + std::to_string(unknown_brk_) +
                      " brk calls moved a break not seen before (the process set it before recording started); "
                      "their growth is not counted");
    return out;
}

}  // namespace kiln::analyzer
