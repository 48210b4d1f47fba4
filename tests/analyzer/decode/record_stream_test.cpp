#include "analyzer/decode/record_stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "formats/chunk_writer.h"
#include "formats/counters.h"

#include "tests/analyzer/recording_script.h"
#include "tests/temp_dir.h"

namespace kiln::analyzer {
namespace {

class TimeRecorder final : public RecordVisitor {
public:
    void snapshot(const format::ProcessSnapshot&) override {}
    void record(const perf_event_header& h, std::span<const uint8_t>, int, uint64_t time) override {
        EXPECT_NE(h.type, format::kRecordRoundEnd) << "round markers are not records";
        if (h.type == PERF_RECORD_SAMPLE) sample_times.push_back(time);
        times.push_back(time);
    }
    std::vector<uint64_t> times, sample_times;
};

TEST(RecordStream, DeliversRecordsOfARoundInTimeOrder) {
    // Samples written newest first within rounds, as rings of different CPUs may.
    const std::string script =
        "event cpu-clock clock 1000\n"
        "sample 3000 1 1 0 1 a:0x1000\n"
        "sample 1000 1 1 1 1 a:0x1000\n"
        "sample 2000 1 1 0 1 a:0x1000\n"
        "round\n"
        "sample 5000 1 1 0 1 a:0x1000\n"
        "sample 4000 1 1 1 1 a:0x1000\n"
        "round\n"
        "sample 6000 1 1 1 1 a:0x1000\n";
    const kiln::test::TempDir tmp;
    const std::string path = tmp.path("order.kiln");
    ASSERT_TRUE(kiln::testing::write_recording_from_script(script, path).ok());
    auto reader = format::RecordingReader::open(path);
    ASSERT_TRUE(reader.ok());
    TimeRecorder v;
    auto r = stream_recording(**reader, v);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(v.sample_times.size(), 6u);
    for (size_t i = 0; i < 6; ++i) EXPECT_EQ(v.sample_times[i], 1'000'000'000'000ull + 1000 * (i + 1));
    EXPECT_TRUE(r->sideband.has_stats);
}

// COUNTERS chunks come out as one list of snapshots in time order, with the chunk's clock
// ticks and interval; a corrupt one is a warning and the others still count.
TEST(RecordStream, CollectsCounterSnapshotsAndWarnsOnACorruptChunk) {
    const kiln::test::TempDir tmp;
    const std::string path = tmp.path("counters.kiln");
    format::RecordingHeader h;
    h.kiln_version = "test";
    h.start_time_ns = 1000;
    format::CounterChunk later, earlier;
    later.ticks_per_second = earlier.ticks_per_second = 250;
    later.interval_ns = earlier.interval_ns = 50'000'000;
    later.snapshots.resize(1);
    later.snapshots[0].time_ns = 3000;
    later.snapshots[0].machine.procs_running = 3;
    earlier.snapshots.resize(2);
    earlier.snapshots[0].time_ns = 1000;
    earlier.snapshots[1].time_ns = 2000;
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    format::ChunkWriter w(fd, path, 1);
    ASSERT_TRUE(w.write_preamble().ok());
    ASSERT_TRUE(w.write_chunk(format::ChunkType::kHeader, format::encode(h)).ok());
    ASSERT_TRUE(w.write_chunk(format::ChunkType::kCounters, format::encode(later)).ok());
    ASSERT_TRUE(w.write_chunk(format::ChunkType::kCounters, std::vector<uint8_t>{1, 0, 0, 0, 7}).ok());  // cut short
    ASSERT_TRUE(w.write_chunk(format::ChunkType::kCounters, format::encode(earlier)).ok());
    close(fd);

    auto reader = format::RecordingReader::open(path);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    TimeRecorder v;
    auto r = stream_recording(**reader, v);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& c = r->sideband.counters;
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(c[0].time_ns, 1000u);
    EXPECT_EQ(c[1].time_ns, 2000u);
    EXPECT_EQ(c[2].time_ns, 3000u);
    EXPECT_EQ(c[2].machine.procs_running, 3u);
    EXPECT_EQ(r->sideband.counter_ticks_per_second, 250u);
    EXPECT_EQ(r->sideband.counter_interval_ns, 50'000'000u);
    ASSERT_EQ(r->warnings.size(), 1u);
    EXPECT_NE(r->warnings[0].find("counters chunk at byte"), std::string::npos) << r->warnings[0];
}

}  // namespace
}  // namespace kiln::analyzer
