// Container round trips and the reader's handling of hostile bytes.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include <cstdio>
#include <cstring>
#include <linux/perf_event.h>

#include <zstd.h>

#include "formats/archived_binary.h"
#include "formats/chunk_compressor.h"
#include "formats/chunk_writer.h"
#include "formats/recording_reader.h"
#include "formats/recording_stats.h"
#include "formats/sideband.h"

using namespace kiln;
using namespace kiln::format;

namespace {

RecordingHeader sample_header() {
    RecordingHeader h;
    h.kiln_version = "test";
    h.hostname = "host";
    h.kernel_release = "6.1.0";
    h.arch = "x86_64";
    h.start_time_ns = 123;
    h.cpu_count = 2;
    h.target = format::TargetKind::kCommand;
    h.command_line = {"kiln", "record", "--", "true"};
    EventDescription e;
    e.name = "cpu-clock";
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID;
    e.attr.assign(reinterpret_cast<uint8_t*>(&attr), reinterpret_cast<uint8_t*>(&attr) + sizeof attr);
    e.ids = {7, 8};
    e.is_clock = true;
    h.events.push_back(e);
    return h;
}

// Writes a file through ChunkWriter and returns its bytes.
std::vector<uint8_t> write_file(const std::function<void(ChunkWriter&)>& body, int level = 3) {
    char path[] = "/tmp/kiln_chunk_XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    {
        ChunkWriter w(fd, path, level);
        EXPECT_TRUE(w.write_preamble().ok());
        EXPECT_TRUE(w.write_chunk(ChunkType::kHeader, encode(sample_header())).ok());
        body(w);
    }
    std::vector<uint8_t> bytes(static_cast<size_t>(lseek(fd, 0, SEEK_END)));
    EXPECT_EQ(pread(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
    close(fd);
    unlink(path);
    return bytes;
}

std::vector<std::vector<uint8_t>> read_all(std::vector<uint8_t> bytes, std::vector<std::string>* warnings = nullptr) {
    auto r = RecordingReader::from_source(memory_source(std::move(bytes)), "mem");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::vector<std::vector<uint8_t>> out;
    if (!r.ok()) return out;
    for (;;) {
        auto c = (*r)->next();
        EXPECT_TRUE(c.ok());
        if (!c.ok() || !c->has_value()) break;
        out.emplace_back((*c)->data.begin(), (*c)->data.end());
    }
    if (warnings) *warnings = (*r)->warnings();
    return out;
}

// Files of this process may not grow past `bytes` (writes fail with EFBIG, not SIGXFSZ) until
// the end of the scope: a disk that fills, without a file system to fill.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        getrlimit(RLIMIT_FSIZE, &old_);
        old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit lower = old_;
        lower.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &lower);
    }
    ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &old_);
        std::signal(SIGXFSZ, old_handler_);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

private:
    rlimit old_{};
    void (*old_handler_)(int) = SIG_DFL;
};

}  // namespace

TEST(ChunkIo, AChunkThatDoesNotFitIsCutOffAndTheFileEndsWithItsLastWholeChunk) {
    uint64_t whole = 0;
    auto bytes = write_file(
        [&](ChunkWriter& w) {
            ASSERT_TRUE(w.write_chunk(ChunkType::kPerfRecords, std::vector<uint8_t>(100, 1)).ok());
            whole = w.bytes_written();
            {
                // Room for the next chunk's header and part of its payload: a torn write.
                FileSizeLimit limit(whole + sizeof(ChunkHeader) + 200);
                Status s = w.write_chunk(ChunkType::kPerfRecords, std::vector<uint8_t>(4000, 2));
                ASSERT_FALSE(s.ok());
                EXPECT_NE(s.error().message.find(std::strerror(EFBIG)), std::string::npos) << s.error().message;
                EXPECT_EQ(w.failed_errno(), EFBIG);
                EXPECT_EQ(w.bytes_written(), whole);
            }
            // Cut back where it began: the next chunk follows the last whole one.
            ASSERT_TRUE(w.write_chunk(ChunkType::kPerfRecords, std::vector<uint8_t>(50, 3)).ok());
        },
        /*level=*/0);
    std::vector<std::string> warnings;
    auto chunks = read_all(bytes, &warnings);
    ASSERT_EQ(chunks.size(), 2u);  // after the HEADER, which opening the file reads
    EXPECT_EQ(chunks[0], std::vector<uint8_t>(100, 1));
    EXPECT_EQ(chunks[1], std::vector<uint8_t>(50, 3));
    EXPECT_TRUE(warnings.empty()) << warnings.front();
    EXPECT_EQ(bytes.size(), whole + sizeof(ChunkHeader) + 50);
}

