// The speedscope writer on timelines built from scripted samples: the JSON is what speedscope's
// file format schema describes, and its evented profiles replay as proper stacks.
#include "analyzer/output/speedscope_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/speedscope_replay.h"

using namespace kiln::analyzer;
using nlohmann::json;

namespace {

constexpr uint64_t kStart = 5000000000;
constexpr uint64_t kMs = 1000000;

// dso 1, address → function: a function per 0x1000 (f1, f2 ...); 0x1004 is in f1 too.
std::vector<TimelineFrame> fake_names(const RawFrame& f) {
    return {{std::string("f").append(std::to_string(f.addr >> 12)), "x.c", static_cast<int64_t>(f.addr >> 12)}};
}

std::vector<RawFrame> stack(std::initializer_list<uint64_t> root_first) {
    std::vector<RawFrame> out;
    for (uint64_t a : root_first) out.insert(out.begin(), RawFrame{1, a});
    return out;
}

SampleLabels thread(int32_t pid, int32_t tid, const std::string& comm) {
    SampleLabels l;
    l.pid = pid;
    l.tid = tid;
    l.comm = comm;
    l.thread_comm = comm;
    return l;
}

json write(const StackTimelines& t, const std::string& name = "t.speedscope.json") {
    std::ostringstream out;
    write_speedscope(t, {name, "kiln test"}, out);
    return json::parse(out.str());
}

using Replay = kiln::test::SpeedscopeReplay;
Replay replay(const json& file, const json& profile) { return kiln::test::replay_speedscope(file, profile); }

}  // namespace

TEST(SpeedscopeWriter, FileHasTheSchemaFieldsAndAnEventedProfilePerThread) {
    StackTimelineBuilder b;
    b.add(kStart, kMs, thread(7, 7, "main-thread"), stack({0x1000, 0x2000}));
    b.add(kStart + kMs, kMs, thread(7, 8, "worker"), stack({0x1000, 0x3000}));
    b.add(kStart + 2 * kMs, kMs, thread(7, 8, "worker"), stack({0x1000, 0x3000}));
    const json j = write(b.finish(kStart, kStart + 50 * kMs, fake_names), "cpu.speedscope.json");
    EXPECT_EQ(j["$schema"], "https://www.speedscope.app/file-format-schema.json");
    EXPECT_EQ(j["name"], "cpu.speedscope.json");
    EXPECT_EQ(j["exporter"], "kiln test");
    EXPECT_EQ(j["activeProfileIndex"], 1) << "the busiest thread is shown first";
    ASSERT_EQ(j["profiles"].size(), 2u);
    EXPECT_EQ(j["profiles"][0]["name"], "main-thread (7/7)");
    EXPECT_EQ(j["profiles"][1]["name"], "worker (7/8)");
    for (const json& p : j["profiles"]) {
        EXPECT_EQ(p["type"], "evented");
        EXPECT_EQ(p["unit"], "nanoseconds");
        EXPECT_EQ(p["startValue"], 0);
        EXPECT_EQ(p["endValue"], 50 * kMs);
        EXPECT_FALSE(p["events"].empty());
    }
    const json& frames = j["shared"]["frames"];
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[0], json({{"name", "f1"}, {"file", "x.c"}, {"line", 1}}));
}

TEST(SpeedscopeWriter, EventsNestAreOrderedAndAllClose) {
    // Stacks that grow, shrink, change at every depth, recurse and repeat, on two threads whose
    // samples interleave, with gaps.
    const std::vector<std::vector<RawFrame>> stacks{stack({0x1000, 0x2000, 0x3000}),
                                                    stack({0x1000, 0x2000, 0x3000, 0x4000}),
                                                    stack({0x1000, 0x2000}),
                                                    stack({0x1000, 0x5000, 0x2000}),
                                                    stack({0x6000}),
                                                    stack({0x1000, 0x2000, 0x1000, 0x2000}),
                                                    stack({}),
                                                    stack({0x1004, 0x2000, 0x3000}),
                                                    stack({0x1000, 0x2000, 0x3000})};
    StackTimelineBuilder b;
    uint64_t t = kStart;
    for (int round = 0; round < 40; ++round) {
        const auto& s = stacks[static_cast<size_t>(round * 7 % 9)];
        b.add(t, kMs, thread(3, 3 + round % 2, "app"), s);
        t += round % 5 == 4 ? 9 * kMs : kMs / 2;  // every fifth sample of a thread comes late: a gap
    }
    const json j = write(b.finish(kStart, t + kMs, fake_names));
    ASSERT_EQ(j["profiles"].size(), 2u);
    for (const json& p : j["profiles"]) {
        const Replay r = replay(j, p);
        EXPECT_GT(r.busy.size(), 1u) << "the late samples leave gaps in " << p["name"];
        EXPECT_GT(r.busy_ns, 0u);
        EXPECT_LT(r.busy_ns, p["endValue"].get<uint64_t>());
    }
}

