// Turns a chunk's raw bytes into its payload as a .kiln file stores it: one zstd frame at the
// level given, or the bytes as they are at level 0. The file writer and the monitor's history
// (which keeps chunks in memory, compressed, until a dump writes them) share it.
#pragma once

#include <zstd.h>

#include <cstdint>
#include <memory>
#include <span>

#include "formats/kiln_format.h"
#include "formats/large_buffer.h"
#include "formats/result.h"

namespace kiln::format {

struct CompressedPayload {
    std::span<const uint8_t> bytes;  // valid until the compressor's next call
    Compression compression = Compression::kNone;
};

class ChunkCompressor {
public:
    explicit ChunkCompressor(int zstd_level);

    Result<CompressedPayload> compress(std::span<const uint8_t> raw);
    int level() const { return level_; }

private:
    int level_;
    std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx_;
    // Compressed output; grown, never zero-filled (the kernel-symbol chunk's compressBound is
    // ~3.5 MB, and vector's zero-fill of it was 5% of a short recording's CPU).
    LargeBufferPtr scratch_;
    size_t scratch_size_ = 0;
};

}  // namespace kiln::format