TEST(ChunkIo, HeaderRoundTrips) {
    auto bytes = write_file([](ChunkWriter&) {});
    auto r = RecordingReader::from_source(memory_source(bytes), "mem");
    ASSERT_TRUE(r.ok());
    const auto& h = (*r)->header();
    EXPECT_EQ(h.hostname, "host");
    EXPECT_EQ(h.command_line.size(), 4u);
    ASSERT_EQ(h.events.size(), 1u);
    EXPECT_EQ(h.events[0].name, "cpu-clock");
    EXPECT_EQ(h.events[0].ids, (std::vector<uint64_t>{7, 8}));
    EXPECT_TRUE(h.events[0].is_clock);
    EXPECT_EQ((*r)->version_major(), kVersionMajor);
}

TEST(ChunkIo, ChunksRoundTripCompressedAndStored) {
    for (int level : {0, 1, 3}) {
        std::vector<uint8_t> payload(100000);
        for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7 % 13);
        auto bytes = write_file([&](ChunkWriter& w) {
            ASSERT_TRUE(w.write_chunk(ChunkType::kPerfRecords, payload).ok());
            ASSERT_TRUE(w.write_chunk(ChunkType::kStats, encode(RecordingStats{})).ok());
        }, level);
        std::vector<std::string> warnings;
        auto chunks = read_all(bytes, &warnings);
        ASSERT_EQ(chunks.size(), 2u) << "level " << level;
        EXPECT_EQ(chunks[0], payload);
        EXPECT_TRUE(warnings.empty());
        if (level > 0) {
            EXPECT_LT(bytes.size(), payload.size() / 4);
        }
    }
}

// A payload compressed before (the recorder's cached kernel symbols) reads back like any
// other chunk, whatever level the writer itself uses, and makes the same file.
TEST(ChunkIo, PrecompressedChunksReadBack) {
    std::vector<uint8_t> payload(50000);
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 11 % 17);
    std::vector<uint8_t> frame(ZSTD_compressBound(payload.size()));
    frame.resize(ZSTD_compress(frame.data(), frame.size(), payload.data(), payload.size(), 1));
    for (int level : {0, 1}) {
        auto bytes = write_file([&](ChunkWriter& w) {
            ASSERT_TRUE(w.write_compressed_chunk(ChunkType::kKallsymsFolded, payload.size(), frame).ok());
            EXPECT_GE(w.raw_bytes_written(), payload.size());
        }, level);
        std::vector<std::string> warnings;
        auto chunks = read_all(bytes, &warnings);
        ASSERT_EQ(chunks.size(), 1u) << "level " << level;
        EXPECT_EQ(chunks[0], payload);
        EXPECT_TRUE(warnings.empty());
    }
    auto same = write_file([&](ChunkWriter& w) { ASSERT_TRUE(w.write_chunk(ChunkType::kKallsymsFolded, payload).ok()); }, 1);
    auto pre = write_file([&](ChunkWriter& w) {
        ASSERT_TRUE(w.write_compressed_chunk(ChunkType::kKallsymsFolded, payload.size(), frame).ok());
    }, 1);
    EXPECT_EQ(same, pre) << "the same chunk, byte for byte";
    // A frame that does not hold raw_size bytes is the reader's to refuse, with a warning.
    auto wrong = write_file([&](ChunkWriter& w) {
        ASSERT_TRUE(w.write_compressed_chunk(ChunkType::kKallsymsFolded, payload.size() + 1, frame).ok());
    }, 1);
    std::vector<std::string> warnings;
    EXPECT_TRUE(read_all(wrong, &warnings).empty());
    EXPECT_FALSE(warnings.empty());
}

TEST(ChunkIo, UnknownChunkTypesAreSkipped) {
    auto bytes = write_file([](ChunkWriter& w) {
        ASSERT_TRUE(w.write_chunk(static_cast<ChunkType>(999), std::vector<uint8_t>(10, 1)).ok());
        ASSERT_TRUE(w.write_chunk(ChunkType::kPerfRecords, std::vector<uint8_t>(10, 2)).ok());
    });
    auto r = RecordingReader::from_source(memory_source(bytes), "mem");
    ASSERT_TRUE(r.ok());
    auto c = (*r)->next();
    ASSERT_TRUE(c.ok() && c->has_value());
    EXPECT_EQ((*c)->type, ChunkType::kPerfRecords);
    EXPECT_EQ((*r)->skipped_unknown_chunks(), 1u);
}

