// The monitor's history (history_ring.h), the records it keeps aside (essential_records.h) and
// a dump of it (history_dump.h), read back with the recording reader.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "formats/byte_io.h"
#include "formats/kiln_format.h"
#include "formats/perf_records.h"
#include "formats/recording_reader.h"
#include "formats/recording_stats.h"
#include "formats/sideband.h"
#include "recorder/essential_records.h"
#include "recorder/history_dump.h"
#include "recorder/history_ring.h"

namespace kiln::recorder {
namespace {

using kiln::ByteWriter;

// A record as the kernel lays it out: header, body, a NUL-padded string, an 8-byte sample_id.
std::vector<uint8_t> record(uint32_t type, const std::function<void(ByteWriter&)>& body, const std::string& text = "") {
    ByteWriter w;
    w.u32(type);
    w.u16(0);
    w.u16(0);
    body(w);
    if (!text.empty()) {
        w.raw(text.data(), text.size());
        for (size_t pad = 8 - text.size() % 8; pad > 0; --pad) w.u8(0);
    }
    w.u64(0);
    std::vector<uint8_t> bytes = w.take();
    const auto size = static_cast<uint16_t>(bytes.size());
    std::memcpy(bytes.data() + 6, &size, 2);
    return bytes;
}

std::vector<uint8_t> comm(uint32_t pid, uint32_t tid, const std::string& name) {
    return record(PERF_RECORD_COMM, [&](ByteWriter& w) { w.u32(pid), w.u32(tid); }, name);
}

std::vector<uint8_t> task(uint32_t type, uint32_t pid, uint32_t tid) {
    return record(type, [&](ByteWriter& w) { w.u32(pid), w.u32(1), w.u32(tid), w.u32(1), w.u64(0); });
}

std::vector<uint8_t> mmap2(uint32_t pid, const std::string& file) {
    return record(PERF_RECORD_MMAP2, [&](ByteWriter& w) {
        w.u32(pid), w.u32(pid), w.u64(0x400000), w.u64(0x1000), w.u64(0);
        w.u32(8), w.u32(1), w.u64(1234), w.u64(0);
        w.u32(PROT_READ | PROT_EXEC), w.u32(MAP_PRIVATE);
    }, file);
}

void add(EssentialRecords& e, const std::vector<uint8_t>& rec, uint64_t sequence) {
    perf_event_header h;
    std::memcpy(&h, rec.data(), sizeof h);
    e.add(h, rec.data(), sequence);
}

// (type, pid, tid) of every record in the payloads, round ends left out.
std::vector<std::tuple<uint32_t, uint32_t, uint32_t>> contents(const std::vector<std::vector<uint8_t>>& payloads) {
    std::vector<std::tuple<uint32_t, uint32_t, uint32_t>> out;
    for (const auto& p : payloads) {
        EXPECT_TRUE(format::for_each_record(p, [&](const perf_event_header& h, std::span<const uint8_t> rec) {
                        if (h.type == PERF_RECORD_COMM) {
                            auto c = format::parse_comm(rec);
                            out.emplace_back(h.type, c->pid, c->tid);
                        } else if (h.type == PERF_RECORD_FORK || h.type == PERF_RECORD_EXIT) {
                            auto t = format::parse_task(rec);
                            out.emplace_back(h.type, t->pid, t->tid);
                        } else if (h.type == PERF_RECORD_MMAP2) {
                            auto m = format::parse_mmap(rec);
                            out.emplace_back(h.type, m->pid, m->tid);
                        }
                    }).ok());
        // Each payload ends a round, as the drain loop's chunks do.
        perf_event_header last;
        std::memcpy(&last, p.data() + p.size() - sizeof last, sizeof last);
        EXPECT_EQ(last.type, format::kRecordRoundEnd);
    }
    return out;
}

TEST(EssentialRecords, KeepsWhatRunsAndForgetsWhatExitedBeforeTheOldestChunk) {
    EssentialRecords e;
    add(e, comm(10, 10, "long_lived"), 1);
    add(e, mmap2(10, "/usr/bin/long_lived"), 1);
    add(e, task(PERF_RECORD_FORK, 20, 20), 2);
    add(e, comm(20, 20, "short"), 2);
    add(e, task(PERF_RECORD_FORK, 10, 11), 2);  // a thread of 10
    add(e, task(PERF_RECORD_EXIT, 10, 11), 3);  // ... that ends
    add(e, task(PERF_RECORD_EXIT, 20, 20), 4);  // process 20 ends
    add(e, comm(20, 20, "reused_pid"), 6);      // pid 20 again, later
    add(e, comm(10, 12, "late_thread"), 7);
    EXPECT_EQ(e.count(), 9u);

    // Nothing exited before chunk 3: all kept.
    EXPECT_TRUE(e.prune(3).empty());
    EXPECT_EQ(e.count(), 9u);
    // The thread exited in chunk 3: its FORK and EXIT go; process 20 exited in chunk 4, kept.
    EXPECT_TRUE(e.prune(4).empty());
    EXPECT_EQ(e.count(), 7u);
    // Process 20's first life goes (and is said to go); its second (the reused pid) stays.
    EXPECT_EQ(e.prune(5), std::vector<uint32_t>{20});
    EXPECT_TRUE(e.prune(5).empty());
    using T = std::tuple<uint32_t, uint32_t, uint32_t>;
    EXPECT_EQ(contents(e.payloads_before(100, 1 << 20)),
              (std::vector<T>{{PERF_RECORD_COMM, 10, 10}, {PERF_RECORD_MMAP2, 10, 10}, {PERF_RECORD_COMM, 20, 20},
                              {PERF_RECORD_COMM, 10, 12}}));
    // Only what came before the dump's first chunk: the rest is in the dump's own chunks.
    EXPECT_EQ(contents(e.payloads_before(7, 1 << 20)),
              (std::vector<T>{{PERF_RECORD_COMM, 10, 10}, {PERF_RECORD_MMAP2, 10, 10}, {PERF_RECORD_COMM, 20, 20}}));
    EXPECT_TRUE(e.payloads_before(1, 1 << 20).empty());
}

TEST(EssentialRecords, PayloadsStayUnderTheirSize) {
    EssentialRecords e;
    for (uint32_t pid = 1; pid <= 1000; ++pid) add(e, comm(pid, pid, std::string("p").append(std::to_string(pid))), 1);
    const auto payloads = e.payloads_before(2, 4096);
    EXPECT_GT(payloads.size(), 5u);
    for (const auto& p : payloads) EXPECT_LE(p.size(), 4096u);
    EXPECT_EQ(contents(payloads).size(), 1000u);
}

std::unique_ptr<ChunkBuffer> chunk(format::ChunkType type, size_t bytes, uint64_t sequence, uint64_t started_ns,
                                   uint64_t ended_ns, uint8_t fill) {
    auto b = std::make_unique<ChunkBuffer>();
    b->type = type;
    b->pooled = false;
    b->sideband.assign(bytes, fill);
    b->sequence = sequence;
    b->samples = 10 * sequence;
    b->started_ns = started_ns;
    b->ended_ns = ended_ns;
    return b;
}

std::vector<uint8_t> decompressed(const StoredChunk& c) {
    if (c.compression == format::Compression::kNone) return c.payload;
    std::vector<uint8_t> out(c.raw_size);
    const size_t n = ZSTD_decompress(out.data(), out.size(), c.payload.data(), c.payload.size());
    EXPECT_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
}

constexpr uint64_t kSec = 1'000'000'000;

TEST(HistoryRing, DropsChunksPastItsSpanAndKeepsThePinnedSideband) {
    HistoryRing h(1, 5 * kSec, 1ull << 30);
    ASSERT_TRUE(h.store(*chunk(format::ChunkType::kProcSnapshot, 1000, 0, 1, 1, 's')).ok());
    for (uint64_t s = 1; s <= 10; ++s)
        ASSERT_TRUE(h.store(*chunk(format::ChunkType::kPerfRecords, 5000, s, (s - 1) * kSec, s * kSec, static_cast<uint8_t>(s))).ok());
    EXPECT_EQ(h.held().chunks, 10u);
    h.expire(12 * kSec);  // chunks that ended before 7 s go
    EXPECT_EQ(h.held().chunks, 4u);
    EXPECT_EQ(h.oldest_sequence(), 7u);
    auto snap = h.snapshot(8 * kSec);
    ASSERT_EQ(snap.pinned.size(), 1u);
    EXPECT_EQ(snap.pinned[0]->type, format::ChunkType::kProcSnapshot);
    ASSERT_EQ(snap.series.size(), 3u);
    EXPECT_EQ(snap.series[0]->sequence, 8u);
    EXPECT_EQ(decompressed(*snap.series[0]), std::vector<uint8_t>(5000, 8));
    EXPECT_LT(snap.series[0]->payload.size(), 5000u);  // stored compressed
}

TEST(HistoryRing, StaysWithinItsBytesCountingWhatTheCallerReserves) {
    const uint64_t limit = 200'000;
    HistoryRing h(0, 1000 * kSec, limit);  // level 0: stored as is, so sizes are exact
    h.set_reserved_bytes(50'000);
    for (uint64_t s = 1; s <= 100; ++s) {
        ASSERT_TRUE(h.store(*chunk(format::ChunkType::kPerfRecords, 10'000, s, s, s + 1, 1)).ok());
        EXPECT_LE(h.held().bytes + 50'000, limit);
    }
    EXPECT_EQ(h.held().chunks, 15u);
    EXPECT_EQ(h.held().dropped_for_bytes, 85u);
    EXPECT_EQ(h.oldest_sequence(), 86u);
}

TEST(HistoryDump, IsARecordingWithTheWindowAndWhatCameBefore) {
    HistoryRing h(1, 100 * kSec, 1ull << 30);
    ASSERT_TRUE(h.store(*chunk(format::ChunkType::kModules, 100, 0, 1, 1, 'm')).ok());
    for (uint64_t s = 1; s <= 5; ++s)
        ASSERT_TRUE(h.store(*chunk(format::ChunkType::kPerfRecords, 3000, s, s * kSec, (s + 1) * kSec, 0)).ok());
    EssentialRecords e;
    add(e, comm(42, 42, "before_window"), 1);
    add(e, comm(43, 43, "in_window"), 4);

    DumpContents c;
    c.header.hostname = "test-host";
    c.header.start_time_ns = 4 * kSec;
    c.history = h.snapshot(5 * kSec);  // chunks 4 and 5
    c.essentials = e.payloads_before(c.history.series.front()->sequence, 1 << 20);
    c.stats = dump_stats(c.history, 0);
    const std::string path = ::testing::TempDir() + "/history_dump_" + std::to_string(::getpid()) + ".kiln";
    std::filesystem::remove(path);
    auto bytes = write_dump(path, c);
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    EXPECT_EQ(*bytes, std::filesystem::file_size(path));

    auto reader = format::RecordingReader::open(path);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    EXPECT_EQ((*reader)->header().hostname, "test-host");
    EXPECT_EQ((*reader)->header().start_time_ns, 4 * kSec);
    std::vector<format::ChunkType> types;
    std::vector<std::vector<uint8_t>> perf;
    format::RecordingStats stats;
    for (;;) {
        auto next = (*reader)->next();
        ASSERT_TRUE(next.ok()) << next.error().message;
        if (!*next) break;
        types.push_back((*next)->type);
        if ((*next)->type == format::ChunkType::kPerfRecords) perf.emplace_back((*next)->data.begin(), (*next)->data.end());
        if ((*next)->type == format::ChunkType::kStats) stats = *format::decode_recording_stats((*next)->data);
    }
    using format::ChunkType;
    EXPECT_EQ(types, (std::vector<ChunkType>{ChunkType::kModules, ChunkType::kPerfRecords, ChunkType::kPerfRecords,
                                             ChunkType::kPerfRecords, ChunkType::kStats}));
    ASSERT_EQ(perf.size(), 3u);
    EXPECT_EQ(contents({perf[0]}).size(), 1u);  // the essentials: only the COMM from before
    EXPECT_EQ(perf[1], std::vector<uint8_t>(3000, 0));
    EXPECT_EQ(stats.samples, 40u + 50u);
    EXPECT_EQ(stats.end_time_ns, 6 * kSec);
    EXPECT_EQ(stats.stop_reason, static_cast<uint32_t>(format::StopReason::kMonitorDump));
    std::filesystem::remove(path);
}

TEST(HistoryDump, AFailedDumpLeavesNoFile) {
    DumpContents c;
    auto bytes = write_dump("/proc/kiln-cannot-write-here.kiln", c);
    EXPECT_FALSE(bytes.ok());
}

}  // namespace
}  // namespace kiln::recorder
