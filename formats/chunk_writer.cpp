#include "formats/chunk_writer.h"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace kiln::format {

uint32_t chunk_header_crc(const ChunkHeader& h) {
    return static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(&h), 24));
}

ChunkWriter::ChunkWriter(int fd, std::string path, int zstd_level)
    : fd_(fd), path_(std::move(path)), level_(zstd_level), cctx_(ZSTD_createCCtx(), ZSTD_freeCCtx) {}

Status ChunkWriter::write_all(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd_, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error("writing " + path_ + ": " + std::strerror(errno));
        }
        p += n;
        size -= static_cast<size_t>(n);
        bytes_written_ += static_cast<uint64_t>(n);
    }
    return {};
}

Status ChunkWriter::write_preamble() {
    FilePreamble pre{};
    std::memcpy(pre.magic, kMagic, sizeof kMagic);
    pre.version_major = kVersionMajor;
    pre.version_minor = kVersionMinor;
    return write_all(&pre, sizeof pre);
}

Status ChunkWriter::write_chunk(ChunkType type, std::span<const uint8_t> raw) {
    if (raw.size() > kMaxChunkRawSize)
        return make_error("writing " + path_ + ": chunk of " + std::to_string(raw.size()) +
                          " bytes exceeds the format's limit");
    ChunkHeader h{};
    h.sync = kChunkSync;
    h.type = static_cast<uint16_t>(type);
    h.raw_size = static_cast<uint32_t>(raw.size());

    std::span<const uint8_t> payload = raw;
    if (level_ > 0 && !raw.empty()) {
        size_t bound = ZSTD_compressBound(raw.size());
        if (scratch_size_ < bound) {
            scratch_ = make_large_buffer(bound);  // uninitialised: zstd overwrites what it uses
            scratch_size_ = bound;
        }
        size_t n = ZSTD_compressCCtx(cctx_.get(), scratch_.get(), scratch_size_, raw.data(), raw.size(), level_);
        if (ZSTD_isError(n))
            return make_error("compressing a chunk for " + path_ + ": " + ZSTD_getErrorName(n));
        payload = std::span<const uint8_t>(scratch_.get(), n);
        h.compression = static_cast<uint16_t>(Compression::kZstd);
    } else {
        h.compression = static_cast<uint16_t>(Compression::kNone);
    }
    raw_bytes_written_ += raw.size();
    return write_header_and_payload(h, payload);
}

Status ChunkWriter::write_compressed_chunk(ChunkType type, uint64_t raw_size, std::span<const uint8_t> zstd_frame) {
    if (raw_size > kMaxChunkRawSize || zstd_frame.size() > kMaxChunkRawSize)
        return make_error("writing " + path_ + ": chunk of " + std::to_string(raw_size) +
                          " bytes exceeds the format's limit");
    ChunkHeader h{};
    h.sync = kChunkSync;
    h.type = static_cast<uint16_t>(type);
    h.raw_size = static_cast<uint32_t>(raw_size);
    h.compression = static_cast<uint16_t>(Compression::kZstd);
    raw_bytes_written_ += raw_size;
    return write_header_and_payload(h, zstd_frame);
}

Status ChunkWriter::write_header_and_payload(ChunkHeader& h, std::span<const uint8_t> payload) {
    h.payload_size = static_cast<uint32_t>(payload.size());
    h.payload_crc = static_cast<uint32_t>(crc32(0, payload.data(), static_cast<uInt>(payload.size())));
    h.header_crc = chunk_header_crc(h);
    last_payload_ = payload;
    last_compression_ = static_cast<Compression>(h.compression);
    KILN_TRY(write_all(&h, sizeof h));
    return write_all(payload.data(), payload.size());
}

}  // namespace kiln::format