TEST(ChunkIo, NewerMajorVersionFailsClearly) {
    auto bytes = write_file([](ChunkWriter&) {});
    FilePreamble pre;
    std::memcpy(&pre, bytes.data(), sizeof pre);
    pre.version_major = kVersionMajor + 1;
    std::memcpy(bytes.data(), &pre, sizeof pre);
    auto r = RecordingReader::from_source(memory_source(bytes), "new.kiln");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("newer than this kiln reads"), std::string::npos) << r.error().message;
}

TEST(ChunkIo, NotAKilnFile) {
    std::vector<uint8_t> perf = {'P', 'E', 'R', 'F', 'I', 'L', 'E', '2', 0, 0, 0, 0, 0, 0, 0, 0};
    auto r = RecordingReader::from_source(memory_source(perf), "perf.data");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("perf.data"), std::string::npos);
    auto empty = RecordingReader::from_source(memory_source({}), "empty");
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(empty.error().message.find("too short"), std::string::npos);
}

TEST(ChunkIo, CorruptPayloadIsSkippedWithWarning) {
    std::vector<uint8_t> a(5000, 1), b(5000, 2);
    size_t second_payload_at = 0;
    auto bytes = write_file([&](ChunkWriter& w) {
        ASSERT_TRUE(w.write_chunk(ChunkType::kPerfRecords, a).ok());
        second_payload_at = w.bytes_written() + sizeof(ChunkHeader);
        ASSERT_TRUE(w.write_chunk(ChunkType::kPerfRecords, b).ok());
        ASSERT_TRUE(w.write_chunk(ChunkType::kPerfRecords, a).ok());
    });
    bytes[second_payload_at + 3] ^= 0xff;
    std::vector<std::string> warnings;
    auto chunks = read_all(bytes, &warnings);
    ASSERT_EQ(chunks.size(), 2u);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("checksum"), std::string::npos);
}

TEST(ChunkIo, TornTailKeepsWholeChunks) {
    // Incompressible, so the last chunk is longer than every cut below.
    std::vector<uint8_t> a(5000);
    uint32_t x = 12345;
    for (auto& b : a) b = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 24);
    auto bytes = write_file([&](ChunkWriter& w) {
        for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.write_chunk(ChunkType::kPerfRecords, a).ok());
    });
    size_t whole = read_all(bytes).size();
    ASSERT_EQ(whole, 3u);
    for (size_t cut = 1; cut < 60; ++cut) {
        std::vector<uint8_t> torn(bytes.begin(), bytes.end() - static_cast<long>(cut));
        auto r = RecordingReader::from_source(memory_source(torn), "torn");
        ASSERT_TRUE(r.ok());
        size_t n = 0;
        for (;;) {
            auto c = (*r)->next();
            ASSERT_TRUE(c.ok());
            if (!c->has_value()) break;
            ++n;
        }
        EXPECT_EQ(n, 2u);
        EXPECT_TRUE((*r)->torn());
        ASSERT_FALSE((*r)->warnings().empty());
        EXPECT_NE((*r)->warnings()[0].find("torn tail"), std::string::npos);
    }
}

TEST(ChunkIo, StatsRoundTrip) {
    RecordingStats s;
    s.samples = 42;
    s.lost_records = 3;
    s.exit_status = 9;
    s.stop_reason = static_cast<uint32_t>(StopReason::kSignal);
    auto d = decode_recording_stats(encode(s));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->samples, 42u);
    EXPECT_EQ(d->lost_records, 3u);
    EXPECT_EQ(d->exit_status, 9);
    auto bytes = encode(s);
    for (size_t n = 0; n < bytes.size(); ++n)
        EXPECT_FALSE(decode_recording_stats(std::span<const uint8_t>(bytes.data(), n)).ok());
}

TEST(ChunkIo, HeaderDecodeRejectsEveryTruncation) {
    const RecordingHeader h = sample_header();
    auto bytes = encode(h);
    // One cut is a whole header: right after the events, where headers written before the
    // trailing tracepoint formats ended (SPEC.md). Every other cut fails.
    size_t trailer = 4;
    for (const auto& e : h.events) trailer += 4 + e.tracepoint_format.size();
    const size_t legacy_end = bytes.size() - trailer;
    for (size_t n = 0; n < bytes.size(); ++n)
        EXPECT_EQ(decode_recording_header(std::span<const uint8_t>(bytes.data(), n)).ok(), n == legacy_end) << n;
}

