#include "analyzer/views/alloc_calls.h"

#include <cstring>
#include <string_view>

#include "analyzer/unwind/user_registers.h"
#include "formats/probe_names.h"

namespace kiln::analyzer {

namespace {

struct Known {
    std::string_view name;
    AllocFn fn;
};
constexpr Known kFunctions[] = {
    {"malloc", AllocFn::kMalloc},          {"calloc", AllocFn::kCalloc},
    {"realloc", AllocFn::kRealloc},        {"free", AllocFn::kFree},
    {"posix_memalign", AllocFn::kPosixMemalign}, {"aligned_alloc", AllocFn::kAlignedAlloc},
    {"memalign", AllocFn::kMemalign},
};

std::optional<AllocCalls::Probe> probe_of(std::string_view name) {
    if (!format::is_probe_name(name)) return std::nullopt;
    const bool ret = format::is_uretprobe_name(name);
    if (!ret && !format::is_entry_uprobe_name(name)) return std::nullopt;  // SYMBOL+OFFSET: not an entry
    const std::string_view symbol = format::probe_target(name);
    for (const auto& k : kFunctions)
        if (k.name == symbol) {
            if (ret && k.fn == AllocFn::kFree) return std::nullopt;  // nothing to learn there
            AllocCalls::Probe p;
            p.fn = k.fn;
            p.is_return = ret;
            return p;
        }
    return std::nullopt;
}

// The registers a probe of p.fn reads.
std::vector<int> needed_registers(const AllocCalls::Probe& p) {
    if (p.is_return) return p.fn == AllocFn::kPosixMemalign ? std::vector<int>{UserReg::kRet, UserReg::kSp}
                                                             : std::vector<int>{UserReg::kRet};
    switch (p.fn) {
        case AllocFn::kMalloc:
        case AllocFn::kFree: return {UserReg::kArg0};
        case AllocFn::kCalloc:
        case AllocFn::kRealloc: return {UserReg::kArg0, UserReg::kArg1};
        case AllocFn::kPosixMemalign: return {UserReg::kArg0, UserReg::kArg2};
        case AllocFn::kAlignedAlloc:
        case AllocFn::kMemalign: return {UserReg::kArg1};
    }
    return {};
}

}  // namespace

bool AllocCalls::recorded(const format::RecordingHeader& header) {
    for (const auto& e : header.events)
        if (probe_of(e.name)) return true;
    return false;
}

Result<AllocCalls> AllocCalls::find(const format::RecordingHeader& header, const EventTable& events,
                                    const std::string& view) {
    AllocCalls c;
    c.probes_.resize(header.events.size());
    bool any = false;
    for (size_t i = 0; i < header.events.size() && i < events.size(); ++i) {
        auto p = probe_of(header.events[i].name);
        if (!p) continue;
        const perf_event_attr& a = events.attr(static_cast<int>(i));
        p->regs_mask = (a.sample_type & PERF_SAMPLE_REGS_USER) ? a.sample_regs_user : 0;
        p->mode = stack_mode(a, header.events[i].name);
        for (int r : needed_registers(*p))
            if (r < 0 || !(p->regs_mask & (1ull << r)))
                return make_error("the " + view + " view reads allocator arguments from the user registers, which " +
                                  header.events[i].name +
                                  " did not sample (recorded by an older kiln?); record again with `kiln record --mem=malloc`");
        c.probes_[i] = *p;
        any = true;
    }
    if (!any) {
        std::string names;
        for (const auto& e : header.events) names += (names.empty() ? "" : ", ") + e.name;
        return make_error("the " + view + " view needs allocator probes (record with `kiln record --mem` or "
                          "--mem=malloc); this recording has: " + (names.empty() ? "no events" : names));
    }
    return c;
}

const AllocCalls::Probe* AllocCalls::probe(int event) const {
    if (event < 0 || static_cast<size_t>(event) >= probes_.size() || !probes_[static_cast<size_t>(event)]) return nullptr;
    return &*probes_[static_cast<size_t>(event)];
}

std::optional<AllocArgs> AllocCalls::args(const Probe& p, const format::ParsedSample& s) {
    const auto a0 = user_register(s, p.regs_mask, UserReg::kArg0);
    const auto a1 = user_register(s, p.regs_mask, UserReg::kArg1);
    const auto a2 = user_register(s, p.regs_mask, UserReg::kArg2);
    AllocArgs out;
    switch (p.fn) {
        case AllocFn::kMalloc:
            if (!a0) return std::nullopt;
            out.size = *a0;
            break;
        case AllocFn::kFree:
            if (!a0) return std::nullopt;
            out.ptr = *a0;
            break;
        case AllocFn::kCalloc:
            if (!a0 || !a1) return std::nullopt;
            if (__builtin_mul_overflow(*a0, *a1, &out.size)) out.size = UINT64_MAX;
            break;
        case AllocFn::kRealloc:
            if (!a0 || !a1) return std::nullopt;
            out.ptr = *a0;
            out.size = *a1;
            break;
        case AllocFn::kPosixMemalign:
            if (!a0 || !a2) return std::nullopt;
            out.memptr = *a0;
            out.size = *a2;
            break;
        case AllocFn::kAlignedAlloc:
        case AllocFn::kMemalign:
            if (!a1) return std::nullopt;
            out.size = *a1;
            break;
    }
    return out;
}

std::optional<uint64_t> AllocCalls::result(const Probe& p, const format::ParsedSample& s) {
    return user_register(s, p.regs_mask, UserReg::kRet);
}

std::optional<uint64_t> AllocCalls::stored_pointer(const Probe& p, const format::ParsedSample& s, uint64_t memptr) {
    const auto sp = user_register(s, p.regs_mask, UserReg::kSp);
    if (!sp || memptr < *sp) return std::nullopt;
    const uint64_t off = memptr - *sp;
    if (off > s.stack.size() || s.stack.size() - off < 8) return std::nullopt;
    uint64_t v = 0;
    std::memcpy(&v, s.stack.data() + off, 8);
    return v;
}

}  // namespace kiln::analyzer
