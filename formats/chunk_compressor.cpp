#include "formats/chunk_compressor.h"

#include <string>

namespace kiln::format {

ChunkCompressor::ChunkCompressor(int zstd_level, int small_chunk_level)
    : level_(zstd_level), small_level_(small_chunk_level > 0 ? small_chunk_level : zstd_level),
      cctx_(ZSTD_createCCtx(), ZSTD_freeCCtx) {}

Result<CompressedPayload> ChunkCompressor::compress(std::span<const uint8_t> raw) {
    if (level_ <= 0 || raw.empty()) return CompressedPayload{raw, Compression::kNone};
    const size_t bound = ZSTD_compressBound(raw.size());
    if (scratch_size_ < bound) {
        scratch_ = make_large_buffer(bound);  // uninitialised: zstd overwrites what it uses
        scratch_size_ = bound;
    }
    const int level = raw.size() < kSmallChunkBytes ? small_level_ : level_;
    const size_t n = ZSTD_compressCCtx(cctx_.get(), scratch_.get(), scratch_size_, raw.data(), raw.size(), level);
    if (ZSTD_isError(n)) return make_error(std::string("zstd: ") + ZSTD_getErrorName(n));
    return CompressedPayload{std::span<const uint8_t>(scratch_.get(), n), Compression::kZstd};
}

}  // namespace kiln::format