// BINARY chunks (4.2): scan() visits them wherever they are and leaves next() where it was;
// all_types_but() steps over them without reading them.
TEST(ChunkIo, ScanFindsArchivedBinariesAndLeavesTheStreamWhereItWas) {
    const std::vector<uint8_t> id{0xab, 0xcd, 0xef}, elf{0x7f, 'E', 'L', 'F', 1, 2, 3};
    auto bytes = write_file([&](ChunkWriter& w) {
        ASSERT_TRUE(w.write_chunk(ChunkType::kStats, encode(RecordingStats{})).ok());
        ASSERT_TRUE(w.write_chunk(ChunkType::kBinary, encode_archived_binary(id, "/app/bin", elf)).ok());
        ASSERT_TRUE(w.write_chunk(ChunkType::kPerfMap, encode(PerfMapFile{7, "1000 10 jitted\n"})).ok());
    });
    auto r = RecordingReader::from_source(memory_source(bytes), "mem");
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto first = (*r)->next();
    ASSERT_TRUE(first.ok() && first->has_value());
    EXPECT_EQ((*first)->type, ChunkType::kStats);
    int seen = 0;
    ASSERT_TRUE((*r)->scan(ChunkType::kBinary, [&](const Chunk& c) {
                    auto bin = decode_archived_binary(c.data);
                    ASSERT_TRUE(bin.ok()) << bin.error().message;
                    EXPECT_EQ(std::vector<uint8_t>(bin->build_id.begin(), bin->build_id.end()), id);
                    EXPECT_EQ(bin->path, "/app/bin");
                    EXPECT_EQ(std::vector<uint8_t>(bin->bytes.begin(), bin->bytes.end()), elf);
                    ++seen;
                }).ok());
    EXPECT_EQ(seen, 1);
    (*r)->all_types_but(ChunkType::kBinary);
    auto next = (*r)->next();
    ASSERT_TRUE(next.ok() && next->has_value());
    EXPECT_EQ((*next)->type, ChunkType::kPerfMap) << "the binary chunk is stepped over, the stream goes on";
}

TEST(ChunkIo, ArchivedBinaryPayloadsAreCheckedBeforeUse) {
    const std::vector<uint8_t> id(20, 0x11), elf(100, 0x22);
    const auto whole = encode_archived_binary(id, "/bin/x", elf);
    ASSERT_TRUE(decode_archived_binary(whole).ok());
    for (size_t cut = 0; cut < whole.size(); cut += 7)
        EXPECT_FALSE(decode_archived_binary(std::span(whole).first(cut)).ok()) << cut;
    EXPECT_FALSE(decode_archived_binary(encode_archived_binary({}, "/bin/x", elf)).ok()) << "no build-id";
    EXPECT_FALSE(decode_archived_binary(encode_archived_binary(std::vector<uint8_t>(65, 1), "/bin/x", elf)).ok());
}

// Chunks under kSmallChunkBytes take the small-chunk level, larger ones the level (each gives
// what a compressor of that one level does); both decompress to the input.
TEST(ChunkIo, SmallChunksTakeTheirOwnLevel) {
    std::vector<uint8_t> small(kSmallChunkBytes - 4096), large(kSmallChunkBytes + 4096);
    uint64_t x = 88172645463325252ull;
    for (auto* buf : {&small, &large})
        for (size_t i = 0; i < buf->size(); ++i) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            (*buf)[i] = static_cast<uint8_t>(i % 24 < 8 ? x % 16 : i % 24);  // records-like: noise and structure
        }
    auto size_at = [](int level, int small_level, const std::vector<uint8_t>& raw) {
        ChunkCompressor c(level, small_level);
        auto out = c.compress(raw);
        EXPECT_TRUE(out.ok());
        std::vector<uint8_t> back(raw.size());
        EXPECT_EQ(ZSTD_decompress(back.data(), back.size(), out->bytes.data(), out->bytes.size()), raw.size());
        EXPECT_EQ(back, raw);
        return out->bytes.size();
    };
    EXPECT_NE(size_at(1, 9, small), size_at(1, 0, small));
    EXPECT_EQ(size_at(1, 9, small), size_at(9, 0, small));
    EXPECT_EQ(size_at(1, 9, large), size_at(1, 0, large)) << "a chunk of kSmallChunkBytes or more keeps the level";
}
