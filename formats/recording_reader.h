// Reads a .kiln recording chunk by chunk. The input is untrusted: every length is checked,
// memory stays bounded by the largest chunk, and a torn or corrupt tail ends the stream
// with a warning rather than an error so every whole chunk before it is still used.
#pragma once

#include <zstd.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "formats/kiln_format.h"
#include "formats/recording_header.h"
#include "formats/result.h"

namespace kiln::format {

// Where the bytes come from: a file (pread) or memory (tests, fuzzing).
class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual uint64_t size() const = 0;
    // Reads exactly n bytes at offset or fails.
    virtual Status read_at(uint64_t offset, void* dst, size_t n) = 0;
};

std::unique_ptr<ByteSource> memory_source(std::vector<uint8_t> bytes);

struct Chunk {
    ChunkType type;
    uint64_t file_offset;             // where its header starts
    std::span<const uint8_t> data;    // decompressed; valid until the next call to next()
};

class RecordingReader {
public:
    // A .kiln recording, or a perf.data file (perf record's), imported (formats/perf_data_import.h).
    static Result<std::unique_ptr<RecordingReader>> open(const std::string& path);
    static Result<std::unique_ptr<RecordingReader>> from_source(std::unique_ptr<ByteSource> src,
                                                                std::string name);

    const RecordingHeader& header() const { return header_; }
    uint16_t version_major() const { return major_; }
    uint16_t version_minor() const { return minor_; }

    // The next known chunk, or nullopt at the end of the usable stream. Chunks of unknown type
    // are skipped. An error here means an I/O failure, not bad bytes.
    Result<std::optional<Chunk>> next();

    // Hands the buffer holding the last chunk's bytes to the caller, which gives one back
    // (any vector; the reader grows it as needed). The chunk's data span then points into
    // `buffer` and stays valid after further next() calls: records can be kept without a copy.
    void swap_chunk_buffer(std::vector<uint8_t>& buffer);

    // Problems that did not stop reading: torn tail, skipped corrupt chunks.
    // Only chunks of these types are read and returned by next(); the others are stepped over
    // without reading their payload. All types by default.
    void only_types(std::initializer_list<ChunkType> types) {
        wanted_types_ = 0;
        for (ChunkType t : types) wanted_types_ |= uint64_t{1} << static_cast<unsigned>(t);
    }
    void all_types_but(ChunkType type) { wanted_types_ = ~(uint64_t{1} << static_cast<unsigned>(type)); }
    // Visits every chunk of `type` from the first chunk on, leaving next()'s position as it was.
    // A chunk's data is valid during its visit only.
    Status scan(ChunkType type, const std::function<void(const Chunk&)>& visit);

    const std::vector<std::string>& warnings() const { return warnings_; }
    bool torn() const { return torn_; }
    uint64_t skipped_unknown_chunks() const { return skipped_unknown_; }
    const std::string& name() const { return name_; }

private:
    RecordingReader(std::unique_ptr<ByteSource> src, std::string name);
    static Result<std::unique_ptr<RecordingReader>> open_perf_data(const std::string& path);
    Status read_preamble_and_header();
    // Reads the chunk at offset_ into buffer_. nullopt at end of stream.
    Result<std::optional<Chunk>> read_chunk();
    void warn(std::string w) { warnings_.push_back(name_ + ": " + std::move(w)); }

    std::unique_ptr<ByteSource> src_;
    std::string name_;
    uint64_t offset_ = 0;
    uint64_t first_chunk_offset_ = 0;  // just after the header chunk
    uint16_t major_ = 0, minor_ = 0;
    RecordingHeader header_;
    std::vector<uint8_t> payload_;
    std::vector<uint8_t> raw_;
    std::vector<uint8_t>* last_buffer_ = nullptr;  // payload_ or raw_: where the last chunk is
    std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx_;
    std::vector<std::string> warnings_;
    bool torn_ = false;
    bool done_ = false;
    uint64_t skipped_unknown_ = 0;
    uint64_t wanted_types_ = ~uint64_t{0};  // bit per ChunkType (only_types)
};

bool is_known_chunk_type(uint16_t type);

}  // namespace kiln::format