TEST(SpeedscopeWriter, FramesAreSharedOnceEach) {
    StackTimelineBuilder b;
    for (int i = 0; i < 10; ++i) {
        b.add(kStart + static_cast<uint64_t>(i / 3) * kMs, kMs, thread(1, 1 + i % 3, "app"),
              stack({0x1000, i % 2 ? 0x2000u : 0x2004u, 0x3000}));
    }
    const json j = write(b.finish(kStart, kStart + 20 * kMs, fake_names));
    std::set<std::string> names;
    for (const json& f : j["shared"]["frames"]) EXPECT_TRUE(names.insert(f["name"]).second) << f;
    EXPECT_EQ(names, (std::set<std::string>{"f1", "f2", "f3"}));
    // 0x2000 and 0x2004 are one function: each thread opens f2 once per run of samples.
    for (const json& p : j["profiles"]) {
        int opens = 0;
        for (const json& e : p["events"])
            opens += e["type"] == "O" && j["shared"]["frames"][e["frame"].get<size_t>()]["name"] == "f2";
        EXPECT_EQ(opens, 1) << p["name"];
    }
}

TEST(SpeedscopeWriter, SparseThreadGetsGapsAndItsShareOfTime) {
    // 1 ms samples: 10 in a row, then one every 10 ms: each stands for 1 ms.
    StackTimelineBuilder b;
    const auto th = thread(9, 9, "sparse");
    for (int i = 0; i < 10; ++i) b.add(kStart + static_cast<uint64_t>(i) * kMs, kMs, th, stack({0x1000, 0x2000}));
    for (int i = 0; i < 5; ++i)
        b.add(kStart + 20 * kMs + static_cast<uint64_t>(i) * 10 * kMs, kMs, th, stack({0x1000, 0x3000}));
    const json j = write(b.finish(kStart, kStart + 100 * kMs, fake_names));
    ASSERT_EQ(j["profiles"].size(), 1u);
    const Replay r = replay(j, j["profiles"][0]);
    EXPECT_EQ(r.busy.size(), 6u);  // the run of 10, then 5 separate samples
    EXPECT_EQ(r.busy_ns, 15 * kMs);
    EXPECT_EQ(r.open_ns.at("f1"), 15 * kMs);
    EXPECT_EQ(r.open_ns.at("f2"), 10 * kMs);
    EXPECT_EQ(r.open_ns.at("f3"), 5 * kMs);
}

TEST(SpeedscopeWriter, NamesThatAreNotUtf8AreReplacedNotThrownOn) {
    StackTimelineBuilder b;
    b.add(kStart, kMs, thread(1, 1, std::string("bad\xff name")), stack({0x1000}));
    std::ostringstream out;
    write_speedscope(b.finish(kStart, kStart + kMs, fake_names), {"n", "kiln"}, out);
    const json j = json::parse(out.str());
    EXPECT_EQ(j["profiles"][0]["name"].get<std::string>().rfind("bad", 0), 0u);
}

TEST(SpeedscopeWriter, WritingToAMissingDirectoryNamesThePath) {
    StackTimelines empty;
    auto st = write_speedscope(empty, {"n", "kiln"}, std::string("/nonexistent-kiln-dir/x.speedscope.json"));
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("/nonexistent-kiln-dir/x.speedscope.json"), std::string::npos);
}
