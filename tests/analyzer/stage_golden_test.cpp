// Goldens per analyzer stage, as quipper and perfparser keep one per stage: a script's decoded
// records (NAME.records), its unwound raw frames (NAME.frames) and its symbolized folded
// stacks (NAME.folded), for the frame-pointer script basic and the -g dwarf script dwarf.
// KILN_UPDATE_GOLDEN=1 regenerates them. The dwarf stacks are also checked, frame by frame,
// against the call chains the script described, which no regeneration can change.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "analyzer/analyze.h"
#include "tests/analyzer/golden_files.h"
#include "tests/analyzer/recording_script.h"
#include "tests/analyzer/stage_dump.h"
#include "tests/temp_dir.h"

namespace kiln::analyzer {
namespace {

using kiln::testing::ScriptFacts;

class StageGolden : public ::testing::Test {
protected:
    kiln::test::TempDir tmp_;
    ScriptFacts facts_;

    std::string recording_of(const std::string& name) {
        return kiln::testing::golden_recording(name, tmp_.path(name + ".kiln"), &facts_);
    }

    static AnalyzeOptions options() { return kiln::testing::golden_options(); }

    // Analyzes the recording; frames receives the text of every stack unwound.
    Analysis analyze(const std::string& path, std::string& frames, AnalyzeOptions o = options()) {
        frames = "# time pid/tid unwinding, then the raw frames leaf first: object, address in the script's words\n";
        o.on_stack = [&](const UnwoundStack& s) { kiln::testing::append_unwound_stack(s, facts_, frames); };
        auto a = analyze_recording(path, o);
        EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message);
        return a.ok() ? std::move(*a) : Analysis{};
    }

    void expect_records(const std::string& name, const std::string& path) {
        auto records = kiln::testing::decoded_records_text(path, facts_);
        ASSERT_TRUE(records.ok()) << records.error().message;
        kiln::testing::expect_golden(name, "records", *records);
    }
};

TEST_F(StageGolden, FramePointerScriptRecordsAndFrames) {
    const std::string path = recording_of("basic");
    expect_records("basic", path);
    std::string frames;
    const Analysis a = analyze(path, frames);
    EXPECT_EQ(a.samples_kept, 7u);
    kiln::testing::expect_golden("basic", "frames", frames);
    // basic.folded, the last stage, is Golden.UserKernelJitAndUnknownFrames.
}

#if defined(__x86_64__)
TEST_F(StageGolden, DwarfScriptEveryStage) {
    const std::string path = recording_of("dwarf");
    expect_records("dwarf", path);
    std::string frames;
    const Analysis a = analyze(path, frames);
    kiln::testing::expect_golden("dwarf", "frames", frames);
    kiln::testing::expect_golden("dwarf", "folded", kiln::testing::folded_text(a));
    EXPECT_EQ(a.samples_kept, facts_.dwarf_stacks.size());
    EXPECT_EQ(a.unwind.samples, facts_.dwarf_stacks.size());
    EXPECT_EQ(a.unparsable_samples, 0u);

    // libunwind alone (no cached CFI rules) must unwind the same stacks.
    AnalyzeOptions o = options();
    o.libunwind_only = true;
    std::string libunwind_frames;
    analyze(path, libunwind_frames, o);
    EXPECT_EQ(frames, libunwind_frames);
}

// Each dwarf stack, user frames leaf first, equals the chain its dsample line described: the
// leaf at its address, every caller at the byte before its return address; where the script
// cut the copy, the frames up to the first return address outside it, then [truncated].
TEST_F(StageGolden, DwarfStacksAreTheDescribedCallChains) {
    const std::string path = recording_of("dwarf");
    ASSERT_FALSE(facts_.dwarf_stacks.empty());
    size_t seen = 0, truncated = 0;
    AnalyzeOptions o = options();
    for (const bool libunwind_only : {false, true}) {
        o.libunwind_only = libunwind_only;
        o.on_stack = [&](const UnwoundStack& s) {
            const kiln::testing::DescribedStack* d = nullptr;
            for (const auto& c : facts_.dwarf_stacks)
                if (kiln::testing::kScriptStartNs + c.time == s.sample.time && c.tid == static_cast<int32_t>(s.sample.tid)) d = &c;
            ASSERT_NE(d, nullptr) << "a stack no dsample described, at " << s.sample.time;
            ++seen;
            std::vector<RawFrame> user;
            for (const RawFrame& f : s.frames)
                if (f.dso != kKernelDso) user.push_back(f);
            const bool whole = d->frames_in_copy == d->frames.size();
            const size_t expected = whole ? d->frames.size() : d->frames_in_copy + 1;
            ASSERT_EQ(user.size(), expected + (whole ? 0 : 1)) << "stack at " << d->time;
            for (size_t i = 0; i < expected; ++i) {
                const kiln::testing::NamedAddress& n = facts_.names[d->frames[i]];
                ASSERT_LT(user[i].dso, s.model.dsos().size()) << n.label;
                EXPECT_EQ(s.model.dsos()[user[i].dso].path, n.path) << n.label;
                EXPECT_EQ(user[i].addr, i == 0 ? n.offset : n.offset - 1) << n.label << " at " << d->time;
            }
            if (!whole) {
                EXPECT_EQ(user.back().dso, kTruncatedDso) << "stack at " << d->time;
                EXPECT_EQ(s.mark, kUnwindTruncated) << "stack at " << d->time;
                ++truncated;
            } else {
                EXPECT_EQ(s.mark, kUnwindComplete) << "stack at " << d->time;
            }
        };
        ASSERT_TRUE(analyze_recording(path, o).ok());
    }
    EXPECT_EQ(seen, 2 * facts_.dwarf_stacks.size());
    EXPECT_GT(truncated, 0u) << "the script should cut one copy short";
}
#endif

}  // namespace
}  // namespace kiln::analyzer
