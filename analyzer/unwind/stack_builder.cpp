#include "analyzer/unwind/stack_builder.h"

#include <linux/perf_event.h>

#include "analyzer/unwind/fp_callchain.h"
#include "analyzer/unwind/user_registers.h"
#include "formats/probe_names.h"

namespace kiln::analyzer {

StackBuilder::StackBuilder(const ProcessModel& model, BinaryLocator& locator, bool libunwind_only)
    : model_(model), dwarf_(model, locator, libunwind_only) {}

void StackBuilder::note_dsos(const std::vector<RawFrame>& frames, size_t from) {
    if (!on_new_dso_) return;
    for (size_t i = from; i < frames.size(); ++i) {
        const uint32_t dso = frames[i].dso;
        if (dso >= model_.dsos().size()) continue;  // kernel, unmapped, [truncated]
        if (dso >= dso_seen_.size()) dso_seen_.resize(model_.dsos().size(), false);
        if (dso_seen_[dso]) continue;
        dso_seen_[dso] = true;
        on_new_dso_(dso);
    }
}

StackMode stack_mode(const perf_event_attr& a, std::string_view event_name) {
    const bool stack = (a.sample_type & PERF_SAMPLE_STACK_USER) != 0;
    // -g dwarf copies the stack and leaves the user callchain out; a small copy beside the
    // user callchain is the return address of an entry probe (SPEC.md).
    if (stack && a.exclude_callchain_user) return StackMode::kDwarf;
    if (stack && format::is_entry_uprobe_name(event_name)) return StackMode::kFramePointerAtEntry;
    if (stack && (a.sample_type & PERF_SAMPLE_CALLCHAIN) && (a.sample_type & PERF_SAMPLE_REGS_USER))
        return StackMode::kFramePointerStackTop;
    return StackMode::kFramePointer;
}

void StackBuilder::address_frames(int32_t pid, std::span<const uint64_t> leaf_first, std::vector<RawFrame>& out) {
    const size_t first = out.size();
    for (size_t i = 0; i < leaf_first.size(); ++i) {
        const uint64_t a = leaf_first[i];
        if (a == 0 || is_kernel_address(a)) break;
        out.push_back(user_frame(model_, pid, i == 0 ? a : a - 1));
    }
    note_dsos(out, first);
}

void StackBuilder::frames(const format::ParsedSample& s, uint64_t regs_mask, StackMode mode, std::vector<RawFrame>& out) {
    if (memo_.same(s, regs_mask, mode)) {
        out.insert(out.end(), memo_.frames.begin(), memo_.frames.end());
        last_mark_ = memo_.mark;
        return;
    }
    const size_t first = out.size();
    unwind(s, regs_mask, mode, out);
    memo_.remember(s, regs_mask, mode, last_mark_, std::span<const RawFrame>(out).subspan(first));
    if (observer_) observer_({s, std::span<const RawFrame>(out).subspan(first), last_mark_, model_});
}

// The kernel's frame-pointer walk starts from the frame pointer the interrupted function was
// given: where that function has not pushed its own (gcc -O2 leaves leaf functions frameless even
// with -fno-omit-frame-pointer; any function in its prologue or epilogue), the walk's first
// return address is its caller's, and the caller itself is missing. Its CFI at the sampled
// address says whether the return address is on the stack at a fixed offset from sp; read from
// the copied stack top, it is the missing caller unless the walk already has it.
void StackBuilder::insert_skipped_caller(const format::ParsedSample& s, uint64_t regs_mask, size_t first,
                                         std::vector<RawFrame>& out) {
    const auto ip = user_register(s, regs_mask, UserReg::kIp);
    if (!ip || *ip == 0 || is_kernel_address(*ip)) return;
    size_t leaf = first;
    while (leaf < out.size() && out[leaf].dso == kKernelDso) ++leaf;
    const auto pid = static_cast<int32_t>(s.pid);
    if (leaf >= out.size() || !(out[leaf] == user_frame(model_, pid, *ip))) return;
    const auto ra = dwarf_.return_address_at_sp(pid, *ip, s.stack);
    if (!ra || *ra == 0 || is_kernel_address(*ra)) return;
    const RawFrame caller = user_frame(model_, pid, *ra - 1);
    if (leaf + 1 < out.size() && out[leaf + 1] == caller) return;
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(leaf) + 1, caller);
    ++health_.leaf_callers_added;
}

void StackBuilder::unwind(const format::ParsedSample& s, uint64_t regs_mask, StackMode mode, std::vector<RawFrame>& out) {
    last_mark_ = kUnwindComplete;
    const size_t first = out.size();
    if (mode != StackMode::kDwarf) {
        callchain_frames(s, regs_mask, model_, out);
        if (mode == StackMode::kFramePointerAtEntry) insert_entry_caller(s, model_, first, out);
        if (mode == StackMode::kFramePointerStackTop) insert_skipped_caller(s, regs_mask, first, out);
        note_dsos(out, first);
        return;
    }
    // Kernel frames first (leaf first), from the kernel's own callchain.
    bool kernel = false;
    for (size_t i = 0; i < s.callchain_size(); ++i) {
        const uint64_t ip = s.callchain_at(i);
        if (ip >= static_cast<uint64_t>(PERF_CONTEXT_MAX)) {
            kernel = ip == static_cast<uint64_t>(PERF_CONTEXT_KERNEL);
            continue;
        }
        if (kernel || is_kernel_address(ip)) out.push_back({kKernelDso, out.size() == first ? ip : ip - 1});
    }
    if (s.callchain_size() == 0 && is_kernel_address(s.ip)) out.push_back({kKernelDso, s.ip});
    if (s.regs_abi == 0) return;  // a kernel thread: no user stack
    ++health_.samples;
    health_.stack_bytes = std::max<uint32_t>(health_.stack_bytes, static_cast<uint32_t>(s.stack.size()));
    UnwindResult r = dwarf_.unwind(s, regs_mask, out);
    note_dsos(out, first);
    if (r.used_frame_pointer) {
        ++health_.by_dso[r.no_cfi_in].frame_pointer_fallback;
        last_mark_ = kUnwindFramePointer;
    }
    auto& h = health_.by_dso[r.stopped_in];
    switch (r.outcome) {
        case UnwindOutcome::Complete: ++h.complete; break;
        case UnwindOutcome::Truncated:
            ++h.truncated;
            ++h.reasons[r.failure];
            last_mark_ = kUnwindTruncated;
            break;
        case UnwindOutcome::Failed:
            ++h.failed;
            ++h.reasons[r.failure];
            last_mark_ = kUnwindFailed;
            break;
    }
}

}  // namespace kiln::analyzer
