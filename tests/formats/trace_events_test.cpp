// The scheduler and syscall tracepoints decoded through their stored formats: every kind,
// __data_loc and __rel_loc strings, short payloads, and recordings whose formats lack a field.
#include "formats/trace_events.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace kiln::format;

namespace {

const char* kCommon =
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n";

// Formats as Linux 6.18 prints them (the fields of each, print fmt left out).
std::string format(const char* name, const char* fields) { return std::string("name: ") + name + "\nformat:\n" + kCommon + fields; }

const std::string kExec = format("sched_process_exec",
                                 "\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
                                 "\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
                                 "\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n");
const std::string kFork = format("sched_process_fork",
                                 "\tfield:__data_loc char[] parent_comm;\toffset:8;\tsize:4;\tsigned:0;\n"
                                 "\tfield:pid_t parent_pid;\toffset:12;\tsize:4;\tsigned:1;\n"
                                 "\tfield:__data_loc char[] child_comm;\toffset:16;\tsize:4;\tsigned:0;\n"
                                 "\tfield:pid_t child_pid;\toffset:20;\tsize:4;\tsigned:1;\n");
const std::string kSwitch = format("sched_switch",
                                   "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
                                   "\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
                                   "\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
                                   "\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
                                   "\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
                                   "\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
                                   "\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n");
const std::string kMigrate = format("sched_migrate_task",
                                    "\tfield:__data_loc char[] comm;\toffset:8;\tsize:4;\tsigned:0;\n"
                                    "\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
                                    "\tfield:int prio;\toffset:16;\tsize:4;\tsigned:1;\n"
                                    "\tfield:int orig_cpu;\toffset:20;\tsize:4;\tsigned:1;\n"
                                    "\tfield:int dest_cpu;\toffset:24;\tsize:4;\tsigned:1;\n");
const std::string kEnter = format("sys_enter",
                                  "\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
                                  "\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n");
const std::string kExit = format("sys_exit",
                                 "\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
                                 "\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n");
const std::string kExitGroup = format("sys_enter_exit_group",
                                      "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
                                      "\tfield:int error_code;\toffset:16;\tsize:8;\tsigned:0;\n");

RecordingHeader header_with(const std::vector<std::pair<std::string, std::string>>& events) {
    RecordingHeader h;
    h.events.push_back(EventDescription{});
    h.events.back().name = "cpu-clock";
    for (const auto& [name, text] : events) {
        EventDescription e;
        e.name = name;
        e.tracepoint_format = text;
        h.events.push_back(e);
    }
    return h;
}

template <typename T>
void put(std::vector<uint8_t>& raw, size_t offset, T v) {
    if (raw.size() < offset + sizeof v) raw.resize(offset + sizeof v);
    std::memcpy(raw.data() + offset, &v, sizeof v);
}

// A __data_loc string at the payload's end: u32 = length << 16 | offset.
void put_string(std::vector<uint8_t>& raw, size_t field_offset, const std::string& s, bool relative = false) {
    const size_t at = raw.size();
    raw.insert(raw.end(), s.begin(), s.end());
    raw.push_back(0);
    const uint32_t offset = static_cast<uint32_t>(relative ? at - (field_offset + 4) : at);
    put<uint32_t>(raw, field_offset, static_cast<uint32_t>((s.size() + 1) << 16) | offset);
}

}  // namespace

TEST(TraceEvents, KindsFollowTheEventNames) {
    EXPECT_EQ(trace_event_kind("sched:sched_switch"), TraceEventKind::kSchedSwitch);
    EXPECT_EQ(trace_event_kind("raw_syscalls:sys_exit"), TraceEventKind::kSysExit);
    EXPECT_EQ(trace_event_kind("syscalls:sys_enter_mmap"), TraceEventKind::kOther);
    EXPECT_EQ(trace_event_name(TraceEventKind::kSchedMigrate), "sched:sched_migrate_task");
    auto d = TraceEventDecoder::create(header_with({{"sched:sched_process_exec", kExec}, {"raw_syscalls:sys_exit", kExit}}));
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->kind(0), TraceEventKind::kOther);
    EXPECT_EQ(d->kind(1), TraceEventKind::kSchedExec);
    EXPECT_EQ(d->kind(7), TraceEventKind::kOther);
    EXPECT_EQ(d->event_of(TraceEventKind::kSysExit), 2);
    EXPECT_FALSE(d->has(TraceEventKind::kSysEnter));
}

