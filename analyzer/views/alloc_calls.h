// The allocator probes of a recording (`kiln record --mem=malloc`, or the same uprobes given
// with -e, or `perf probe` events on the allocator in a perf.data): which event is the entry
// or the return of which function, and the arguments and result each sample carries: in its
// user registers (x86-64 SysV: rdi, rsi, rdx; rax), or for perf probe events in the values
// the probe fetched (formats/perf_probe_event.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/unwind/stack_builder.h"
#include "formats/perf_probe_event.h"
#include "formats/perf_sample.h"
#include "formats/recording_header.h"
#include "formats/result.h"

namespace kiln::analyzer {

// kSampledAlloc and kSampledFree are the markers of kiln's allocation sampler
// (recorder/alloc_sampler): kiln_sampled_alloc(ptr, size, mean) for an allocation it sampled,
// one in about `mean` bytes, and kiln_sampled_free(ptr) for the release of such a block;
// kiln_sampled_batch hands over many of both at once, in its copied stack (-g fp).
enum class AllocFn : uint8_t {
    kMalloc, kCalloc, kRealloc, kFree, kPosixMemalign, kAlignedAlloc, kMemalign, kSampledAlloc, kSampledFree,
    kSampledBatch
};

// The arguments of one call, read at its entry.
struct AllocArgs {
    uint64_t size = 0;    // bytes asked for (calloc: n * size, saturated)
    uint64_t ptr = 0;     // realloc: the old block; free: the block freed
    uint64_t memptr = 0;  // posix_memalign: where the result is stored (void**)
    uint64_t mean = 0;    // kSampledAlloc: the sampler's mean bytes between samples
};

class AllocCalls {
public:
    struct Probe {
        AllocFn fn = AllocFn::kMalloc;
        bool is_return = false;
        uint64_t regs_mask = 0;
        StackMode mode = StackMode::kFramePointer;
        // A perf probe event: its fetched values stand for the argument registers (the
        // first for the first argument, or for the return value at a return).
        std::optional<format::PerfProbeEvent> fetched;
    };

    // Fails when the recording has no allocator probes or their samples lack the registers
    // the arguments are read from; view names the view for the message.
    static Result<AllocCalls> find(const format::RecordingHeader& header, const EventTable& events,
                                   const std::string& view);
    // Whether the recording has allocator probes at all (for the list of available views).
    static bool recorded(const format::RecordingHeader& header);

    const Probe* probe(int event) const;
    // Whether the probes are the allocation sampler's markers (kiln record --alloc-sample).
    bool sampled() const { return sampled_; }
    // Entry probes whose frame-pointer stacks lack the allocator's caller: perf probe events
    // recorded with -g fp (at a function's first instruction the return address is on the
    // stack, not in a frame; kiln's own probes copy it, perf's do not). "" when none.
    const std::string& missing_caller_note() const { return missing_caller_note_; }
    // nullopt when a register the function's arguments need was not sampled.
    static std::optional<AllocArgs> args(const Probe& p, const format::ParsedSample& s);
    // The return value (rax), nullopt when not sampled.
    static std::optional<uint64_t> result(const Probe& p, const format::ParsedSample& s);
    // posix_memalign: the pointer stored at memptr, read from the return sample's copy of the
    // caller's stack (it starts at sp); nullopt when memptr lies outside the copy.
    static std::optional<uint64_t> stored_pointer(const Probe& p, const format::ParsedSample& s, uint64_t memptr);

private:
    std::vector<std::optional<Probe>> probes_;  // per header event
    std::string missing_caller_note_;
    bool sampled_ = false;
};

}  // namespace kiln::analyzer
