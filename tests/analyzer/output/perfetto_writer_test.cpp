// The Perfetto writer on a hand-built export: the bytes parse as perfetto.protos.Trace (the
// classes generated from analyzer/output/perfetto_trace.proto) and hold, field by field, what
// was put in: packets and their order, sequences and their flags, the clock, the process tree,
// sched_switch/sched_waking per CPU, counter tracks and values, instants, and sample stacks that
// resolve to function names through the interned data.
#include <gtest/gtest.h>
#include <stdio.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "analyzer/output/perfetto_writer.h"
#include "perfetto_trace.pb.h"
#include "tests/temp_dir.h"

namespace kiln::analyzer {
namespace {

namespace pb = perfetto::protos;

PerfettoExport sample_export() {
    PerfettoExport e;
    e.clock_id = 1;  // CLOCK_MONOTONIC
    e.start_time_ns = 1000;
    e.start_realtime_ns = 1700000000000000000ull;
    e.processes = {{100, 1, "app", {"./app", "--fast"}}, {200, 100, "child", {}}};
    e.threads = {{100, 100, "app"}, {101, 100, "worker"}, {200, 200, "child"}};
    auto n = [&e](const char* name) { return e.names.id(name); };
    e.switches = {{2000, 0, 100, n("app"), 120, 1, 101, n("worker"), 120},
                  {2500, 1, 0, n("swapper"), 120, 0, 200, n("child"), 110},
                  {3000, 0, 101, n("worker"), 120, 2, 0, n("swapper"), 120}};
    e.wakes = {{2900, 1, 200, 100, n("app"), 120, 0, true}};
    e.counters = {{"load.running", PerfettoCounterUnit::kCount, 0, {{1000, 3}, {2000, 5}}},
                  {"process.100.rss", PerfettoCounterUnit::kBytes, 100, {{1000, 4096}}}};
    e.instants = {{1500, 200, "fork", "from 100"}, {1600, 200, "exec", "child"}, {3500, 200, "exit", ""}};
    e.frames = {{"main", "/usr/bin/app", "abcd", 0x1100}, {"hot", "/usr/bin/app", "abcd", 0x1200},
                {"do_syscall_64_[k]", "[kernel.kallsyms]", "", 0xffff}, {"[truncated]", "", "", 0}};
    e.stacks = {{0, 1}, {0, 1, 2}, {3, 1}};
    e.samples = {{2100, 0, 100, 101, 0, false}, {2200, 0, 100, 101, 1, true}, {2300, 1, 200, 200, 0, false},
                 {2400, 1, 200, 200, 2, false}};
    return e;
}

pb::Trace decode(const std::string& bytes) {
    pb::Trace t;
    EXPECT_TRUE(t.ParseFromString(bytes));
    return t;
}

TEST(PerfettoWriter, PacketsAndSequences) {
    auto bytes = encode_perfetto(sample_export());
    ASSERT_TRUE(bytes) << bytes.error().message;
    const pb::Trace t = decode(*bytes);
    // clock + tree + 2 process tracks + 2 counter tracks + 2 bundles (CPU 0, 1) + 3 instants
    // + 3 counter values + 4 samples
    ASSERT_EQ(t.packet_size(), 1 + 1 + 2 + 2 + 2 + 3 + 3 + 4);
    std::map<uint32_t, int> seen;
    for (const auto& p : t.packet()) {
        ASSERT_TRUE(p.has_trusted_packet_sequence_id());
        const uint32_t seq = p.trusted_packet_sequence_id();
        ASSERT_TRUE(seq == kTimelineSequence || seq == kSamplesSequence) << seq;
        const uint32_t want = seen[seq]++ == 0 ? pb::TracePacket::SEQ_INCREMENTAL_STATE_CLEARED
                                               : pb::TracePacket::SEQ_NEEDS_INCREMENTAL_STATE;
        EXPECT_EQ(p.sequence_flags(), want);
        if (p.has_timestamp()) {
            EXPECT_EQ(p.timestamp_clock_id(), uint32_t{pb::BUILTIN_CLOCK_MONOTONIC});
        }
    }
    EXPECT_EQ(seen[kSamplesSequence], 4);
}

TEST(PerfettoWriter, ClockAndProcessTree) {
    const pb::Trace t = decode(*encode_perfetto(sample_export()));
    const auto& clock = t.packet(0);
    ASSERT_TRUE(clock.has_clock_snapshot());
    EXPECT_EQ(clock.clock_snapshot().primary_trace_clock(), pb::BUILTIN_CLOCK_MONOTONIC);
    std::map<uint32_t, uint64_t> clocks;
    for (const auto& c : clock.clock_snapshot().clocks()) clocks[c.clock_id()] = c.timestamp();
    EXPECT_EQ(clocks[pb::BUILTIN_CLOCK_MONOTONIC], 1000u);
    EXPECT_EQ(clocks[pb::BUILTIN_CLOCK_BOOTTIME], 1000u);
    EXPECT_EQ(clocks[pb::BUILTIN_CLOCK_REALTIME], 1700000000000000000ull);

    ASSERT_TRUE(t.packet(1).has_process_tree());
    const auto& tree = t.packet(1).process_tree();
    ASSERT_EQ(tree.processes_size(), 2);
    EXPECT_EQ(tree.processes(0).pid(), 100);
    EXPECT_EQ(tree.processes(0).ppid(), 1);
    ASSERT_EQ(tree.processes(0).cmdline_size(), 2);
    EXPECT_EQ(tree.processes(0).cmdline(1), "--fast");
    ASSERT_EQ(tree.processes(1).cmdline_size(), 1);  // no command line: the name
    EXPECT_EQ(tree.processes(1).cmdline(0), "child");
    ASSERT_EQ(tree.threads_size(), 3);
    EXPECT_EQ(tree.threads(1).tid(), 101);
    EXPECT_EQ(tree.threads(1).tgid(), 100);
    EXPECT_EQ(tree.threads(1).name(), "worker");

    const auto& td = t.packet(2).track_descriptor();
    EXPECT_EQ(td.uuid(), perfetto_process_track(100));
    EXPECT_EQ(td.process().pid(), 100);
    EXPECT_EQ(td.process().process_name(), "app");
}

TEST(PerfettoWriter, SchedEventsPerCpu) {
    const pb::Trace t = decode(*encode_perfetto(sample_export()));
    std::map<uint32_t, std::vector<pb::FtraceEvent>> by_cpu;
    for (const auto& p : t.packet())
        if (p.has_ftrace_events())
            for (const auto& ev : p.ftrace_events().event()) by_cpu[p.ftrace_events().cpu()].push_back(ev);
    ASSERT_EQ(by_cpu.size(), 2u);
    ASSERT_EQ(by_cpu[0].size(), 2u);
    const auto& first = by_cpu[0][0];
    EXPECT_EQ(first.timestamp(), 2000u);
    EXPECT_EQ(first.pid(), 100u);
    ASSERT_TRUE(first.has_sched_switch());
    EXPECT_EQ(first.sched_switch().prev_pid(), 100);
    EXPECT_EQ(first.sched_switch().prev_comm(), "app");
    EXPECT_EQ(first.sched_switch().prev_state(), 1);
    EXPECT_EQ(first.sched_switch().next_pid(), 101);
    EXPECT_EQ(first.sched_switch().next_comm(), "worker");
    EXPECT_EQ(first.sched_switch().prev_prio(), 120);
    EXPECT_EQ(by_cpu[0][1].sched_switch().prev_state(), 2);
    // CPU 1: the switch in, then the waking (time order within the bundle).
    ASSERT_EQ(by_cpu[1].size(), 2u);
    EXPECT_EQ(by_cpu[1][0].sched_switch().next_pid(), 200);
    EXPECT_EQ(by_cpu[1][0].sched_switch().next_prio(), 110);
    const auto& wake = by_cpu[1][1];
    ASSERT_TRUE(wake.has_sched_waking());
    EXPECT_EQ(wake.timestamp(), 2900u);
    EXPECT_EQ(wake.pid(), 200u);  // the waker
    EXPECT_EQ(wake.sched_waking().pid(), 100);
    EXPECT_EQ(wake.sched_waking().comm(), "app");
    EXPECT_EQ(wake.sched_waking().target_cpu(), 0);
    for (auto& [cpu, events] : by_cpu)
        for (size_t i = 1; i < events.size(); ++i) EXPECT_LE(events[i - 1].timestamp(), events[i].timestamp());
}

TEST(PerfettoWriter, BundlesAreBounded) {
    PerfettoExport e = sample_export();
    e.switches.clear();
    e.wakes.clear();
    for (uint64_t i = 0; i < kEventsPerBundle + 5; ++i) e.switches.push_back({5000 + i, 3, 1, e.names.id("a"), 0, 0, 2, e.names.id("b"), 0});
    const pb::Trace t = decode(*encode_perfetto(e));
    std::vector<int> sizes;
    uint64_t last = 0;
    for (const auto& p : t.packet()) {
        if (!p.has_ftrace_events()) continue;
        EXPECT_EQ(p.ftrace_events().cpu(), 3u);
        sizes.push_back(p.ftrace_events().event_size());
        for (const auto& ev : p.ftrace_events().event()) {
            EXPECT_GT(ev.timestamp(), last);
            last = ev.timestamp();
        }
    }
    EXPECT_EQ(sizes, (std::vector<int>{static_cast<int>(kEventsPerBundle), 5}));
}

TEST(PerfettoWriter, CountersAndInstants) {
    const pb::Trace t = decode(*encode_perfetto(sample_export()));
    std::map<uint64_t, const pb::TrackDescriptor*> tracks;
    std::map<uint64_t, std::vector<std::pair<uint64_t, double>>> values;
    std::vector<std::pair<uint64_t, std::string>> instants;
    for (const auto& p : t.packet()) {
        if (p.has_track_descriptor()) tracks[p.track_descriptor().uuid()] = &p.track_descriptor();
        if (!p.has_track_event()) continue;
        const auto& te = p.track_event();
        if (te.type() == pb::TrackEvent::TYPE_COUNTER) values[te.track_uuid()].emplace_back(p.timestamp(), te.double_counter_value());
        if (te.type() == pb::TrackEvent::TYPE_INSTANT) {
            EXPECT_EQ(te.track_uuid(), perfetto_process_track(200));
            ASSERT_TRUE(tracks.count(te.track_uuid()));
            instants.emplace_back(p.timestamp(), te.name());
        }
    }
    const auto* load = tracks.at(perfetto_counter_track(0));
    EXPECT_EQ(load->name(), "load.running");
    EXPECT_EQ(load->counter().unit(), pb::CounterDescriptor::UNIT_COUNT);
    EXPECT_FALSE(load->has_parent_uuid());
    EXPECT_EQ(values[perfetto_counter_track(0)], (std::vector<std::pair<uint64_t, double>>{{1000, 3}, {2000, 5}}));
    const auto* rss = tracks.at(perfetto_counter_track(1));
    EXPECT_EQ(rss->parent_uuid(), perfetto_process_track(100));
    EXPECT_EQ(rss->counter().unit(), pb::CounterDescriptor::UNIT_SIZE_BYTES);
    EXPECT_EQ(values[perfetto_counter_track(1)], (std::vector<std::pair<uint64_t, double>>{{1000, 4096}}));
    EXPECT_EQ(instants, (std::vector<std::pair<uint64_t, std::string>>{
                            {1500, "fork from 100"}, {1600, "exec child"}, {3500, "exit"}}));
}

// The samples' stacks, resolved through the interned data as trace processor does it.
TEST(PerfettoWriter, SampleStacksResolveThroughInternedData) {
    const pb::Trace t = decode(*encode_perfetto(sample_export()));
    std::map<uint64_t, std::string> names, paths;
    std::map<uint64_t, pb::Frame> frames;
    std::map<uint64_t, pb::Mapping> mappings;
    std::map<uint64_t, std::vector<uint64_t>> callstacks;
    std::vector<std::vector<std::string>> stacks;
    std::vector<pb::PerfSample> samples;
    for (const auto& p : t.packet()) {
        if (p.trusted_packet_sequence_id() != kSamplesSequence) {
            EXPECT_FALSE(p.has_interned_data());
            continue;
        }
        const auto& in = p.interned_data();
        for (const auto& s : in.function_names()) EXPECT_TRUE(names.emplace(s.iid(), s.str()).second);
        for (const auto& s : in.mapping_paths()) EXPECT_TRUE(paths.emplace(s.iid(), s.str()).second);
        for (const auto& m : in.mappings()) EXPECT_TRUE(mappings.emplace(m.iid(), m).second);
        for (const auto& f : in.frames()) EXPECT_TRUE(frames.emplace(f.iid(), f).second);
        for (const auto& c : in.callstacks())
            EXPECT_TRUE(callstacks.emplace(c.iid(), std::vector<uint64_t>(c.frame_ids().begin(), c.frame_ids().end())).second);
        ASSERT_TRUE(p.has_perf_sample());
        samples.push_back(p.perf_sample());
        std::vector<std::string> stack;
        for (uint64_t f : callstacks.at(p.perf_sample().callstack_iid()))
            stack.push_back(names.at(frames.at(f).function_name_id()));
        stacks.push_back(stack);
    }
    ASSERT_EQ(samples.size(), 4u);
    EXPECT_EQ(stacks[0], (std::vector<std::string>{"main", "hot"}));
    EXPECT_EQ(stacks[1], (std::vector<std::string>{"main", "hot", "do_syscall_64_[k]"}));
    EXPECT_EQ(stacks[2], stacks[0]);
    EXPECT_EQ(stacks[3], (std::vector<std::string>{"[truncated]", "hot"}));
    EXPECT_EQ(samples[0].pid(), 100u);
    EXPECT_EQ(samples[0].tid(), 101u);
    EXPECT_EQ(samples[2].cpu(), 1u);
    EXPECT_EQ(samples[0].cpu_mode(), pb::Profiling::MODE_USER);
    EXPECT_EQ(samples[1].cpu_mode(), pb::Profiling::MODE_KERNEL);
    EXPECT_EQ(callstacks.size(), 3u);  // interned once each
    EXPECT_EQ(frames.size(), 4u);
    for (const auto& [iid, f] : frames) EXPECT_TRUE(mappings.count(f.mapping_id())) << "frame " << iid;
    // Frames name their binary through a mapping whose path is split at '/'.
    const pb::Frame& hot = frames.at(callstacks.begin()->second.back());
    EXPECT_EQ(hot.rel_pc(), 0x1200u);
    std::string path;
    for (uint64_t id : mappings.at(hot.mapping_id()).path_string_ids()) path += "/" + paths.at(id);
    EXPECT_EQ(path, "/usr/bin/app");
}

// The README's way to look at a trace by hand: protoc decodes it with the .proto as text.
TEST(PerfettoWriter, ProtocDecodesTheFile) {
    test::TempDir tmp;
    const std::string file = tmp.path("t.perfetto-trace");
    ASSERT_TRUE(write_perfetto(sample_export(), file));
    const std::string cmd = "protoc --decode=perfetto.protos.Trace -I " PERFETTO_PROTO_DIR " " PERFETTO_PROTO_DIR
                            "/perfetto_trace.proto < " + file + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string text;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) text.append(buf, n);
    const int status = ::pclose(p);
    ASSERT_EQ(status, 0) << text;
    EXPECT_NE(text.find("next_comm: \"worker\""), std::string::npos) << text;
    EXPECT_NE(text.find("primary_trace_clock: BUILTIN_CLOCK_MONOTONIC"), std::string::npos) << text;
    EXPECT_NE(text.find("type: TYPE_COUNTER"), std::string::npos) << text;
}

// A counter of a process the tree does not know still hangs under a process track.
TEST(PerfettoWriter, EveryParentTrackExists) {
    PerfettoExport e = sample_export();
    e.counters.push_back({"process.300.cpu", PerfettoCounterUnit::kNone, 300, {{1000, 50}}});
    const pb::Trace t = decode(*encode_perfetto(e));
    std::set<uint64_t> tracks;
    std::vector<uint64_t> parents;
    for (const auto& p : t.packet()) {
        if (!p.has_track_descriptor()) continue;
        tracks.insert(p.track_descriptor().uuid());
        if (p.track_descriptor().has_parent_uuid()) parents.push_back(p.track_descriptor().parent_uuid());
    }
    ASSERT_EQ(parents.size(), 2u);
    for (uint64_t parent : parents) EXPECT_TRUE(tracks.count(parent)) << parent;
    EXPECT_TRUE(tracks.count(perfetto_process_track(300)));
}

TEST(PerfettoWriter, UnknownClockIsAnError) {
    PerfettoExport e = sample_export();
    e.clock_id = 99;
    auto bytes = encode_perfetto(e);
    ASSERT_FALSE(bytes);
    EXPECT_NE(bytes.error().message.find("99"), std::string::npos);
}

TEST(PerfettoWriter, WriteErrorsNameThePath) {
    Status st = write_perfetto(sample_export(), "/nonexistent-dir-kiln/x.perfetto-trace");
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("/nonexistent-dir-kiln/x.perfetto-trace"), std::string::npos);
}

}  // namespace
}  // namespace kiln::analyzer