TEST(TraceEvents, DecodesDataLocAndInlineStrings) {
    auto d = TraceEventDecoder::create(header_with({{"sched:sched_process_exec", kExec},
                                                    {"sched:sched_process_fork", kFork},
                                                    {"sched:sched_switch", kSwitch}}));
    ASSERT_TRUE(d) << d.error().message;
    std::vector<uint8_t> exec(20, 0);
    put<int32_t>(exec, 12, 4321);
    put<int32_t>(exec, 16, 4320);
    put_string(exec, 8, "/bin/sh");
    auto e = d->sched_exec(1, exec);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->filename, "/bin/sh");
    EXPECT_EQ(e->tid, 4321);
    EXPECT_EQ(e->old_tid, 4320);
    EXPECT_FALSE(d->sched_fork(1, exec)) << "an exec payload is not a fork";

    std::vector<uint8_t> fork(24, 0);
    put<int32_t>(fork, 12, 10);
    put<int32_t>(fork, 20, 11);
    put_string(fork, 8, "parent");
    put_string(fork, 16, "child");
    auto f = d->sched_fork(2, fork);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->parent_tid, 10);
    EXPECT_EQ(f->child_tid, 11);
    EXPECT_EQ(f->child_comm, "child");

    std::vector<uint8_t> sw(64, 0);
    std::memcpy(sw.data() + 8, "spinner", 7);
    put<int32_t>(sw, 24, 77);
    put<int64_t>(sw, 32, 0x100);  // preempted: "R+"
    std::memcpy(sw.data() + 40, "0123456789abcdef", 16);  // a full comm has no NUL
    put<int32_t>(sw, 56, 78);
    auto s = d->sched_switch(3, sw);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->prev_comm, "spinner");
    EXPECT_EQ(s->next_comm, "0123456789abcdef");
    EXPECT_EQ(s->prev_state, 0x100);
    EXPECT_EQ(s->next_tid, 78);
}

TEST(TraceEvents, RelLocStringsCountFromTheFieldsEnd) {
    std::string rel = kExec;
    rel.replace(rel.find("__data_loc"), 10, "__rel_loc");
    auto d = TraceEventDecoder::create(header_with({{"sched:sched_process_exec", rel}}));
    ASSERT_TRUE(d) << d.error().message;
    std::vector<uint8_t> exec(20, 0);
    put_string(exec, 8, "/usr/bin/true", true);
    auto e = d->sched_exec(1, exec);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->filename, "/usr/bin/true");
}

TEST(TraceEvents, SyscallsMigrationsAndExitStatus) {
    auto d = TraceEventDecoder::create(header_with({{"raw_syscalls:sys_enter", kEnter},
                                                    {"raw_syscalls:sys_exit", kExit},
                                                    {"sched:sched_migrate_task", kMigrate},
                                                    {"syscalls:sys_enter_exit_group", kExitGroup}}));
    ASSERT_TRUE(d) << d.error().message;
    std::vector<uint8_t> enter(64, 0);
    put<int64_t>(enter, 8, 257);
    for (int i = 0; i < 6; ++i) put<uint64_t>(enter, 16 + 8 * static_cast<size_t>(i), 100u + static_cast<uint64_t>(i));
    auto en = d->sys_enter(1, enter);
    ASSERT_TRUE(en);
    EXPECT_EQ(en->nr, 257);
    EXPECT_EQ(en->args[5], 105u);
    std::vector<uint8_t> exit(24, 0);
    put<int64_t>(exit, 8, 257);
    put<int64_t>(exit, 16, -2);
    auto ex = d->sys_exit(2, exit);
    ASSERT_TRUE(ex);
    EXPECT_EQ(ex->ret, -2);
    std::vector<uint8_t> migrate(28, 0);
    put<int32_t>(migrate, 12, 9);
    put<int32_t>(migrate, 20, 0);
    put<int32_t>(migrate, 24, 1);
    put_string(migrate, 8, "hopper");
    auto m = d->sched_migrate(3, migrate);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->tid, 9);
    EXPECT_EQ(m->dest_cpu, 1);
    std::vector<uint8_t> group(24, 0);
    put<uint64_t>(group, 16, 0x107);  // exit_group(263): the parent sees 7
    EXPECT_EQ(d->exit_status(4, group), 7);
}

TEST(TraceEvents, ShortOrHostilePayloadsDecodeToNothing) {
    auto d = TraceEventDecoder::create(header_with({{"raw_syscalls:sys_enter", kEnter},
                                                    {"sched:sched_process_exec", kExec}}));
    ASSERT_TRUE(d);
    std::vector<uint8_t> enter(40, 0);  // args cut short
    EXPECT_FALSE(d->sys_enter(1, enter));
    std::vector<uint8_t> exec(20, 0);
    put<uint32_t>(exec, 8, (200u << 16) | 16u);  // a string running past the payload
    auto past = d->sched_exec(2, exec);
    ASSERT_TRUE(past);
    EXPECT_TRUE(past->filename.empty());
    put<uint32_t>(exec, 8, (4u << 16) | 0xfff0u);  // pointing outside it
    auto e = d->sched_exec(2, exec);
    ASSERT_TRUE(e) << "the integer fields are there";
    EXPECT_TRUE(e->filename.empty());
    EXPECT_FALSE(d->sched_exec(2, std::vector<uint8_t>(10, 0)));
    EXPECT_FALSE(d->sched_exec(-1, exec));
    EXPECT_FALSE(d->sched_exec(99, exec));
}

TEST(TraceEvents, AFormatWithoutANeededFieldOrNoFormatIsAnError) {
    std::string no_ret = kExit;
    no_ret.erase(no_ret.find("\tfield:long ret"));
    auto d = TraceEventDecoder::create(header_with({{"raw_syscalls:sys_exit", no_ret}}));
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("'ret'"), std::string::npos) << d.error().message;
    auto none = TraceEventDecoder::create(header_with({{"sched:sched_switch", ""}}));
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("record it again"), std::string::npos) << none.error().message;
    // An event the decoder does not know is no concern of it.
    EXPECT_TRUE(TraceEventDecoder::create(header_with({{"syscalls:sys_enter_mmap", ""}})));
}
