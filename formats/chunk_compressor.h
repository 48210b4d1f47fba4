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

// Chunks smaller than this may be compressed harder (small_chunk_level): a chunk of records is
// flushed after a second, so a smaller one was written at under 128 KiB a second, where zstd
// level 9 costs at most ~0.6 ms of CPU a second (~4-5 ms per MiB of compact samples, against
// level 1's under 1) and takes a third off a frame-pointer recording's records (a 5 s one at
// 999 Hz on two busy CPUs: 60 KiB a second; tools/bench/RESULTS.md). Larger chunks, at higher
// rates, where the recorder's cost per second matters more than its bytes, keep the cheap
// level; so does the sideband's largest (the kernel symbols, compressed once and cached).
inline constexpr size_t kSmallChunkBytes = size_t{128} << 10;

struct CompressedPayload {
    std::span<const uint8_t> bytes;  // valid until the compressor's next call
    Compression compression = Compression::kNone;
};

class ChunkCompressor {
public:
    // small_chunk_level: the level of chunks under kSmallChunkBytes (0: zstd_level). Level 0
    // stores every chunk uncompressed.
    explicit ChunkCompressor(int zstd_level, int small_chunk_level = 0);

    Result<CompressedPayload> compress(std::span<const uint8_t> raw);
    int level() const { return level_; }

private:
    int level_;
    int small_level_;
    std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx_;
    // Compressed output; grown, never zero-filled (the kernel-symbol chunk's compressBound is
    // ~3.5 MB, and vector's zero-fill of it was 5% of a short recording's CPU).
    LargeBufferPtr scratch_;
    size_t scratch_size_ = 0;
};

}  // namespace kiln::format
