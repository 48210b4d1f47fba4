// The header's target: TargetKind in code, its name in the file. Known names map both ways,
// the bytes written stay the names older kilns wrote, and an unknown name still reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "formats/recording_header.h"
#include "formats/recording_reader.h"
#include "formats/target_kind.h"

using namespace kiln::format;

namespace {

RecordingHeader header_with(RecordingTarget target) {
    RecordingHeader h;
    h.kiln_version = "test";
    h.target = std::move(target);
    h.command_line = {"kiln", "record"};
    return h;
}

bool contains(const std::vector<uint8_t>& bytes, const std::string& text) {
    return std::search(bytes.begin(), bytes.end(), text.begin(), text.end()) != bytes.end();
}

}  // namespace

TEST(TargetKind, KnownNamesMapBothWays) {
    const std::pair<TargetKind, const char*> known[] = {
        {TargetKind::kCommand, "command"},
        {TargetKind::kPid, "pid"},
        {TargetKind::kTid, "tid"},
        {TargetKind::kSystemWide, "system-wide"},
    };
    for (const auto& [kind, name] : known) {
        EXPECT_EQ(target_kind_name(kind), name);
        EXPECT_EQ(target_kind_from_name(name), kind) << name;
        EXPECT_EQ(RecordingTarget(kind).name(), name);
    }
    EXPECT_EQ(target_kind_name(TargetKind::kUnknown), "");
    EXPECT_EQ(target_kind_from_name("cgroup"), TargetKind::kUnknown);
    EXPECT_EQ(target_kind_from_name("PID"), TargetKind::kUnknown);
}

TEST(TargetKind, HeaderStoresTheNameAndReadsItBack) {
    for (TargetKind kind : {TargetKind::kCommand, TargetKind::kPid, TargetKind::kTid, TargetKind::kSystemWide}) {
        const auto bytes = encode(header_with(kind));
        EXPECT_TRUE(contains(bytes, std::string(target_kind_name(kind))));
        auto h = decode_recording_header(bytes);
        ASSERT_TRUE(h.ok()) << h.error().message;
        EXPECT_EQ(h->target.kind, kind);
        EXPECT_EQ(h->target.name(), target_kind_name(kind));
        EXPECT_EQ(encode(*h), bytes);
    }
}

TEST(TargetKind, UnknownNameReadsAndIsKeptAsStored) {
    const auto bytes = encode(header_with(RecordingTarget::from_name("cgroup:/web")));
    auto h = decode_recording_header(bytes);
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_EQ(h->target.kind, TargetKind::kUnknown);
    EXPECT_EQ(h->target.name(), "cgroup:/web");
    EXPECT_EQ(encode(*h), bytes);  // written back unchanged

    auto empty = decode_recording_header(encode(header_with({})));
    ASSERT_TRUE(empty.ok()) << empty.error().message;
    EXPECT_EQ(empty->target.kind, TargetKind::kUnknown);
    EXPECT_EQ(empty->target.name(), "");
}

// Recordings of every major version name their target as kiln wrote it then.
TEST(TargetKind, OldRecordingsReadTheirTarget) {
    for (const char* file : {"small_dwarf_recording.kiln", "stack_delta_recording.kiln",
                             "callchain_delta_recording.kiln", "sample_delta_recording.kiln"}) {
        SCOPED_TRACE(file);
        auto reader = RecordingReader::open(std::string(KILN_FUZZ_CORPUS) + "/" + file);
        ASSERT_TRUE(reader.ok()) << reader.error().message;
        const RecordingTarget& t = (*reader)->header().target;
        EXPECT_NE(t.kind, TargetKind::kUnknown) << t.name();
    }
}
