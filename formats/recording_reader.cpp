#include "formats/recording_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "formats/chunk_writer.h"
#include "formats/perf_data.h"
#include "formats/perf_data_import.h"

namespace kiln::format {

namespace {

// Fuzz builds accept any checksum so the fuzzer reaches the decoders behind them.
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
constexpr bool kCheckCrc = false;
#else
constexpr bool kCheckCrc = true;
#endif

class MemorySource final : public ByteSource {
public:
    explicit MemorySource(std::vector<uint8_t> b) : bytes_(std::move(b)) {}
    uint64_t size() const override { return bytes_.size(); }
    Status read_at(uint64_t offset, void* dst, size_t n) override {
        if (offset > bytes_.size() || n > bytes_.size() - offset)
            return make_error("read past the end of the input");
        if (n == 0) return {};  // dst may be null for an empty payload
        std::memcpy(dst, bytes_.data() + offset, n);
        return {};
    }

private:
    std::vector<uint8_t> bytes_;
};

class FileSource final : public ByteSource {
public:
    FileSource(int fd, uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
    ~FileSource() override { ::close(fd_); }
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;
    uint64_t size() const override { return size_; }
    Status read_at(uint64_t offset, void* dst, size_t n) override {
        auto* p = static_cast<uint8_t*>(dst);
        while (n > 0) {
            ssize_t got = ::pread(fd_, p, n, static_cast<off_t>(offset));
            if (got < 0) {
                if (errno == EINTR) continue;
                return make_error("reading " + path_ + ": " + std::strerror(errno));
            }
            if (got == 0) return make_error("reading " + path_ + ": unexpected end of file");
            p += got;
            n -= static_cast<size_t>(got);
            offset += static_cast<uint64_t>(got);
        }
        return {};
    }

private:
    int fd_;
    uint64_t size_;
    std::string path_;
};

}  // namespace

std::unique_ptr<ByteSource> memory_source(std::vector<uint8_t> bytes) {
    return std::make_unique<MemorySource>(std::move(bytes));
}

bool is_known_chunk_type(uint16_t type) {
    return type >= static_cast<uint16_t>(ChunkType::kHeader) &&
           type <= static_cast<uint16_t>(ChunkType::kKallsymsRef);
}

RecordingReader::RecordingReader(std::unique_ptr<ByteSource> src, std::string name)
    : src_(std::move(src)), name_(std::move(name)), dctx_(ZSTD_createDCtx(), ZSTD_freeDCtx) {}

Result<std::unique_ptr<RecordingReader>> RecordingReader::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        std::string hint = e == ENOENT ? " (no such file; record one with `kiln record`)"
                           : e == EACCES ? " (permission denied; recordings are created mode 0600 by their owner)"
                                         : "";
        return make_error("cannot open recording " + path + ": " + std::strerror(e) + hint);
    }
    struct stat st{};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error("cannot open recording " + path + ": not a regular file");
    }
    uint8_t magic[8] = {};
    if (::pread(fd, magic, sizeof magic, 0) == static_cast<ssize_t>(sizeof magic) &&
        PerfDataReader::looks_like_perf_data(magic)) {
        ::close(fd);
        return open_perf_data(path);
    }
    auto src = std::make_unique<FileSource>(fd, static_cast<uint64_t>(st.st_size), path);
    return from_source(std::move(src), path);
}

// A perf.data file, imported into a kiln recording held in memory (a memfd) and read from there.
Result<std::unique_ptr<RecordingReader>> RecordingReader::open_perf_data(const std::string& path) {
    auto perf = PerfDataReader::open(path);
    if (!perf) return perf.error();
    const int fd = ::memfd_create("kiln-perf-import", MFD_CLOEXEC);
    if (fd < 0) return make_error("cannot import " + path + ": memfd_create: " + std::strerror(errno));
    std::vector<std::string> notes;
    if (Status st = import_perf_data(**perf, fd, path, notes); !st) {
        ::close(fd);
        return st.error();
    }
    struct stat st{};
    if (fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        return make_error("cannot import " + path + ": " + std::strerror(e));
    }
    auto reader = from_source(std::make_unique<FileSource>(fd, static_cast<uint64_t>(st.st_size), path), path);
    if (!reader) return reader.error();
    for (auto& note : notes) (*reader)->warnings_.push_back(std::move(note));
    return reader;
}

Result<std::unique_ptr<RecordingReader>> RecordingReader::from_source(std::unique_ptr<ByteSource> src,
                                                                      std::string name) {
    std::unique_ptr<RecordingReader> r(new RecordingReader(std::move(src), std::move(name)));
    KILN_TRY(r->read_preamble_and_header());
    return r;
}

Status RecordingReader::read_preamble_and_header() {
    FilePreamble pre{};
    if (src_->size() < sizeof pre)
        return make_error(name_ + ": not a kiln recording (file is " + std::to_string(src_->size()) +
                          " bytes, too short for the header)");
    KILN_TRY(src_->read_at(0, &pre, sizeof pre));
    if (std::memcmp(pre.magic, kMagic, sizeof kMagic) != 0) {
        if (std::memcmp(pre.magic, "PERFILE2", 8) == 0)
            return make_error(name_ + ": this is a perf.data file, not a kiln recording; use `perf report`");
        return make_error(name_ + ": not a kiln recording (bad magic)");
    }
    major_ = pre.version_major;
    minor_ = pre.version_minor;
    if (major_ > kVersionMajor)
        return make_error(name_ + ": recording format version " + std::to_string(major_) + "." +
                          std::to_string(minor_) + " is newer than this kiln reads (" +
                          std::to_string(kVersionMajor) + ".x); upgrade kiln to read it");
    if (major_ == 0) return make_error(name_ + ": recording format version 0 is not supported");
    offset_ = sizeof pre;

    auto first = read_chunk();
    if (!first) return first.error();
    if (!first->has_value() || (*first)->type != ChunkType::kHeader) {
        std::string why = warnings_.empty() ? "the header chunk is missing" : warnings_.back();
        return make_error(name_ + ": unreadable recording header: " + why);
    }
    auto h = decode_recording_header((*first)->data);
    if (!h) return make_error(name_ + ": " + h.error().message);
    header_ = std::move(*h);
    first_chunk_offset_ = offset_;
    return {};
}

