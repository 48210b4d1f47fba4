// The timeline's window arithmetic on synthetic COUNTERS snapshots, against values worked out
// by hand: cumulative counters spread over the time between snapshots, gauges from the last
// snapshot before a window's end.
#include "analyzer/timeline/counter_series.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "analyzer/timeline/timeline_builder.h"
#include "analyzer/timeline/window_sums.h"

namespace kiln::analyzer {
namespace {

constexpr uint64_t kStart = 5'000'000'000;  // the recording's start on the samples' clock
constexpr uint64_t kMs = 1'000'000;

format::CounterSnapshot at(uint64_t ms) {
    format::CounterSnapshot s;
    s.time_ns = kStart + ms * kMs;
    return s;
}

format::ProcessCounters process(int32_t pid, uint64_t ticks, uint64_t rss = 0) {
    format::ProcessCounters p;
    p.pid = pid;
    p.cpu_ticks = ticks;
    p.rss_bytes = rss;
    return p;
}

// Windows of window_ms over [0, end_ms) of the recording, with the counter series added.
Timeline timeline(const std::vector<format::CounterSnapshot>& snaps, uint64_t end_ms, uint64_t window_ms = 100,
                  uint32_t ticks_per_second = 100) {
    Timeline t;
    t.windows = make_windows(kStart, kStart, kStart + end_ms * kMs, window_ms * kMs);
    add_counter_series(snaps, ticks_per_second, t);
    return t;
}

std::vector<double> values(const Timeline& t, const std::string& name) {
    const TimelineSeries* s = t.find(name);
    EXPECT_NE(s, nullptr) << name;
    return s ? s->values : std::vector<double>{};
}

// NaN-aware comparison of a series with the expected values (NAN = no value).
void expect_series(const Timeline& t, const std::string& name, const std::vector<double>& want) {
    const auto got = values(t, name);
    ASSERT_EQ(got.size(), want.size()) << name;
    for (size_t i = 0; i < want.size(); ++i) {
        if (std::isnan(want[i]))
            EXPECT_TRUE(std::isnan(got[i])) << name << " window " << i << " = " << got[i];
        else
            EXPECT_NEAR(got[i], want[i], 1e-9) << name << " window " << i;
    }
}

TEST(TimelineWindows, CoverTheRangeInWholeWindows) {
    const auto w = make_windows(kStart, kStart, kStart + 250 * kMs, 100 * kMs);
    EXPECT_EQ(w.count, 3u);
    EXPECT_DOUBLE_EQ(w.t_s(2), 0.2);
    EXPECT_EQ(w.index(kStart + 199 * kMs), 1u);
    EXPECT_EQ(w.index(kStart + 300 * kMs), 3u) << "after the last window";
    EXPECT_EQ(w.index(kStart - 1), 3u) << "before the first window";
    const auto from_time = make_windows(kStart, kStart + 1000 * kMs, kStart + 1200 * kMs, 100 * kMs);
    EXPECT_EQ(from_time.count, 2u);
    EXPECT_DOUBLE_EQ(from_time.t_s(0), 1.0) << "t_s stays seconds from the recording's start under --time";
}

// cpu_ticks 0, 10, 20 at 0, 100 and 200 ms with 100 ticks/s: 0.1 s of CPU in each 0.1 s.
TEST(CounterSeries, ProcessCpuIsTicksOverCoveredTime) {
    std::vector<format::CounterSnapshot> snaps{at(0), at(100), at(200)};
    for (size_t i = 0; i < snaps.size(); ++i) {
        snaps[i].has_processes = true;
        snaps[i].processes.push_back(process(7, 10 * i, 4096 * (i + 1)));
    }
    const Timeline t = timeline(snaps, 300);
    expect_series(t, "process.7.cpu", {100, 100, NAN});
    expect_series(t, "process.7.rss", {4096, 8192, 12288});
}

// One gap of 150 ms over windows of 100 ms: two thirds of each difference go to window 0,
// one third to window 1, whose covered part is 50 ms; the rates are the same in both.
TEST(CounterSeries, GapSpanningWindowsSpreadsProportionally) {
    std::vector<format::CounterSnapshot> snaps{at(0), at(150)};
    snaps[0].machine.cpus = {{0, 0, 0}};
    snaps[1].machine.cpus = {{0, 30, 10}};  // 75% busy
    snaps[0].machine.cpu.present = snaps[1].machine.cpu.present = true;
    snaps[1].machine.cpu.some.total_us = 75'000;  // 75 ms stalled of 150 ms
    snaps[0].has_processes = snaps[1].has_processes = true;
    snaps[0].processes = {process(9, 0)};
    snaps[1].processes = {process(9, 6)};  // 60 ms of CPU in 150 ms: 40% of one CPU
    snaps[0].processes[0].has_io = snaps[1].processes[0].has_io = true;
    snaps[1].processes[0].read_bytes = 3000;  // 20'000 bytes/s
    const Timeline t = timeline(snaps, 200);
    expect_series(t, "cpu.busy", {75, 75});
    expect_series(t, "cpu.0.busy", {75, 75});
    expect_series(t, "psi.cpu.some", {50, 50});
    EXPECT_EQ(t.find("psi.cpu.full"), nullptr) << "cpu full is all zero before Linux 5.13: not a series";
    expect_series(t, "process.9.cpu", {40, 40});
    expect_series(t, "process.9.read_bytes", {20'000, 20'000});
    expect_series(t, "process.9.write_bytes", {0, 0});
    EXPECT_EQ(t.find("psi.memory.some"), nullptr) << "absent pressure files give no series";
}

// The machine-wide busy share weighs every CPU's ticks: 10 of 10 and 5 of 10 are 75%.
TEST(CounterSeries, CpuBusyIsOverAllCpus) {
    std::vector<format::CounterSnapshot> snaps{at(0), at(100)};
    snaps[0].machine.cpus = {{0, 100, 100}, {1, 100, 100}};
    snaps[1].machine.cpus = {{0, 110, 100}, {1, 105, 105}};
    const Timeline t = timeline(snaps, 100);
    expect_series(t, "cpu.busy", {75});
    expect_series(t, "cpu.0.busy", {100});
    expect_series(t, "cpu.1.busy", {50});
}

// Gauges: the last snapshot taken before the window's end; none after the last snapshot.
TEST(CounterSeries, GaugesTakeTheLastSnapshotBeforeTheWindowEnds) {
    std::vector<format::CounterSnapshot> snaps{at(0), at(100), at(250)};
    const uint32_t running[] = {1, 3, 5};
    for (size_t i = 0; i < 3; ++i) {
        snaps[i].machine.procs_running = running[i];
        snaps[i].machine.procs_blocked = 2;
        snaps[i].machine.load1_milli = 1250;
    }
    const Timeline t = timeline(snaps, 400);
    expect_series(t, "load.running", {1, 3, 5, NAN});
    expect_series(t, "load.blocked", {2, 2, 2, NAN});
    expect_series(t, "load.1min", {1.25, 1.25, 1.25, NAN});
    EXPECT_EQ(t.find("cpu.busy"), nullptr) << "no CPU times recorded";
}

// PSI some and full of memory and io, each from its own total_us.
TEST(CounterSeries, PressureFromTotalMicroseconds) {
    std::vector<format::CounterSnapshot> snaps{at(0), at(100)};
    for (auto& s : snaps) s.machine.memory.present = s.machine.io.present = true;
    snaps[1].machine.memory.some.total_us = 30'000;
    snaps[1].machine.memory.full.total_us = 10'000;
    snaps[1].machine.io.some.total_us = 100'000;
    snaps[1].machine.io.full.total_us = 50'000;
    const Timeline t = timeline(snaps, 100);
    expect_series(t, "psi.memory.some", {30});
    expect_series(t, "psi.memory.full", {10});
    expect_series(t, "psi.io.some", {100});
    expect_series(t, "psi.io.full", {50});
    EXPECT_EQ(t.find("psi.cpu.some"), nullptr);
}

// A process first listed at 100 ms: no value before; a snapshot without processes (machine
// counters only, between --proc-interval reads) neither ends nor splits its series.
TEST(CounterSeries, ProcessAppearingMidway) {
    std::vector<format::CounterSnapshot> snaps{at(0), at(100), at(150), at(200)};
    snaps[0].has_processes = true;
    snaps[0].processes = {process(1, 0)};
    snaps[1].has_processes = true;
    snaps[1].processes = {process(1, 10), process(8, 0, 1000)};
    // snaps[2]: no processes read
    snaps[3].has_processes = true;
    snaps[3].processes = {process(1, 20), process(8, 5, 2000)};
    const Timeline t = timeline(snaps, 300);
    expect_series(t, "process.8.cpu", {NAN, 50, NAN});
    expect_series(t, "process.8.rss", {NAN, 1000, 2000});
    expect_series(t, "process.1.cpu", {100, 100, NAN});
    EXPECT_EQ(t.find("process.8.read_bytes"), nullptr) << "no /proc/PID/io: no I/O series";
}

// A counter that went down (a reused pid) gives no difference rather than a huge one.
TEST(CounterSeries, CounterGoingDownIsNoDifference) {
    std::vector<format::CounterSnapshot> snaps{at(0), at(100), at(200)};
    for (auto& s : snaps) s.has_processes = true;
    snaps[0].processes = {process(4, 500)};
    snaps[1].processes = {process(4, 3)};
    snaps[2].processes = {process(4, 8)};
    const Timeline t = timeline(snaps, 200);
    expect_series(t, "process.4.cpu", {NAN, 50});
}

// Ticks per second other than 100 (CONFIG_HZ-independent USER_HZ can still differ).
TEST(CounterSeries, TicksPerSecondScalesProcessCpu) {
    std::vector<format::CounterSnapshot> snaps{at(0), at(100)};
    for (auto& s : snaps) s.has_processes = true;
    snaps[0].processes = {process(2, 0)};
    snaps[1].processes = {process(2, 25)};
    const Timeline t = timeline(snaps, 100, 100, 1000);
    expect_series(t, "process.2.cpu", {25});
}

}  // namespace
TEST(CounterSeries, OnlyTheLargestProcessesRssWhenAsked) {
    std::vector<format::CounterSnapshot> snaps{at(0), at(100), at(200)};
    for (auto& s : snaps) {
        s.has_processes = true;
        s.processes = {process(1, 10, 5 << 20), process(2, 10, 50 << 20), process(3, 10, 20 << 20)};
    }
    Timeline t;
    t.windows = make_windows(kStart, kStart, kStart + 200 * kMs, 100 * kMs);
    add_counter_series(snaps, 100, t, 2, false);
    std::vector<std::string> names;
    for (const auto& series : t.series)
        if (series.name.starts_with("process.")) names.push_back(series.name);
    EXPECT_EQ(names, (std::vector<std::string>{"process.2.rss", "process.3.rss"}));
}

}  // namespace kiln::analyzer

