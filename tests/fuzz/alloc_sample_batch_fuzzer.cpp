// libFuzzer target: any bytes as the stack copy of a kiln_sampled_batch uprobe sample (the
// allocation sampler's batches, formats/alloc_sample_batch.h). It must never crash, hang or read
// out of bounds; errors are fine. Seeded with nothing: the header's magic and layout are found
// by the fuzzer's comparison tracing.
#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/alloc_sample_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto batch = kiln::format::decode_alloc_sample_batch(std::span<const uint8_t>(data, size));
    if (batch.ok())
        for (const auto& r : batch->records) (void)r.frames.size();
    return 0;
}
