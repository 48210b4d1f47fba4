// The kernel's side of a recording's sideband: KERNEL_INFO, MODULES and the kernel's symbols.
// With kiln's cache (formats/kallsyms_subset.h): only a KALLSYMS_REF at start, the whole table
// kept in the cache file (recorder/sideband/compressed_payload_cache.h), and at each file's end
// a KALLSYMS_TOUCHED of the symbols the samples hit. Without a cache (KILN_CACHE_DIR set empty,
// -z 0, a cache that cannot be written), or when asked for it (--archive), the whole table as
// KALLSYMS_FOLDED, as before 4.3.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "formats/kernel_addresses.h"
#include "formats/large_buffer.h"
#include "recorder/chunk_pipeline.h"

namespace kiln::recorder {

class KernelSymbolsSideband {
public:
    using Note = std::function<void(const std::string&)>;

    // Reads the symbols (or takes them from the cache by generation) and submits the chunks
    // that go at start. Failures are notes: user-space analysis works without them.
    void submit(ChunkPipeline& pipeline, int zstd_level, bool whole_table, const Note& note);

    // The KALLSYMS_TOUCHED payload for these addresses (no symbols when none is hit: the
    // analyzer then knows the file ended and holds what its samples need); nullopt when the
    // whole table is in the recording or no symbols were read.
    std::optional<std::vector<uint8_t>> touched(const format::KernelAddressSet& addresses) const;

private:
    bool whole_written_ = false;
    // The whole KALLSYMS_FOLDED payload, decompressed from frame_ on first use.
    mutable format::LargeBytes raw_;
    mutable format::LargeBytes frame_;
    uint64_t raw_size_ = 0;
};

}  // namespace kiln::recorder
