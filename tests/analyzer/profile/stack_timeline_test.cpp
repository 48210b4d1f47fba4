// StackTimelineBuilder: samples of threads in, open/close events on named frames out, with the
// slice rule (a sample stands until the thread's next one within 1.5 intervals, else for one).
#include "analyzer/profile/stack_timeline.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

using namespace kiln::analyzer;

namespace {

// Raw frames of a fake binary (dso 1): the address names the function; addresses 0x1000 and
// 0x1004 are both in "f" (two return addresses in one function); 0x5000 is "outer" with
// "inner" inlined into it.
std::vector<TimelineFrame> fake_names(const RawFrame& f) {
    static const std::map<uint64_t, std::string> names{
        {0x1000, "f"}, {0x1004, "f"}, {0x2000, "g"}, {0x3000, "h"}, {0x4000, "main"}};
    if (f.addr == 0x5000) return {{"outer", "a.c", 10}, {"inner_[i]", "a.c", 3}};
    auto it = names.find(f.addr);
    return {{it == names.end() ? "[unknown]" : it->second, "a.c", static_cast<int64_t>(f.addr >> 12)}};
}

// Stack root first, as people write it; the builder takes leaf first.
std::vector<RawFrame> stack(std::initializer_list<uint64_t> root_first) {
    std::vector<RawFrame> out;
    for (uint64_t a : root_first) out.insert(out.begin(), RawFrame{1, a});
    return out;
}

SampleLabels thread(int32_t pid, int32_t tid, const std::string& comm = "app", int32_t cpu = 0) {
    SampleLabels l;
    l.pid = pid;
    l.tid = tid;
    l.cpu = cpu;
    l.comm = comm;
    l.thread_comm = comm;
    return l;
}

// "O main@0" ... : the events of one thread, readable in failure messages.
std::vector<std::string> describe(const StackTimelines& t, const ThreadTimeline& th) {
    std::vector<std::string> out;
    for (const auto& e : th.events)
        out.push_back(std::string(e.open ? "O " : "C ") + t.frames.at(e.frame).name + "@" + std::to_string(e.at));
    return out;
}

constexpr uint64_t kStart = 1000000000;  // the recording's start on the samples' clock
constexpr uint64_t kMs = 1000000;

}  // namespace

TEST(StackTimeline, ConsecutiveSamplesEmitOnlyTheDifference) {
    StackTimelineBuilder b;
    const auto t = thread(10, 10);
    b.add(kStart + 0 * kMs, kMs, t, stack({0x4000, 0x1000, 0x2000}));
    b.add(kStart + 1 * kMs, kMs, t, stack({0x4000, 0x1000, 0x3000}));  // g -> h
    b.add(kStart + 2 * kMs, kMs, t, stack({0x4000, 0x2000}));          // f;h -> g
    b.add(kStart + 3 * kMs, kMs, t, stack({0x4000, 0x2000}));          // the same: nothing
    auto out = b.finish(kStart, kStart + 100 * kMs, fake_names);
    ASSERT_EQ(out.threads.size(), 1u);
    EXPECT_EQ(out.threads[0].name, "app (10/10)");
    EXPECT_EQ(describe(out, out.threads[0]),
              (std::vector<std::string>{"O main@0", "O f@0", "O g@0", "C g@1000000", "O h@1000000", "C h@2000000",
                                        "C f@2000000", "O g@2000000", "C g@4000000", "C main@4000000"}));
    EXPECT_EQ(out.threads[0].busy_ns, 4 * kMs);
    EXPECT_EQ(out.end_ns, 100 * kMs);
}

TEST(StackTimeline, SamplesFarApartLeaveGapsOfOneIntervalEach) {
    StackTimelineBuilder b;
    const auto t = thread(10, 11);
    b.add(kStart + 10 * kMs, kMs, t, stack({0x4000, 0x1000}));
    b.add(kStart + 11 * kMs + kMs / 2, kMs, t, stack({0x4000, 0x1000}));  // 1.5 ms later: still running
    b.add(kStart + 20 * kMs, kMs, t, stack({0x4000, 0x1000}));            // 8.5 ms later: a gap
    auto out = b.finish(kStart, kStart + 100 * kMs, fake_names);
    ASSERT_EQ(out.threads.size(), 1u);
    EXPECT_EQ(describe(out, out.threads[0]),
              (std::vector<std::string>{"O main@10000000", "O f@10000000", "C f@12500000", "C main@12500000",
                                        "O main@20000000", "O f@20000000", "C f@21000000", "C main@21000000"}));
    EXPECT_EQ(out.threads[0].busy_ns, 3500000u);
}

TEST(StackTimeline, AddressesOfOneFunctionAreOneFrameAndInlinedCallsAreFrames) {
    StackTimelineBuilder b;
    const auto t = thread(10, 10);
    b.add(kStart, kMs, t, stack({0x4000, 0x1000}));
    b.add(kStart + kMs, kMs, t, stack({0x4000, 0x1004}));  // another address in f: no event
    b.add(kStart + 2 * kMs, kMs, t, stack({0x4000, 0x5000}));
    auto out = b.finish(kStart, kStart + 100 * kMs, fake_names);
    ASSERT_EQ(out.threads.size(), 1u);
    EXPECT_EQ(describe(out, out.threads[0]),
              (std::vector<std::string>{"O main@0", "O f@0", "C f@2000000", "O outer@2000000", "O inner_[i]@2000000",
                                        "C inner_[i]@3000000", "C outer@3000000", "C main@3000000"}));
    std::vector<std::string> names;
    for (const auto& f : out.frames) names.push_back(f.name);
    EXPECT_EQ(names, (std::vector<std::string>{"main", "f", "outer", "inner_[i]"}));
}

TEST(StackTimeline, ThreadsAreApartAndTimesStayInTheRecording) {
    StackTimelineBuilder b;
    b.add(kStart - kMs / 2, kMs, thread(10, 10), stack({0x4000}));  // before the start: at 0
    b.add(kStart + 5 * kMs, kMs, thread(20, 21, "worker"), stack({0x4000, 0x2000}));
    b.add(kStart + 9 * kMs + kMs / 2, kMs, thread(10, 10), stack({0x4000}));  // its slice passes the end
    b.add(kStart + 9 * kMs, kMs, thread(0, 0, "swapper", 1), stack({0x3000}));
    b.add(kStart + 9 * kMs, kMs, thread(0, 0, "swapper", 0), stack({0x3000}));
    auto out = b.finish(kStart, kStart + 10 * kMs, fake_names);
    ASSERT_EQ(out.threads.size(), 4u);
    EXPECT_EQ(out.threads[0].name, "swapper (0/0, cpu 0)");
    EXPECT_EQ(out.threads[1].name, "swapper (0/0, cpu 1)");
    EXPECT_EQ(out.threads[2].name, "app (10/10)");
    EXPECT_EQ(out.threads[3].name, "worker (20/21)");
    EXPECT_EQ(describe(out, out.threads[2]),
              (std::vector<std::string>{"O main@0", "C main@500000", "O main@9500000", "C main@10000000"}));
    for (const auto& th : out.threads)
        for (const auto& e : th.events) EXPECT_LE(e.at, out.end_ns) << th.name;
}

TEST(StackTimeline, AnEmptyBuilderGivesNoThreads) {
    StackTimelineBuilder b;
    auto out = b.finish(kStart, kStart + kMs, fake_names);
    EXPECT_TRUE(out.threads.empty());
    EXPECT_TRUE(out.frames.empty());
    EXPECT_EQ(out.end_ns, kMs);
}
