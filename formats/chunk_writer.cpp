#include "formats/chunk_writer.h"

#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace kiln::format {

uint32_t chunk_header_crc(const ChunkHeader& h) {
    return static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(&h), 24));
}

ChunkWriter::ChunkWriter(int fd, std::string path, int zstd_level, int small_chunk_level)
    : fd_(fd), path_(std::move(path)), compressor_(zstd_level, small_chunk_level) {}

Status ChunkWriter::write_all(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd_, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            failed_errno_ = errno;
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

    auto stored = compressor_.compress(raw);
    if (!stored) return make_error("compressing a chunk for " + path_ + ": " + stored.error().message);
    h.compression = static_cast<uint16_t>(stored->compression);
    raw_bytes_written_ += raw.size();
    return write_header_and_payload(h, stored->bytes);
}

Status ChunkWriter::write_compressed_chunk(ChunkType type, uint64_t raw_size, std::span<const uint8_t> zstd_frame) {
    return write_stored_chunk(type, Compression::kZstd, raw_size, zstd_frame);
}

Status ChunkWriter::write_stored_chunk(ChunkType type, Compression compression, uint64_t raw_size,
                                       std::span<const uint8_t> payload) {
    if (raw_size > kMaxChunkRawSize || payload.size() > kMaxChunkRawSize)
        return make_error("writing " + path_ + ": chunk of " + std::to_string(raw_size) +
                          " bytes exceeds the format's limit");
    ChunkHeader h{};
    h.sync = kChunkSync;
    h.type = static_cast<uint16_t>(type);
    h.raw_size = static_cast<uint32_t>(raw_size);
    h.compression = static_cast<uint16_t>(compression);
    raw_bytes_written_ += raw_size;
    return write_header_and_payload(h, payload);
}

Status ChunkWriter::write_header_and_payload(ChunkHeader& h, std::span<const uint8_t> payload) {
    h.payload_size = static_cast<uint32_t>(payload.size());
    h.payload_crc = static_cast<uint32_t>(crc32(0, payload.data(), static_cast<uInt>(payload.size())));
    h.header_crc = chunk_header_crc(h);
    last_payload_ = payload;
    last_compression_ = static_cast<Compression>(h.compression);
    const uint64_t chunk_start = bytes_written_;
    Status s = write_all(&h, sizeof h);
    if (s.ok()) s = write_all(payload.data(), payload.size());
    if (!s.ok()) cut_back(chunk_start);
    return s;
}

void ChunkWriter::cut_back(uint64_t chunk_start) {
    // Where the fd's offset stands, the part of the chunk written lies just before it. A pipe
    // has no offset (ESPIPE): what went out stays out.
    const uint64_t written = bytes_written_ - chunk_start;
    if (written == 0) return;
    const off_t at = ::lseek(fd_, 0, SEEK_CUR);
    if (at < 0 || static_cast<uint64_t>(at) < written) return;
    const off_t start = at - static_cast<off_t>(written);
    if (::ftruncate(fd_, start) != 0) return;
    if (::lseek(fd_, start, SEEK_SET) != start) return;
    bytes_written_ = chunk_start;
}

}  // namespace kiln::format