TEST(WindowSums, SpanOnlyTheWindowsSeenAndFillTheRestWithZero) {
    kiln::analyzer::WindowSums w;
    w.add(7, 2);
    w.add(9, 1);
    w.add(5, 4);  // earlier than the first: the span grows at the front
    w.add(7, 1);
    EXPECT_EQ(w.total(), 8);
    EXPECT_EQ(w.dense(11), (std::vector<double>{0, 0, 0, 0, 0, 4, 0, 3, 0, 1, 0}));
    EXPECT_EQ(w.dense(8), (std::vector<double>{0, 0, 0, 0, 0, 4, 0, 3}));
    EXPECT_EQ(kiln::analyzer::WindowSums{}.dense(2), (std::vector<double>{0, 0}));
}

TEST(WindowSums, LargestTotalsKeepsTheNBiggestSortedByKey) {
    std::map<int, kiln::analyzer::WindowSums> m;
    for (int k = 0; k < 10; ++k) m[k].add(0, k == 3 ? 100 : k);
    auto all = [](const kiln::analyzer::WindowSums& w) { return std::optional(w.total()); };
    EXPECT_EQ(kiln::analyzer::largest_totals(m, 3, all), (std::vector<int>{3, 8, 9}));
    auto odd_only = [](const kiln::analyzer::WindowSums& w) -> std::optional<double> {
        if (static_cast<int>(w.total()) % 2 == 0) return std::nullopt;
        return w.total();
    };
    EXPECT_EQ(kiln::analyzer::largest_totals(m, 2, odd_only), (std::vector<int>{7, 9}));
}