Status RecordingReader::scan(ChunkType type, const std::function<void(const Chunk&)>& visit) {
    // next()'s state, put back afterwards; the main pass reports what this one would warn about.
    const uint64_t offset = offset_, wanted = wanted_types_;
    const bool torn = torn_, done = done_;
    const size_t warnings = warnings_.size();
    const uint64_t skipped = skipped_unknown_;
    offset_ = first_chunk_offset_;
    done_ = false;
    only_types({type});
    Status result;
    while (true) {
        auto chunk = read_chunk();
        if (!chunk) {
            result = chunk.error();
            break;
        }
        if (!chunk->has_value()) break;
        visit(**chunk);
    }
    offset_ = offset;
    wanted_types_ = wanted;
    torn_ = torn;
    done_ = done;
    warnings_.resize(warnings);
    skipped_unknown_ = skipped;
    return result;
}

Result<std::optional<Chunk>> RecordingReader::read_chunk() {
    while (!done_) {
        uint64_t total = src_->size();
        if (offset_ == total) {
            done_ = true;
            break;
        }
        uint64_t at = offset_;
        if (total - at < sizeof(ChunkHeader)) {
            torn_ = true;
            done_ = true;
            warn("torn tail at byte " + std::to_string(at) + " (" + std::to_string(total - at) +
                 " bytes of an incomplete chunk header); recording was cut short, earlier chunks are intact");
            break;
        }
        ChunkHeader h{};
        KILN_TRY(src_->read_at(at, &h, sizeof h));
        if (h.sync != kChunkSync || (kCheckCrc && h.header_crc != chunk_header_crc(h))) {
            done_ = true;
            warn("corrupt chunk header at byte " + std::to_string(at) + "; ignoring the rest of the file");
            break;
        }
        if (h.raw_size > kMaxChunkRawSize || h.payload_size > kMaxChunkRawSize + (kMaxChunkRawSize >> 4)) {
            done_ = true;
            warn("chunk at byte " + std::to_string(at) + " claims an impossible size; ignoring the rest of the file");
            break;
        }
        if (total - at - sizeof h < h.payload_size) {
            torn_ = true;
            done_ = true;
            warn("torn tail at byte " + std::to_string(at) + ": chunk needs " + std::to_string(h.payload_size) +
                 " bytes, " + std::to_string(total - at - sizeof h) +
                 " present; recording was cut short, earlier chunks are intact");
            break;
        }
        offset_ = at + sizeof h + h.payload_size;
        if (!is_known_chunk_type(h.type)) {
            ++skipped_unknown_;
            continue;
        }
        if (!(wanted_types_ >> h.type & 1)) continue;  // not read at all
        // Buffers only grow: resizing down and up again would zero-fill them per chunk.
        if (payload_.size() < h.payload_size) payload_.resize(h.payload_size);
        const std::span<const uint8_t> payload(payload_.data(), h.payload_size);
        KILN_TRY(src_->read_at(at + sizeof h, payload_.data(), payload.size()));
        uint32_t crc = static_cast<uint32_t>(crc32(0, payload.data(), static_cast<uInt>(payload.size())));
        if (kCheckCrc && crc != h.payload_crc) {
            warn("chunk at byte " + std::to_string(at) + " fails its checksum; skipped");
            continue;
        }
        std::span<const uint8_t> data;
        if (h.compression == static_cast<uint16_t>(Compression::kNone)) {
            if (h.payload_size != h.raw_size) {
                warn("uncompressed chunk at byte " + std::to_string(at) + " has inconsistent sizes; skipped");
                continue;
            }
            data = payload;
            last_buffer_ = &payload_;
        } else if (h.compression == static_cast<uint16_t>(Compression::kZstd)) {
            if (raw_.size() < h.raw_size) raw_.resize(h.raw_size);
            size_t n = ZSTD_decompressDCtx(dctx_.get(), raw_.data(), h.raw_size, payload.data(), payload.size());
            if (ZSTD_isError(n) || n != h.raw_size) {
                warn("chunk at byte " + std::to_string(at) + " does not decompress (" +
                     (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size mismatch") + "); skipped");
                continue;
            }
            data = std::span<const uint8_t>(raw_.data(), n);
            last_buffer_ = &raw_;
        } else {
            warn("chunk at byte " + std::to_string(at) + " uses unknown compression " +
                 std::to_string(h.compression) + "; skipped");
            continue;
        }
        return std::optional<Chunk>(Chunk{static_cast<ChunkType>(h.type), at, data});
    }
    return std::optional<Chunk>();
}

Result<std::optional<Chunk>> RecordingReader::next() {
    last_buffer_ = nullptr;
    return read_chunk();
}

void RecordingReader::swap_chunk_buffer(std::vector<uint8_t>& buffer) {
    if (last_buffer_) last_buffer_->swap(buffer);
    last_buffer_ = nullptr;
}

}  // namespace kiln::format
