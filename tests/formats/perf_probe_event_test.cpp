// perf probe's uprobe tracepoints told apart from other tracepoints, with their fetched values,
// on the format files tracefs gives for them (copied from kernel 6.x's uprobe_events).
#include "formats/perf_probe_event.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace kiln::format;

namespace {

constexpr const char* kEntry = R"(name: malloc
ID: 2326
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:unsigned long __probe_ip;	offset:8;	size:8;	signed:0;
	field:u64 arg1;	offset:16;	size:8;	signed:0;
	field:s32 arg2;	offset:24;	size:4;	signed:1;

print fmt: "(%lx) arg1=%Lu arg2=%d", REC->__probe_ip, REC->arg1, REC->arg2)";

constexpr const char* kReturn = R"(name: malloc__return
ID: 2327
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:unsigned long __probe_func;	offset:8;	size:8;	signed:0;
	field:unsigned long __probe_ret_ip;	offset:16;	size:8;	signed:0;
	field:u64 arg1;	offset:24;	size:8;	signed:0;

print fmt: "(%lx <- %lx) arg1=%Lu", REC->__probe_func, REC->__probe_ret_ip, REC->arg1)";

constexpr const char* kSchedWaking = R"(name: sched_waking
ID: 372
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:char comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t pid;	offset:24;	size:4;	signed:1;

print fmt: "comm=%s pid=%d", REC->comm, REC->pid)";

bool known(std::string_view name) { return name == "malloc" || name == "free" || name == "my_alloc_2"; }

EventDescription event(const std::string& name, const char* format) {
    EventDescription e;
    e.name = name;
    e.tracepoint_format = format;
    return e;
}

}  // namespace

TEST(PerfProbeEvent, EntryProbeFetchesTheArgumentsInOrder) {
    auto p = perf_probe_event(event("probe_libc:malloc", kEntry), known);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->function, "malloc");
    EXPECT_FALSE(p->is_return);
    ASSERT_EQ(p->values.size(), 2u);
    std::vector<uint8_t> raw(28, 0);
    const uint64_t size = 100000;
    const int32_t minus_one = -1;
    std::memcpy(raw.data() + 16, &size, 8);
    std::memcpy(raw.data() + 24, &minus_one, 4);
    EXPECT_EQ(p->value(0, raw), size);
    EXPECT_EQ(p->value(1, raw), UINT64_MAX) << "a signed fetch reads back as the register's bits";
    EXPECT_FALSE(p->value(2, raw)) << "no third value";
    EXPECT_FALSE(p->value(1, std::span(raw).first(20))) << "a payload too short for it";
}

TEST(PerfProbeEvent, ReturnProbesAndSecondProbesOfASymbol) {
    auto r = perf_probe_event(event("probe_libc:malloc__return", kReturn), known);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->function, "malloc");
    EXPECT_TRUE(r->is_return);
    ASSERT_EQ(r->values.size(), 1u);
    EXPECT_EQ(r->values[0].offset, 24u);
    EXPECT_EQ(perf_probe_event(event("probe_libc:malloc_1", kEntry), known)->function, "malloc");
    EXPECT_EQ(perf_probe_event(event("probe_libc:my_alloc_2", kEntry), known)->function, "my_alloc_2");
    EXPECT_EQ(perf_probe_event(event("probe_libc:other_3", kEntry), known)->function, "other_3");
}

TEST(PerfProbeEvent, OtherTracepointsAndKilnProbesAreNotPerfProbes) {
    EXPECT_FALSE(perf_probe_event(event("sched:sched_waking", kSchedWaking), known));
    EXPECT_FALSE(perf_probe_event(event("uprobe:/lib/libc.so.6:malloc", ""), known));
    EXPECT_FALSE(perf_probe_event(event("probe_libc:malloc", "not a format"), known));
}
