// Counter tracks from COUNTERS snapshots: gauges at each snapshot, rates between two.
#include <gtest/gtest.h>

#include <map>

#include "analyzer/output/perfetto_counters.h"

namespace kiln::analyzer {
namespace {

format::CounterSnapshot snap(uint64_t t, uint32_t running, uint64_t busy0, uint64_t idle0, uint64_t some_us) {
    format::CounterSnapshot s;
    s.time_ns = t;
    s.machine.procs_running = running;
    s.machine.procs_blocked = running + 10;
    s.machine.load1_milli = 1500;
    s.machine.cpus = {{0, busy0, idle0}};
    s.machine.cpu.present = true;
    s.machine.cpu.some.total_us = some_us;
    return s;
}

std::map<std::string, PerfettoCounter> by_name(std::vector<PerfettoCounter> v) {
    std::map<std::string, PerfettoCounter> out;
    for (auto& c : v) out[c.name] = std::move(c);
    return out;
}

TEST(PerfettoCounters, MachineGaugesAndRates) {
    // 1 s apart, 100 ticks/s: CPU 0 busy 25 of 100 ticks; PSI cpu some 100 ms of 1 s.
    std::vector<format::CounterSnapshot> s{snap(1'000'000'000, 2, 100, 300, 0),
                                           snap(2'000'000'000, 7, 125, 375, 100'000)};
    auto c = by_name(perfetto_counters(s, 100));
    ASSERT_TRUE(c.count("load.running"));
    using Points = std::vector<std::pair<uint64_t, double>>;
    EXPECT_EQ(c["load.running"].points, (Points{{1'000'000'000, 2}, {2'000'000'000, 7}}));
    EXPECT_EQ(c["load.running"].unit, PerfettoCounterUnit::kCount);
    EXPECT_EQ(c["load.blocked"].points, (Points{{1'000'000'000, 12}, {2'000'000'000, 17}}));
    EXPECT_EQ(c["load.1min"].points.front().second, 1.5);
    EXPECT_EQ(c["cpu.0.busy"].points, (Points{{1'000'000'000, 25.0}}));
    EXPECT_EQ(c["cpu.busy"].points, (Points{{1'000'000'000, 25.0}}));
    ASSERT_EQ(c["psi.cpu.some"].points.size(), 1u);
    EXPECT_DOUBLE_EQ(c["psi.cpu.some"].points[0].second, 10.0);
    EXPECT_FALSE(c.count("psi.io.some"));  // not present in the snapshots
}

TEST(PerfettoCounters, ProcessesUnderTheirPid) {
    std::vector<format::CounterSnapshot> s{snap(0, 1, 0, 0, 0), snap(500'000'000, 1, 0, 0, 0)};
    for (auto* x : {&s[0], &s[1]}) x->has_processes = true;
    s[0].processes = {{42, 10, 1 << 20, false, 0, 0, 0, 0}};
    s[1].processes = {{42, 60, 2 << 20, false, 0, 0, 0, 0}};
    auto c = by_name(perfetto_counters(s, 100));
    ASSERT_TRUE(c.count("process.42.rss"));
    EXPECT_EQ(c["process.42.rss"].pid, 42);
    EXPECT_EQ(c["process.42.rss"].unit, PerfettoCounterUnit::kBytes);
    EXPECT_EQ(c["process.42.rss"].points.back().second, double(2 << 20));
    // 50 ticks in 0.5 s at 100 ticks/s: 100% of a CPU.
    ASSERT_EQ(c["process.42.cpu"].points.size(), 1u);
    EXPECT_DOUBLE_EQ(c["process.42.cpu"].points[0].second, 100.0);
    EXPECT_FALSE(c.count("process.42.read_bytes"));
}

TEST(PerfettoCounters, NoSnapshotsNoTracks) { EXPECT_TRUE(perfetto_counters({}, 100).empty()); }

}  // namespace
}  // namespace kiln::analyzer
