// `kiln analyze --perfetto` end to end: a real system-wide recording (`kiln record -a
// --off-cpu -d 2`) of offcpu_mix (its sleeper thread sleeps 400 ms in sleep_400ms, its reader
// blocks 600 ms on a pipe, its spinner spins 300 ms in spin_300ms), started by a shell so that
// its fork, exec and exit happen while recording. The trace is decoded back through the classes
// generated from analyzer/output/perfetto_trace.proto and checked against what the workload did.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "analyzer/output/perfetto_writer.h"
#include "perfetto_trace.pb.h"
#include "tests/tools/kiln_runner.h"

using namespace kiln::test;
namespace pb = perfetto::protos;

namespace {

constexpr double kTolerance = 0.15;

RunResult run_kiln(std::vector<std::string> args) {
    args.insert(args.begin(), kiln_bin());
    return run(args);
}

pb::Trace read_trace(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    pb::Trace t;
    EXPECT_TRUE(t.ParseFromString(s.str())) << path << " is not a perfetto.protos.Trace";
    return t;
}

struct Switch {
    uint64_t time;
    uint32_t cpu;
    pb::SchedSwitchFtraceEvent ev;
};

// The trace, read the way trace processor reads it.
struct Decoded {
    std::vector<Switch> switches;
    std::map<uint32_t, std::vector<uint64_t>> times_by_cpu;  // every ftrace event, in file order
    std::map<int32_t, std::map<std::string, int32_t>> threads;  // tgid -> thread name -> tid
    std::map<uint64_t, std::string> track_names;
    std::map<std::string, std::vector<std::pair<uint64_t, double>>> counters;  // by track name
    std::vector<std::tuple<uint64_t, int32_t, std::string>> instants;        // time, pid, name
    std::vector<std::pair<pb::PerfSample, std::vector<std::string>>> samples;  // with function names, root first
    std::map<uint32_t, std::vector<uint32_t>> flags;                         // sequence -> flags of its packets
    int packets = 0;
};

Decoded decode(const pb::Trace& t) {
    Decoded d;
    std::map<uint64_t, std::string> names;
    std::map<uint64_t, uint64_t> frame_names;
    std::map<uint64_t, std::vector<uint64_t>> callstacks;
    for (const auto& p : t.packet()) {
        ++d.packets;
        d.flags[p.trusted_packet_sequence_id()].push_back(p.sequence_flags());
        if (p.has_ftrace_events()) {
            const uint32_t cpu = p.ftrace_events().cpu();
            for (const auto& ev : p.ftrace_events().event()) {
                d.times_by_cpu[cpu].push_back(ev.timestamp());
                if (ev.has_sched_switch()) d.switches.push_back({ev.timestamp(), cpu, ev.sched_switch()});
            }
        }
        if (p.has_process_tree())
            for (const auto& th : p.process_tree().threads()) d.threads[th.tgid()][th.name()] = th.tid();
        if (p.has_track_descriptor()) d.track_names[p.track_descriptor().uuid()] = p.track_descriptor().name();
        if (p.has_track_event()) {
            const auto& te = p.track_event();
            if (te.type() == pb::TrackEvent::TYPE_COUNTER)
                d.counters[d.track_names[te.track_uuid()]].emplace_back(p.timestamp(), te.double_counter_value());
            const auto pid = static_cast<int32_t>(te.track_uuid() & 0xffffffff);
            if (te.type() == pb::TrackEvent::TYPE_INSTANT && te.track_uuid() == kiln::analyzer::perfetto_process_track(pid))
                d.instants.emplace_back(p.timestamp(), pid, te.name());
        }
        const auto& in = p.interned_data();
        for (const auto& s : in.function_names()) names[s.iid()] = s.str();
        for (const auto& f : in.frames()) frame_names[f.iid()] = f.function_name_id();
        for (const auto& c : in.callstacks()) callstacks[c.iid()].assign(c.frame_ids().begin(), c.frame_ids().end());
        if (p.has_perf_sample()) {
            std::vector<std::string> stack;
            for (uint64_t f : callstacks[p.perf_sample().callstack_iid()]) stack.push_back(names[frame_names[f]]);
            d.samples.emplace_back(p.perf_sample(), stack);
        }
    }
    std::stable_sort(d.switches.begin(), d.switches.end(), [](const Switch& a, const Switch& b) { return a.time < b.time; });
    return d;
}

// Every span a thread spent switched out: from its switch out to its next switch in.
std::vector<double> off_cpu_ms(const Decoded& d, int32_t tid) {
    std::vector<double> out;
    uint64_t left = 0;
    for (const auto& s : d.switches) {
        if (s.ev.prev_pid() == tid) left = s.time;
        if (s.ev.next_pid() == tid && left) {
            out.push_back(static_cast<double>(s.time - left) / 1e6);
            left = 0;
        }
    }
    return out;
}

std::string listed(const std::vector<double>& v) {
    std::string out;
    for (double x : v) out += std::to_string(x) + " ";
    return out;
}

bool near(double actual, double truth) { return actual >= truth * (1 - kTolerance) && actual <= truth * (1 + kTolerance); }

class PerfettoExport : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        tmp_ = new TempDir;
        rec_ = tmp_->path("sys.kiln");
        // sh forks the workload (a second command keeps it from exec'ing in place).
        auto r = run_kiln({"record", "-a", "--off-cpu", "-d", "2", "-o", rec_, "--", "/bin/sh", "-c",
                           workload("offcpu_mix_fp") + "; true"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        auto a = run_kiln({"analyze", rec_, "--perfetto", tmp_->path("sys.perfetto-trace")});
        ASSERT_EQ(a.exit_code, 0) << a.err;
        decoded_ = new Decoded(decode(read_trace(tmp_->path("sys.perfetto-trace"))));
    }
    static void TearDownTestSuite() {
        delete decoded_;
        delete tmp_;
    }
    void SetUp() override { ASSERT_NE(decoded_, nullptr) << "the recording or its export failed"; }

    // The workload's pid: the process that exec'ed offcpu_mix_fp.
    static int32_t workload_pid() {
        for (const auto& [time, pid, name] : decoded_->instants)
            if (name == "exec offcpu_mix_fp") return pid;
        return 0;
    }
    static int32_t thread(const std::string& name) {
        auto p = decoded_->threads.find(workload_pid());
        if (p == decoded_->threads.end()) return 0;
        auto t = p->second.find(name);
        return t == p->second.end() ? 0 : t->second;
    }

    static TempDir* tmp_;
    static std::string rec_;
    static Decoded* decoded_;
};
TempDir* PerfettoExport::tmp_ = nullptr;
std::string PerfettoExport::rec_;
Decoded* PerfettoExport::decoded_ = nullptr;

TEST_F(PerfettoExport, SequencesAndFlags) {
    const Decoded& d = *decoded_;
    EXPECT_GT(d.packets, 10);
    ASSERT_EQ(d.flags.size(), 2u) << "the timeline's and the samples' sequences, nothing without an id";
    for (const auto& [seq, flags] : d.flags) {
        EXPECT_NE(seq, 0u);
        ASSERT_FALSE(flags.empty());
        EXPECT_EQ(flags[0], uint32_t{pb::TracePacket::SEQ_INCREMENTAL_STATE_CLEARED}) << "sequence " << seq;
        for (size_t i = 1; i < flags.size(); ++i)
            EXPECT_EQ(flags[i], uint32_t{pb::TracePacket::SEQ_NEEDS_INCREMENTAL_STATE}) << "sequence " << seq;
    }
}

TEST_F(PerfettoExport, ForkExecExitOfTheWorkload) {
    const int32_t pid = workload_pid();
    ASSERT_GT(pid, 0) << "no exec instant of offcpu_mix_fp";
    std::map<std::string, uint64_t> at;
    for (const auto& [time, p, name] : decoded_->instants)
        if (p == pid) at[name.substr(0, name.find(' '))] = time;
    ASSERT_TRUE(at.count("fork")) << "no fork instant on the workload's track";
    ASSERT_TRUE(at.count("exit")) << "no exit instant on the workload's track";
    EXPECT_LT(at["fork"], at["exec"]);
    EXPECT_LT(at["exec"], at["exit"]);
}

TEST_F(PerfettoExport, SwitchesOfTheWorkloadThreads) {
    for (const char* name : {"sleeper", "reader", "writer", "spinner"}) {
        const int32_t tid = thread(name);
        ASSERT_GT(tid, 0) << name << " is not in the process tree under the workload's pid";
        size_t out = 0, in = 0;
        for (const auto& s : decoded_->switches) {
            if (s.ev.prev_pid() == tid) {
                ++out;
                EXPECT_EQ(s.ev.prev_comm(), name);
            }
            in += s.ev.next_pid() == tid;
        }
        EXPECT_GT(out, 0u) << name;
        EXPECT_GT(in, 0u) << name;
    }
    // Timestamps never go back on a CPU.
    for (const auto& [cpu, times] : decoded_->times_by_cpu)
        EXPECT_TRUE(std::is_sorted(times.begin(), times.end())) << "cpu " << cpu;
}

TEST_F(PerfettoExport, KnownSleepsAreSpansBetweenSwitchOutAndIn) {
    const int32_t sleeper = thread("sleeper"), reader = thread("reader");
    ASSERT_GT(sleeper, 0);
    const auto sleeps = off_cpu_ms(*decoded_, sleeper);
    EXPECT_TRUE(std::any_of(sleeps.begin(), sleeps.end(), [](double ms) { return near(ms, 400); }))
        << "sleeper off-CPU spans (ms): " << listed(sleeps);
    // The switch out that starts it: interruptible sleep (S).
    const auto blocks = off_cpu_ms(*decoded_, reader);
    EXPECT_TRUE(std::any_of(blocks.begin(), blocks.end(), [](double ms) { return near(ms, 600); }))
        << "reader off-CPU spans (ms): " << listed(blocks);
    bool slept = false;
    for (const auto& s : decoded_->switches) slept |= s.ev.prev_pid() == sleeper && (s.ev.prev_state() & 0xff) == 1;
    EXPECT_TRUE(slept) << "no switch out of the sleeper in state S";
}

TEST_F(PerfettoExport, LoadCounters) {
    auto it = decoded_->counters.find("load.running");
    ASSERT_NE(it, decoded_->counters.end()) << "no load.running counter track";
    ASSERT_GE(it->second.size(), 5u) << "one value per 100 ms snapshot";
    for (const auto& [time, value] : it->second) {
        // procs_running counts the reader of /proc/stat itself: at least 1, a whole number.
        EXPECT_GE(value, 1.0);
        EXPECT_EQ(value, static_cast<double>(static_cast<int64_t>(value)));
    }
    EXPECT_TRUE(decoded_->counters.count("load.blocked"));
    EXPECT_TRUE(decoded_->counters.count("cpu.busy"));
}

TEST_F(PerfettoExport, SampleStacksHaveTheHotFunction) {
    const int32_t spinner = thread("spinner");
    ASSERT_GT(spinner, 0);
    size_t spinner_samples = 0, in_spin = 0;
    for (const auto& [s, stack] : decoded_->samples) {
        if (static_cast<int32_t>(s.tid()) != spinner) continue;
        ++spinner_samples;
        EXPECT_EQ(static_cast<int32_t>(s.pid()), workload_pid());
        in_spin += std::find(stack.begin(), stack.end(), "spin_300ms") != stack.end();
    }
    ASSERT_GT(spinner_samples, 50u) << "the spinner ran 300 ms";
    EXPECT_GT(in_spin * 10, spinner_samples * 8) << "most of the spinner's samples are in spin_300ms";
}

TEST_F(PerfettoExport, DashWritesTheSameTraceToStdout) {
    auto r = run_kiln({"analyze", rec_, "--perfetto", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    pb::Trace t;
    ASSERT_TRUE(t.ParseFromString(r.out));
    EXPECT_EQ(t.packet_size(), decoded_->packets);
    EXPECT_EQ(decode(t).switches.size(), decoded_->switches.size());
}

TEST_F(PerfettoExport, OutputDirHasTheTraceWhenThereAreSwitches) {
    const std::string dir = tmp_->path("out");
    auto r = run_kiln({"analyze", rec_, "-o", dir});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_GT(std::filesystem::file_size(dir + "/trace.perfetto-trace"), 1000u);
    // A recording with neither switches nor counters gets no trace.
    const std::string plain = tmp_->path("plain.kiln");
    r = run_kiln({"record", "--counter-interval", "0", "-o", plain, "--", workload("cpu_split_fp"), "0.2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_kiln({"analyze", plain, "-o", tmp_->path("plain")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(std::filesystem::exists(tmp_->path("plain/trace.perfetto-trace")));
    EXPECT_TRUE(std::filesystem::exists(tmp_->path("plain/cpu.svg")));
}

// A per-task recording: the tracepoint gives the workload's switches out, the kernel's switch
// records its switches in; the sleeper's 400 ms still shows between the two, and no switch
// has the same task on both sides.
TEST(PerfettoPerTask, SwitchInsComeFromTheSwitchRecords) {
    TempDir tmp;
    const std::string rec = tmp.path("task.kiln"), trace = tmp.path("task.perfetto-trace");
    auto r = run_kiln({"record", "--off-cpu", "-o", rec, "--", workload("offcpu_mix_fp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_kiln({"analyze", rec, "--perfetto", trace});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Decoded d = decode(read_trace(trace));
    int32_t sleeper = 0;
    for (const auto& [tgid, threads] : d.threads)
        if (auto t = threads.find("sleeper"); t != threads.end()) sleeper = t->second;
    ASSERT_GT(sleeper, 0) << "no sleeper thread in the process tree";
    const auto sleeps = off_cpu_ms(d, sleeper);
    EXPECT_TRUE(std::any_of(sleeps.begin(), sleeps.end(), [](double ms) { return near(ms, 400); }))
        << "sleeper off-CPU spans (ms): " << listed(sleeps);
    for (const auto& s : d.switches) EXPECT_NE(s.ev.prev_pid(), s.ev.next_pid()) << "at " << s.time;
    for (const auto& [cpu, times] : d.times_by_cpu)
        EXPECT_TRUE(std::is_sorted(times.begin(), times.end())) << "cpu " << cpu;
}

}  // namespace
