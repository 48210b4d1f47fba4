// Every major version of the format stays readable: the fuzz seeds are real recordings of
// formats 1.0 to 4.0 (stack deltas from 2.0, callchain deltas from 3.0, sample deltas from 4.0),
// and a reader of today must count their samples as the recorder of their day wrote them, with
// no delta record dropped.
#include <gtest/gtest.h>

#include <string>

#include "formats/recording_reader.h"
#include "formats/recording_summary.h"

using namespace kiln::format;

namespace {

struct Seed {
    const char* file;
    uint16_t major;
    uint64_t samples, with_callchain, with_stack;
};

}  // namespace

TEST(OldRecordings, EveryMajorVersionReadsWithoutDroppingDeltas) {
    const Seed seeds[] = {
        {"small_dwarf_recording.kiln", 1, 38, 0, 38},
        {"stack_delta_recording.kiln", 2, 20, 1, 20},
        {"callchain_delta_recording.kiln", 3, 37, 37, 0},
        {"sample_delta_recording.kiln", 4, 77, 77, 0},
    };
    for (const auto& seed : seeds) {
        SCOPED_TRACE(seed.file);
        auto reader = RecordingReader::open(std::string(KILN_FUZZ_CORPUS) + "/" + seed.file);
        ASSERT_TRUE(reader.ok()) << reader.error().message;
        EXPECT_EQ((*reader)->version_major(), seed.major);
        auto s = summarize(**reader);
        ASSERT_TRUE(s.ok()) << s.error().message;
        EXPECT_EQ(s->samples, seed.samples);
        EXPECT_EQ(s->samples_with_callchain, seed.with_callchain);
        EXPECT_EQ(s->samples_with_stack, seed.with_stack);
        for (const auto& w : s->warnings) EXPECT_EQ(w.find("dropped"), std::string::npos) << w;
        EXPECT_FALSE(s->processes.empty());
    }
}
