// One sample's whole stack, leaf first: the kernel part from the kernel's callchain, the
// user part from the frame-pointer callchain or, in `-g dwarf` recordings, from the DWARF
// unwind of the copied stack; stitched once, in order. Keeps the unwinding health report.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/process_model.h"
#include "analyzer/unwind/dwarf_unwinder.h"
#include "analyzer/unwind/raw_frame.h"
#include "analyzer/unwind/unwind_mark.h"
#include "formats/perf_sample.h"

namespace kiln::analyzer {

// Per binary where unwinding ended: how many stacks were complete, truncated or failed.
struct UnwindHealth {
    struct Binary {
        uint64_t complete = 0, truncated = 0, failed = 0;
        uint64_t frame_pointer_fallback = 0;  // stacks that crossed a frame of this binary without CFI
        std::map<UnwindFailure, uint64_t> reasons;  // why stacks stopped here → samples
    };
    std::map<uint32_t, Binary> by_dso;  // dso of the last frame reached (kUnmappedDso: none), or
                                        // of a frame without CFI (frame_pointer_fallback)
    uint64_t samples = 0;
    uint32_t stack_bytes = 0;           // the recording's -g dwarf,BYTES
    // -g fp with the stack top: samples whose caller the frame-pointer walk had skipped (put back).
    uint64_t leaf_callers_added = 0;
};

// How a sample's user stack was recorded, from its event's attr and name.
enum class StackMode : uint8_t {
    kFramePointer,         // the kernel's callchain (-g fp or none)
    kFramePointerAtEntry,  // the same, at a function's entry: [sp] in the stack copy is the caller
    kFramePointerStackTop, // the same with the top of the user stack (-g fp,BYTES): the CFI at the
                           // leaf says whether its caller's return address is there
    kDwarf,                // -g dwarf: kernel callchain + the copied stack, unwound here
};
StackMode stack_mode(const perf_event_attr& attr, std::string_view event_name);

// One stack as StackBuilder::frames() made it: the unwind stage's output, before symbolization.
struct UnwoundStack {
    const format::ParsedSample& sample;
    std::span<const RawFrame> frames;  // leaf first
    UnwindMark mark;
    const ProcessModel& model;         // frames' dso indexes are into model.dsos()
};
// Sees every stack a view asks for (tests golden the unwind stage with it).
using StackObserver = std::function<void(const UnwoundStack&)>;

class StackBuilder {
public:
    StackBuilder(const ProcessModel& model, BinaryLocator& locator, bool libunwind_only = false);
    // Appends s's stack to out. Several views of one pass ask for the same sample's stack: it
    // is unwound (and counted in health()) once per begin_sample(), then copied.
    void frames(const format::ParsedSample& s, uint64_t regs_mask, StackMode mode, std::vector<RawFrame>& out);
    void begin_sample() { memo_.valid = false; }
    // Frames of a stack walked elsewhere (kiln's allocation sampler walks its own): a leaf
    // address, then return addresses, of process pid as it is mapped now.
    void address_frames(int32_t pid, std::span<const uint64_t> leaf_first, std::vector<RawFrame>& out);
    const UnwindHealth& health() const { return health_; }
    // How the stack of the last frames() call was unwound.
    UnwindMark last_mark() const { return last_mark_; }
    // Called once for each binary (Dso index) the first time a stack reaches it, so its
    // symbols can be loaded while the recording still streams.
    void on_first_frame_in(std::function<void(uint32_t dso)> fn) { on_new_dso_ = std::move(fn); }
    void observe(StackObserver fn) { observer_ = std::move(fn); }

private:
    const ProcessModel& model_;
    DwarfUnwinder dwarf_;
    UnwindHealth health_;
    UnwindMark last_mark_ = kUnwindComplete;
    std::function<void(uint32_t)> on_new_dso_;
    StackObserver observer_;
    std::vector<bool> dso_seen_;
    struct Memo {  // the current sample's stack, once unwound
        bool valid = false;
        const uint8_t* callchain = nullptr;
        const uint8_t* stack = nullptr;
        uint64_t time = 0;
        uint64_t regs_mask = 0;
        StackMode mode = StackMode::kFramePointer;
        UnwindMark mark = kUnwindComplete;
        std::vector<RawFrame> frames;
        void remember(const format::ParsedSample& s, uint64_t mask, StackMode m, UnwindMark how,
                      std::span<const RawFrame> unwound) {
            valid = true;
            callchain = s.callchain.data();
            stack = s.stack.data();
            time = s.time;
            regs_mask = mask;
            mode = m;
            mark = how;
            frames.assign(unwound.begin(), unwound.end());
        }
        bool same(const format::ParsedSample& s, uint64_t mask, StackMode m) const {
            return valid && callchain == s.callchain.data() && stack == s.stack.data() && time == s.time &&
                   regs_mask == mask && mode == m;
        }
    } memo_;
    void note_dsos(const std::vector<RawFrame>& frames, size_t from);
    void insert_skipped_caller(const format::ParsedSample& s, uint64_t regs_mask, size_t first, std::vector<RawFrame>& out);
    void unwind(const format::ParsedSample& s, uint64_t regs_mask, StackMode mode, std::vector<RawFrame>& out);
};

}  // namespace kiln::analyzer
