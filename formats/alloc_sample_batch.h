// A batch of sampled allocations from kiln's allocation sampler, read from the user stack copy
// of a kiln_sampled_batch uprobe sample (the layout, shared with the sampler, is in
// alloc_sample_batch_layout.h). The bytes come from a recording: every field is checked.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "formats/alloc_sample_batch_layout.h"
#include "formats/result.h"

namespace kiln::format {

enum class AllocSampleKind : uint8_t { kAlloc = KILN_ALLOC_RECORD_ALLOC, kFree = KILN_ALLOC_RECORD_FREE };

struct AllocSampleRecord {
    AllocSampleKind kind = AllocSampleKind::kAlloc;
    uint64_t time = 0;     // CLOCK_MONOTONIC ns, the recording's clock
    uint64_t address = 0;  // the block
    uint64_t size = 0;     // bytes asked for; 0 for a free
    // kAlloc: the sampler's allocator function (the leaf), then the return addresses above it.
    std::vector<uint64_t> frames;
};

struct AllocSampleBatch {
    uint32_t tid = 0;   // the thread whose records these are
    uint64_t mean = 0;  // the sampler's mean bytes between samples
    std::vector<AllocSampleRecord> records;
};

// stack: the copy from the marker's stack pointer (its return address, then the header).
Result<AllocSampleBatch> decode_alloc_sample_batch(std::span<const uint8_t> stack);

}  // namespace kiln::format
