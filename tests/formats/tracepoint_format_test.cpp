// Tracepoint formats: parsing tracefs format text, reading fields from RAW payloads, and the
// formats stored in the recording header (readable by and from headers without them).
#include "formats/tracepoint_format.h"

#include <gtest/gtest.h>

#include <cstring>

#include "formats/byte_io.h"
#include "formats/recording_header.h"

using namespace kiln::format;

namespace {

// sched_switch as Linux 6.x prints it (abridged print fmt).
const char* kSchedSwitch =
    "name: sched_switch\n"
    "ID: 372\n"
    "format:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
    "\n"
    "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
    "\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
    "\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
    "\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
    "\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
    "\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
    "\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
    "\n"
    "print fmt: \"prev_comm=%s prev_pid=%d\", REC->prev_comm, REC->prev_pid\n";

}  // namespace

TEST(TracepointFormat, ParsesFieldsOfAFormatFile) {
    auto f = parse_tracepoint_format(kSchedSwitch);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->name, "sched_switch");
    EXPECT_EQ(f->fields.size(), 11u);
    const TracepointField* state = f->field("prev_state");
    ASSERT_NE(state, nullptr);
    EXPECT_EQ(state->offset, 32u);
    EXPECT_EQ(state->size, 8u);
    EXPECT_TRUE(state->is_signed);
    ASSERT_NE(f->field("prev_comm"), nullptr);
    EXPECT_EQ(f->field("prev_comm")->size, 16u);
    EXPECT_EQ(f->field("next_pid")->offset, 56u);
    EXPECT_EQ(f->field("missing"), nullptr);
}

TEST(TracepointFormat, ReadsIntegersFromARawPayload) {
    auto f = parse_tracepoint_format(kSchedSwitch);
    ASSERT_TRUE(f);
    std::vector<uint8_t> raw(64, 0);
    const int32_t prev = 1234, next = -1;
    const int64_t state = 0x100;
    std::memcpy(raw.data() + 24, &prev, 4);
    std::memcpy(raw.data() + 32, &state, 8);
    std::memcpy(raw.data() + 56, &next, 4);
    EXPECT_EQ(TracepointFormat::integer(*f->field("prev_pid"), raw), 1234);
    EXPECT_EQ(TracepointFormat::integer(*f->field("prev_state"), raw), 0x100);
    EXPECT_EQ(TracepointFormat::integer(*f->field("next_pid"), raw), -1) << "signed fields sign-extend";
    EXPECT_EQ(TracepointFormat::integer(*f->field("next_pid"), std::span(raw).first(58)), std::nullopt)
        << "a payload too short for the field";
    EXPECT_EQ(TracepointFormat::integer(*f->field("prev_comm"), raw), std::nullopt) << "not an integer";
}

TEST(TracepointFormat, BadTextFailsNamingTheLine) {
    auto f = parse_tracepoint_format("name: x\nformat:\n\tfield:int a;\toffset:zero;\tsize:4;\tsigned:1;\n");
    ASSERT_FALSE(f);
    EXPECT_NE(f.error().message.find("line 3"), std::string::npos) << f.error().message;
    EXPECT_FALSE(parse_tracepoint_format("name: x\n"));
}

TEST(RecordingHeader, StoresTracepointFormatsAndReadsHeadersWithoutThem) {
    RecordingHeader h;
    h.kiln_version = "t";
    h.target = TargetKind::kCommand;
    EventDescription sw, clock;
    sw.name = "sched:sched_switch";
    sw.attr.assign(sizeof(perf_event_attr), 0);
    sw.ids = {1, 2};
    sw.tracepoint_format = kSchedSwitch;
    clock.name = "cpu-clock";
    clock.attr.assign(sizeof(perf_event_attr), 0);
    clock.is_clock = true;
    h.events = {clock, sw};
    const auto bytes = encode(h);
    auto back = decode_recording_header(bytes);
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->events.size(), 2u);
    EXPECT_EQ(back->events[0].tracepoint_format, "");
    EXPECT_EQ(back->events[1].tracepoint_format, kSchedSwitch);
    EXPECT_EQ(back->events[1].ids, (std::vector<uint64_t>{1, 2}));

    // A header written before formats were stored ends after the events: it still reads.
    const size_t trailer = 4 + (4 + 0) + (4 + std::strlen(kSchedSwitch));
    auto old = decode_recording_header(std::span(bytes).first(bytes.size() - trailer));
    ASSERT_TRUE(old) << old.error().message;
    EXPECT_EQ(old->events[1].tracepoint_format, "");
    EXPECT_EQ(old->events[1].name, "sched:sched_switch");

    // A trailer that does not match the events is refused with a message.
    kiln::ByteWriter w;
    w.raw(bytes.data(), bytes.size() - trailer);
    w.u32(5);
    auto bad = decode_recording_header(w.bytes());
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("tracepoint formats"), std::string::npos) << bad.error().message;
}
