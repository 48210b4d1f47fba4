// A real recording cut at every 4 KiB boundary: every prefix reads without crashing (ASan in
// CI), with no more samples than the whole, and reports the tear.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "formats/recording_summary.h"
#include "tests/tools/kiln_runner.h"

using namespace kiln;
using namespace kiln::test;

TEST(TornRecording, EveryFourKibPrefixReads) {
    TempDir tmp;
    const std::string out = tmp.path("whole.kiln");
    auto r = run({kiln_bin(), "record", "-g", "dwarf,2048", "-z", "1", "-o", out, "--", workload("cpu_split_nofp"), "0.5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ifstream f(out, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 3u * 4096);

    auto whole_reader = format::RecordingReader::from_source(format::memory_source(bytes), "whole");
    ASSERT_TRUE(whole_reader.ok());
    auto whole = format::summarize(**whole_reader);
    ASSERT_TRUE(whole.ok());
    ASSERT_GT(whole->samples, 100u);

    size_t readable = 0;
    uint64_t previous = 0;
    for (size_t cut = 4096; cut < bytes.size(); cut += 4096) {
        std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<long>(cut));
        auto reader = format::RecordingReader::from_source(format::memory_source(std::move(prefix)), "prefix");
        if (!reader.ok()) continue;  // cut inside the header chunk: a clear error, fine
        auto s = format::summarize(**reader);
        ASSERT_TRUE(s.ok()) << s.error().message;
        ++readable;
        EXPECT_LE(s->samples, whole->samples);
        EXPECT_GE(s->samples, previous) << "a longer prefix must not yield fewer samples";
        previous = s->samples;
        EXPECT_FALSE(s->stats.has_value());
    }
    EXPECT_GT(readable, 0u);
}
