// Writes the .kiln container: the preamble, then self-delimiting zstd chunks.
// Owns one zstd context and one scratch buffer so steady-state writing does not allocate.
// A chunk that cannot be written whole (a full disk) is cut off again where the fd can be
// truncated: the file then ends with its last whole chunk, as a reader wants it, and the
// space the torn part took is free again. On a pipe what went out stays out (a torn tail).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "formats/chunk_compressor.h"
#include "formats/kiln_format.h"
#include "formats/result.h"

namespace kiln::format {

class ChunkWriter {
public:
    // fd is owned by the caller and must stay open; path is used in error messages only.
    // small_chunk_level: see ChunkCompressor (0: zstd_level).
    ChunkWriter(int fd, std::string path, int zstd_level, int small_chunk_level = 0);

    Status write_preamble();
    Status write_chunk(ChunkType type, std::span<const uint8_t> raw);
    // A chunk whose payload was compressed before (one zstd frame of raw_size bytes): the
    // recorder keeps the kernel symbols' compressed chunk from one recording to the next.
    Status write_compressed_chunk(ChunkType type, uint64_t raw_size, std::span<const uint8_t> zstd_frame);
    // A chunk stored before, as it was stored (the monitor's history, dumped).
    Status write_stored_chunk(ChunkType type, Compression compression, uint64_t raw_size,
                              std::span<const uint8_t> payload);
    uint64_t bytes_written() const { return bytes_written_; }
    // The payload of the chunk written last, as stored (compressed when it was): valid until
    // the next write.
    std::span<const uint8_t> last_payload() const { return last_payload_; }
    Compression last_compression() const { return last_compression_; }
    // Bytes handed to write_chunk before compression.
    uint64_t raw_bytes_written() const { return raw_bytes_written_; }
    // The errno of the last write that failed (ENOSPC, EPIPE, ...), 0 while none did.
    int failed_errno() const { return failed_errno_; }

private:
    Status write_all(const void* data, size_t size);
    Status write_header_and_payload(ChunkHeader& h, std::span<const uint8_t> payload);
    // Truncates the fd back to chunk_start (in bytes_written_) after a failed write, when it can.
    void cut_back(uint64_t chunk_start);

    int fd_;
    std::string path_;
    ChunkCompressor compressor_;
    uint64_t bytes_written_ = 0;
    uint64_t raw_bytes_written_ = 0;
    int failed_errno_ = 0;
    std::span<const uint8_t> last_payload_;
    Compression last_compression_ = Compression::kNone;
};

// CRC-32 of a chunk header's first 24 bytes, as stored in header_crc.
uint32_t chunk_header_crc(const ChunkHeader& h);

}  // namespace kiln::format
