// Event specs to perf_event_attr: software, tracepoints, libpfm4 encodings, fallbacks, errors.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>

#include "pmu/event_resolver.h"
#include "pmu/suggest.h"

using namespace kiln::pmu;

namespace {

bool hardware_cycles_work() {
    perf_event_attr a{};
    a.size = sizeof a;
    a.type = PERF_TYPE_HARDWARE;
    a.config = PERF_COUNT_HW_CPU_CYCLES;
    a.disabled = 1;
    int fd = static_cast<int>(syscall(SYS_perf_event_open, &a, 0, -1, -1, 0));
    if (fd < 0) return false;
    close(fd);
    return true;
}

}  // namespace

TEST(EventResolver, SoftwareEvents) {
    auto ev = resolve_event("cpu-clock");
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    EXPECT_EQ(ev->attr.type, PERF_TYPE_SOFTWARE);
    EXPECT_EQ(ev->attr.config, PERF_COUNT_SW_CPU_CLOCK);
    EXPECT_TRUE(ev->is_clock);
    EXPECT_TRUE(ev->note.empty());
    auto faults = resolve_event("faults");
    ASSERT_TRUE(faults.ok());
    EXPECT_EQ(faults->name, "page-faults");
    EXPECT_EQ(faults->attr.config, PERF_COUNT_SW_PAGE_FAULTS);
    EXPECT_FALSE(faults->is_clock);
    auto cs = resolve_event("cs");
    ASSERT_TRUE(cs.ok());
    EXPECT_EQ(cs->attr.config, PERF_COUNT_SW_CONTEXT_SWITCHES);
    auto user = resolve_event("task-clock:u");
    ASSERT_TRUE(user.ok());
    EXPECT_TRUE(user->attr.exclude_kernel);
    EXPECT_FALSE(user->attr.exclude_user);
    EXPECT_EQ(user->name, "task-clock:u");
}

TEST(EventResolver, CyclesFallsBackOnlyWithoutAPmu) {
    auto ev = resolve_event("cycles");
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    EXPECT_EQ(ev->requested, "cycles");
    if (hardware_cycles_work()) {
        EXPECT_EQ(ev->kind, EventKind::kHardware);
        EXPECT_TRUE(ev->note.empty());
    } else {
        EXPECT_EQ(ev->name, "cpu-clock");
        EXPECT_EQ(ev->attr.type, PERF_TYPE_SOFTWARE);
        EXPECT_EQ(ev->attr.config, PERF_COUNT_SW_CPU_CLOCK);
        EXPECT_NE(ev->note.find("falling back to cpu-clock"), std::string::npos) << ev->note;
    }
}

TEST(EventResolver, OtherHardwareEventsFailClearlyWithoutAPmu) {
    if (hardware_cycles_work()) GTEST_SKIP() << "this machine has a PMU";
    auto ev = resolve_event("instructions");
    ASSERT_FALSE(ev.ok());
    EXPECT_NE(ev.error().message.find("cannot be counted"), std::string::npos) << ev.error().message;
    EXPECT_NE(ev.error().message.find("cpu-clock"), std::string::npos);
}

TEST(EventResolver, PfmEncodingsOfGenericHardwareEvents) {
    struct Case {
        const char* name;
        uint64_t config;
    } cases[] = {{"cycles", PERF_COUNT_HW_CPU_CYCLES},
                 {"instructions", PERF_COUNT_HW_INSTRUCTIONS},
                 {"cache-misses", PERF_COUNT_HW_CACHE_MISSES},
                 {"branch-misses", PERF_COUNT_HW_BRANCH_MISSES}};
    for (const auto& c : cases) {
        auto ev = encode_pfm_event(c.name);
        ASSERT_TRUE(ev.ok()) << c.name << ": " << ev.error().message;
        EXPECT_EQ(ev->attr.type, PERF_TYPE_HARDWARE) << c.name;
        EXPECT_EQ(ev->attr.config, c.config) << c.name;
        EXPECT_EQ(ev->kind, EventKind::kHardware);
    }
    auto user = encode_pfm_event("cycles:u");
    ASSERT_TRUE(user.ok()) << user.error().message;
    EXPECT_TRUE(user->attr.exclude_kernel);
    EXPECT_FALSE(encode_pfm_event("no_such_event_xyz").ok());
}

TEST(EventResolver, TracepointIdComesFromTracefs) {
    auto root = tracefs_root();
    ASSERT_TRUE(root.ok()) << root.error().message;
    std::ifstream f(*root + "/events/sched/sched_switch/id");
    uint64_t id = 0;
    ASSERT_TRUE(f >> id);
    auto ev = resolve_event("sched:sched_switch");
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    EXPECT_EQ(ev->kind, EventKind::kTracepoint);
    EXPECT_EQ(ev->attr.type, PERF_TYPE_TRACEPOINT);
    EXPECT_EQ(ev->attr.config, id);
}

TEST(EventResolver, UnknownTracepointSuggestsNeighbours) {
    auto ev = resolve_event("sched:sched_swtch");
    ASSERT_FALSE(ev.ok());
    EXPECT_NE(ev.error().message.find("sched:sched_switch"), std::string::npos) << ev.error().message;
    auto sub = resolve_event("schd:sched_switch");
    ASSERT_FALSE(sub.ok());
    EXPECT_NE(sub.error().message.find("kiln list"), std::string::npos) << sub.error().message;
}

TEST(EventResolver, UnknownEventSuggestsCloseNames) {
    auto ev = resolve_event("cpu-clok");
    ASSERT_FALSE(ev.ok());
    EXPECT_NE(ev.error().message.find("did you mean"), std::string::npos) << ev.error().message;
    EXPECT_NE(ev.error().message.find("cpu-clock"), std::string::npos);
    EXPECT_NE(ev.error().message.find("kiln list"), std::string::npos);
    auto cyc = resolve_event("cyclez");
    ASSERT_FALSE(cyc.ok());
    EXPECT_NE(cyc.error().message.find("cycles"), std::string::npos) << cyc.error().message;
    EXPECT_FALSE(resolve_event("").ok());
}

TEST(EventResolver, ListNamesWhatIsUsable) {
    std::string list = list_events();
    EXPECT_NE(list.find("cpu-clock"), std::string::npos);
    EXPECT_NE(list.find("page-faults"), std::string::npos);
    EXPECT_NE(list.find("sched"), std::string::npos);
    if (!hardware_cycles_work()) {
        EXPECT_NE(list.find("no hardware PMU"), std::string::npos);
    }
}

TEST(Suggest, EditDistance) {
    EXPECT_EQ(edit_distance("cycles", "cycles"), 0u);
    EXPECT_EQ(edit_distance("cyclez", "cycles"), 1u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    auto close = closest_names("cpu-clok", {"cpu-clock", "task-clock", "instructions"});
    ASSERT_FALSE(close.empty());
    EXPECT_EQ(close.front(), "cpu-clock");
}
