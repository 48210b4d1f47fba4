#include "analyzer/decode/record_stream.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kiln::analyzer
