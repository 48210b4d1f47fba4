// Pairs allocator calls with their returns and allocations with their frees. Pure
// bookkeeping (no recording, no stacks): the alloc, allocs and inuse views feed it.
//
// Entry and return of a call are paired per thread on a stack, because allocators call each
// other (glibc's realloc(NULL, n) calls malloc through the same entry point): a return pops
// the innermost open call of its function, and only the outermost call (nothing open below
// it) is the program's; calls nested inside another allocator call are its implementation
// and are not counted again. A return whose call is missing (its record was lost) is counted.
//
// Live blocks are keyed by process and address: a free (or a realloc) matches the block it
// releases; a free of an address not allocated during the recording is "unpaired".
// The sampler's batches (one per thread, handed over when full) arrive out of time order across
// threads: a free (or an allocation) older than the live block at its address belongs to an
// earlier block there and leaves the live one alone, and a free that comes before its block's
// allocation is kept until that allocation comes, which it then releases at once.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "analyzer/views/alloc_calls.h"

namespace kiln::analyzer {

inline constexpr uint32_t kNoStack = 0xffffffff;  // a call whose stack is not shown (filtered out)

struct OpenCall {
    AllocFn fn = AllocFn::kMalloc;
    AllocArgs args;
    uint32_t stack = kNoStack;  // the view's id of the caller's stack
};

struct LiveBlock {
    uint64_t size = 0;     // bytes it stands for (a sampled block: its estimated weight)
    uint32_t stack = kNoStack;
    uint32_t objects = 1;  // blocks it stands for (a sampled block: its estimated count)
    uint64_t time = 0;     // when it was allocated
};

class AllocTracker {
public:
    // A call entered (not free: see freed()). Returns whether it is the program's own call
    // (no allocator call open below it on this thread).
    bool enter(int32_t tid, const OpenCall& call);
    // Whether tid is inside an allocator call (a free there is the allocator's own).
    bool inside(int32_t tid) const;
    // The return of fn on tid: its call, if it was open and is the outermost one.
    // Calls opened above it whose returns never came are dropped and counted.
    std::optional<OpenCall> leave(int32_t tid, AllocFn fn);

    void allocated(int32_t pid, uint64_t addr, uint64_t size, uint32_t stack, uint32_t objects = 1, uint64_t time = 0);
    // Releases the block at addr; false when no live block is there (the free is then kept for
    // an allocation older than it that may come later).
    bool freed(int32_t pid, uint64_t addr, uint64_t time = UINT64_MAX);
    // Blocks allocated and not freed, per process: what is in use at the end.
    const std::unordered_map<int32_t, std::unordered_map<uint64_t, LiveBlock>>& live() const { return live_; }

    // Frees no allocation was seen for (yet).
    uint64_t unpaired_frees() const;
    uint64_t unmatched_returns() const { return unmatched_returns_; }
    uint64_t dropped_calls() const { return dropped_calls_; }
    // Allocations at an address still live: the free in between was not seen (lost).
    uint64_t reused_addresses() const { return reused_addresses_; }

private:
    std::unordered_map<int32_t, std::vector<OpenCall>> open_;
    std::unordered_map<int32_t, std::unordered_map<uint64_t, LiveBlock>> live_;
    // Frees of no live block, per process and address: when.
    std::unordered_map<int32_t, std::unordered_map<uint64_t, uint64_t>> early_frees_;
    uint64_t early_frees_seen_ = 0, early_frees_matched_ = 0;
    uint64_t unmatched_returns_ = 0, dropped_calls_ = 0, reused_addresses_ = 0;
};

}  // namespace kiln::analyzer
