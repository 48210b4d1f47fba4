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
    {"kiln_sampled_alloc", AllocFn::kSampledAlloc}, {"kiln_sampled_free", AllocFn::kSampledFree},
    {"kiln_sampled_batch", AllocFn::kSampledBatch},
};

bool is_alloc_function(std::string_view name) {
    for (const auto& k : kFunctions)
        if (k.name == name) return true;
    return false;
}

std::optional<AllocCalls::Probe> known_probe(std::string_view symbol, bool ret) {
    for (const auto& k : kFunctions)
        if (k.name == symbol) {
            if (ret && (k.fn == AllocFn::kFree || k.fn == AllocFn::kSampledAlloc || k.fn == AllocFn::kSampledFree ||
                        k.fn == AllocFn::kSampledBatch))
                return std::nullopt;  // nothing to learn there
            AllocCalls::Probe p;
            p.fn = k.fn;
            p.is_return = ret;
            return p;
        }
    return std::nullopt;
}

// kiln's "uprobe:PATH:SYMBOL" events, and perf probe's tracepoints.
std::optional<AllocCalls::Probe> probe_of(const format::EventDescription& event) {
    const std::string_view name = event.name;
    if (!format::is_probe_name(name)) {
        auto perf = format::perf_probe_event(event, is_alloc_function);
        if (!perf) return std::nullopt;
        auto p = known_probe(perf->function, perf->is_return);
        if (p) p->fetched = std::move(*perf);
        return p;
    }
    const bool ret = format::is_uretprobe_name(name);
    if (!ret && !format::is_entry_uprobe_name(name)) return std::nullopt;  // SYMBOL+OFFSET: not an entry
    return known_probe(format::probe_target(name), ret);
}

// Which fetched value of a perf probe stands for register reg; -1 for none (the stack pointer).
int fetched_index(int reg, bool is_return) {
    if (is_return) return reg == UserReg::kRet ? 0 : -1;
    if (reg == UserReg::kArg0) return 0;
    if (reg == UserReg::kArg1) return 1;
    if (reg == UserReg::kArg2) return 2;
    return -1;
}

// Register reg of a probe's sample: a perf probe's fetched value when it has one, else the
// sampled user register.
std::optional<uint64_t> value_of(const AllocCalls::Probe& p, const format::ParsedSample& s, int reg) {
    if (p.fetched && !p.fetched->values.empty()) {
        const int i = fetched_index(reg, p.is_return);
        if (i >= 0 && static_cast<size_t>(i) < p.fetched->values.size()) return p.fetched->value(static_cast<size_t>(i), s.raw);
    }
    return user_register(s, p.regs_mask, reg);
}

bool has_value(const AllocCalls::Probe& p, int reg) {
    const int i = fetched_index(reg, p.is_return);
    if (p.fetched && i >= 0 && static_cast<size_t>(i) < p.fetched->values.size()) return true;
    return reg >= 0 && (p.regs_mask & (1ull << reg));
}

// What perf probe should fetch for fn's probe, as its command line says it.
std::string perf_probe_hint(const AllocCalls::Probe& p, std::string_view function) {
    if (p.is_return) return std::string("'").append(function) + "%return $retval:u64'";
    switch (p.fn) {
        case AllocFn::kMalloc:
        case AllocFn::kFree: return std::string("'").append(function) + " %di:u64'";
        case AllocFn::kCalloc:
        case AllocFn::kRealloc:
        case AllocFn::kAlignedAlloc:
        case AllocFn::kMemalign: return std::string("'").append(function) + " %di:u64 %si:u64'";
        case AllocFn::kPosixMemalign:
        case AllocFn::kSampledAlloc: return std::string("'").append(function) + " %di:u64 %si:u64 %dx:u64'";
        case AllocFn::kSampledFree: return std::string("'").append(function) + " %di:u64'";
        case AllocFn::kSampledBatch: return "";
    }
    return "";
}

// The registers a probe of p.fn reads.
std::vector<int> needed_registers(const AllocCalls::Probe& p) {
    if (p.is_return) return p.fn == AllocFn::kPosixMemalign ? std::vector<int>{UserReg::kRet, UserReg::kSp}
                                                             : std::vector<int>{UserReg::kRet};
    switch (p.fn) {
        case AllocFn::kMalloc:
        case AllocFn::kFree:
        case AllocFn::kSampledFree: return {UserReg::kArg0};
        case AllocFn::kSampledAlloc: return {UserReg::kArg0, UserReg::kArg1, UserReg::kArg2};
        case AllocFn::kSampledBatch: return {};  // all in the copied stack
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
        if (probe_of(e)) return true;
    return false;
}

Result<AllocCalls> AllocCalls::find(const format::RecordingHeader& header, const EventTable& events,
                                    const std::string& view) {
    AllocCalls c;
    c.probes_.resize(header.events.size());
    bool any = false;
    for (size_t i = 0; i < header.events.size() && i < events.size(); ++i) {
        auto p = probe_of(header.events[i]);
        if (!p) continue;
        const perf_event_attr& a = events.attr(static_cast<int>(i));
        p->regs_mask = (a.sample_type & PERF_SAMPLE_REGS_USER) ? a.sample_regs_user : 0;
        p->mode = stack_mode(a, header.events[i].name);
        for (int r : needed_registers(*p)) {
            if (r >= 0 && has_value(*p, r)) continue;
            if (p->fetched)
                return make_error("the " + view + " view reads allocator arguments from what a probe fetched, and " +
                                  header.events[i].name + " fetched too little: probe it with `perf probe -x LIBC " +
                                  perf_probe_hint(*p, p->fetched->function) + "`" +
                                  (p->fn == AllocFn::kPosixMemalign && p->is_return
                                       ? " and record with --call-graph dwarf (the result is stored on the stack)"
                                       : ""));
            return make_error("the " + view + " view reads allocator arguments from the user registers, which " +
                              header.events[i].name +
                              " did not sample (recorded by an older kiln?); record again with `kiln record --mem=malloc`");
        }
        if (p->fetched && !p->is_return && p->mode == StackMode::kFramePointer)
            c.missing_caller_note_ =
                "perf probe's entry events recorded with frame-pointer stacks (-g) lack each call's caller (at a "
                "function's first instruction its return address is on the stack, in no frame yet): the stacks "
                "end at the caller's caller; record with --call-graph dwarf to keep it";
        if (p->fn == AllocFn::kSampledAlloc || p->fn == AllocFn::kSampledFree || p->fn == AllocFn::kSampledBatch)
            c.sampled_ = true;
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
    const auto a0 = value_of(p, s, UserReg::kArg0);
    const auto a1 = value_of(p, s, UserReg::kArg1);
    const auto a2 = value_of(p, s, UserReg::kArg2);
    AllocArgs out;
    switch (p.fn) {
        case AllocFn::kMalloc:
            if (!a0) return std::nullopt;
            out.size = *a0;
            break;
        case AllocFn::kFree:
        case AllocFn::kSampledFree:
            if (!a0) return std::nullopt;
            out.ptr = *a0;
            break;
        case AllocFn::kSampledBatch: break;
        case AllocFn::kSampledAlloc:
            if (!a0 || !a1 || !a2) return std::nullopt;
            out.ptr = *a0;
            out.size = *a1;
            out.mean = *a2;
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
    return value_of(p, s, UserReg::kRet);
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
