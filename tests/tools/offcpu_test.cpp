// Off-CPU recording end to end: `kiln record --off-cpu` of offcpu_mix, whose threads sleep
// 400 ms (sleeper), block 600 ms reading a pipe (reader) until another thread writes it after
// sleeping 600 ms (writer), and spin 300 ms of CPU (spinner). The offcpu, hotcold and wakeup
// views must show those times within 15%, with every target mode and unwinding mode, and
// agree with `perf sched timehist` on the same workload.
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

constexpr double kTolerance = 0.15;

// Milliseconds of one thread in a view, by how its stacks end.
struct ThreadTimes {
    double on_cpu = 0;                    // stacks without a state frame (hotcold's on-CPU side)
    std::map<std::string, double> state;  // "[sleep]", "[io]", "[preempted]", "[stopped]" → ms
    double open = 0;                      // blocks still open at the end ("[open at end]")
    std::vector<std::string> stacks;      // the off-CPU stacks
    std::map<std::string, double> stack_ms;
    double off_cpu() const {
        double t = 0;
        for (const auto& [s, v] : state) t += v;
        return t;
    }
};

const char* const kStates[] = {"[sleep]", "[io]", "[preempted]", "[stopped]"};

ThreadTimes times_of(const std::map<std::string, double>& folded) {
    ThreadTimes t;
    for (const auto& [stack, ns] : folded) {
        const double ms = ns / 1e6;
        std::string state;
        size_t at = std::string::npos;
        for (const char* s : kStates) {
            const size_t pos = stack.rfind(std::string(";") + s);
            if (pos != std::string::npos && (at == std::string::npos || pos > at)) {
                at = pos;
                state = s;
            }
        }
        if (state.empty()) {
            t.on_cpu += ms;
            continue;
        }
        t.state[state] += ms;
        t.stacks.push_back(stack);
        t.stack_ms[stack] += ms;
        if (stack.find(";[open at end]") != std::string::npos) t.open += ms;
    }
    return t;
}

// One thread's stacks of a view as folded text (--comm matches the thread name too).
ThreadTimes thread_times(const std::string& rec, const std::string& view, const std::string& thread,
                         std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"analyze", rec, "--view", view, "--comm", thread, "--folded", "-"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_kiln(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return times_of(parse_folded(r.out));
}

bool any_stack_has(const ThreadTimes& t, const std::string& frame) {
    for (const auto& s : t.stacks)
        if (s.find(";" + frame + ";") != std::string::npos) return true;
    return false;
}

std::string joined(const std::vector<std::string>& stacks) {
    std::string out;
    for (const auto& s : stacks) out += s + "\n";
    return out;
}

#define EXPECT_NEAR_SHARE(actual, truth, what) \
    EXPECT_NEAR(actual, truth, (truth) * kTolerance) << what

// Milliseconds asleep under stacks that contain `needle` (a function, user or kernel).
double asleep_in(const ThreadTimes& t, const std::string& needle) {
    double ms = 0;
    for (const auto& [stack, v] : t.stack_ms)
        if (stack.find(needle) != std::string::npos && stack.find(";[sleep]") != std::string::npos) ms += v;
    return ms;
}

// Milliseconds asleep outside the start barrier, where the threads wait for each other: on a
// loaded machine starting them takes long (100 ms and more was seen), which is not the
// workload's known block.
double asleep_after_start(const ThreadTimes& t) {
    const double total = t.state.count("[sleep]") ? t.state.at("[sleep]") : 0;
    return total - asleep_in(t, "pthread_barrier_wait");
}

// The sleeper, reader and writer blocked as the workload says.
void expect_known_blocks(const std::string& rec, const std::string& view, const std::string& what) {
    const ThreadTimes sleeper = thread_times(rec, view, "sleeper");
    const ThreadTimes reader = thread_times(rec, view, "reader");
    const ThreadTimes writer = thread_times(rec, view, "writer");
    EXPECT_NEAR_SHARE(asleep_after_start(sleeper), 400.0, what << " sleeper\n" << joined(sleeper.stacks));
    EXPECT_NEAR_SHARE(asleep_after_start(reader), 600.0, what << " reader\n" << joined(reader.stacks));
    EXPECT_NEAR_SHARE(asleep_after_start(writer), 600.0, what << " writer\n" << joined(writer.stacks));
    EXPECT_EQ(sleeper.open + reader.open + writer.open, 0.0) << what << ": every block ended before the recording";
}

}  // namespace

// Frame pointers and DWARF: the same figures, and stacks unwound as CPU samples are.
TEST(OffCpu, CommandFiguresMatchTheWorkloadWithEveryUnwinding) {
    struct Case {
        const char* workload;
        const char* call_graph;
    };
    for (const Case c : {Case{"offcpu_mix_fp", "fp"}, Case{"offcpu_mix_nofp", "dwarf"}}) {
        TempDir tmp;
        const std::string rec = tmp.path("o.kiln");
        auto r = run_kiln({"record", "--off-cpu", "-g", c.call_graph, "-o", rec, "--", workload(c.workload)});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        expect_known_blocks(rec, "offcpu", c.workload);

        const ThreadTimes reader = thread_times(rec, "offcpu", "reader");
        const ThreadTimes sleeper = thread_times(rec, "offcpu", "sleeper");
        EXPECT_TRUE(any_stack_has(reader, "run")) << joined(reader.stacks);
        if (std::string(c.call_graph) == "dwarf") {
            // DWARF unwinding goes through libc (built without frame pointers) to the caller.
            EXPECT_TRUE(any_stack_has(reader, "block_on_pipe")) << joined(reader.stacks);
            EXPECT_TRUE(any_stack_has(sleeper, "sleep_400ms")) << joined(sleeper.stacks);
        }
    }
}

TEST(OffCpu, MinBlockDropsShortBlocks) {
    TempDir tmp;
    const std::string rec = tmp.path("o.kiln");
    auto r = run_kiln({"record", "--off-cpu", "-o", rec, "--", workload("offcpu_mix_fp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Only the 600 ms blocks are 500 ms or longer: the sleeper's 400 ms and the spinner's
    // preemptions go, the reader's block stays whole.
    EXPECT_EQ(thread_times(rec, "offcpu", "sleeper", {"--min-block", "500ms"}).off_cpu(), 0.0);
    EXPECT_EQ(thread_times(rec, "offcpu", "spinner", {"--min-block", "500ms"}).off_cpu(), 0.0);
    EXPECT_NEAR_SHARE(thread_times(rec, "offcpu", "reader", {"--min-block", "500ms"}).off_cpu(), 600.0, "reader");
    EXPECT_NEAR_SHARE(thread_times(rec, "offcpu", "sleeper", {"--min-block", "300ms"}).off_cpu(), 400.0, "sleeper");
    auto bad = run_kiln({"analyze", rec, "--view", "offcpu", "--min-block", "5 parsecs"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--min-block"), std::string::npos) << bad.err;
}

TEST(OffCpu, HotColdShowsOnAndOffCpuTimeInOneProfile) {
    TempDir tmp;
    const std::string rec = tmp.path("hc.kiln");
    auto r = run_kiln({"record", "--off-cpu", "-e", "cpu-clock", "-o", rec, "--", workload("offcpu_mix_fp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_known_blocks(rec, "hotcold", "hotcold");
    const ThreadTimes spinner = thread_times(rec, "hotcold", "spinner");
    EXPECT_NEAR_SHARE(spinner.on_cpu, 300.0, "spinner on-CPU");
    EXPECT_LT(thread_times(rec, "hotcold", "sleeper").on_cpu, 20.0) << "the sleeper barely runs";

    // pprof: three sample types, wall the default.
    auto out = run_kiln({"analyze", rec, "--view", "hotcold", "--pprof", tmp.path("hc.pb.gz"), "--svg", tmp.path("hc.svg")});
    ASSERT_EQ(out.exit_code, 0) << out.err;
    setenv("HOME", tmp.dir().c_str(), 1);
    for (const char* type : {"cpu", "offcpu", "wall"}) {
        auto top = run({"/usr/bin/go", "tool", "pprof", "-top", "-symbolize=none", std::string("-sample_index=") + type,
                        tmp.path("hc.pb.gz")});
        ASSERT_EQ(top.exit_code, 0) << top.err;
        EXPECT_NE(top.out.find(std::string("Type: ") + type), std::string::npos) << top.out;
    }
    // SVG: off-CPU frames (class o, blue) apart from on-CPU ones.
    const std::string svg = read_text(tmp.path("hc.svg"));
    EXPECT_TRUE(std::regex_search(svg, std::regex(R"(<g class="o"[^>]*><title>\[sleep\] \()"))) << "blue [sleep]";
    EXPECT_TRUE(std::regex_search(svg, std::regex(R"(<g class="u"[^>]*><title>spin_300ms \()"))) << "on-CPU spin";
    EXPECT_NE(svg.find(">off-CPU<"), std::string::npos) << "legend";
    EXPECT_EQ(run({"/usr/bin/xmllint", "--noout", tmp.path("hc.svg")}).exit_code, 0);
}

TEST(OffCpu, WakeupViewPutsTheWritersStackOnTheReadersBlock) {
    TempDir tmp;
    const std::string rec = tmp.path("w.kiln");
    auto r = run_kiln({"record", "--off-cpu", "-o", rec, "--", workload("offcpu_mix_fp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto a = run_kiln({"analyze", rec, "--view", "wakeup", "--comm", "reader", "--folded", "-"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    double by_writer = 0;
    for (const auto& [stack, ns] : parse_folded(a.out)) {
        const size_t sep = stack.find(";[sleep];--;");
        if (sep == std::string::npos) continue;
        const std::string waker = stack.substr(sep);
        // The waker's stack leaf first, ending in the waking thread's name.
        if (waker.size() > 7 && waker.compare(waker.size() - 7, 7, ";writer") == 0 &&
            waker.find("write") != std::string::npos)
            by_writer += ns / 1e6;
    }
    EXPECT_NEAR_SHARE(by_writer, 600.0, a.out);
}

TEST(OffCpu, AttachToARunningProcess) {
    TempDir tmp;
    const std::string pidfile = tmp.path("mix.pid");
    pid_t pid = spawn({workload("offcpu_mix_fp"), "1.0", pidfile});
    ASSERT_TRUE(wait_until([&] { return !read_text(pidfile).empty(); })) << "the workload never wrote its pid";
    const std::string rec = tmp.path("p.kiln");
    auto r = run_kiln({"record", "--off-cpu", "-p", std::to_string(pid), "-o", rec});
    wait_for(pid);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_known_blocks(rec, "offcpu", "-p");
}

TEST(OffCpu, SystemWide) {
    TempDir tmp;
    const std::string rec = tmp.path("a.kiln");
    auto r = run_kiln({"record", "--off-cpu", "-a", "-o", rec, "--", workload("offcpu_mix_fp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_known_blocks(rec, "offcpu", "-a");
}

// A block still open when recording stops counts up to the stop and is marked.
TEST(OffCpu, BlocksOpenAtTheEndAreCountedToTheEndAndMarked) {
    TempDir tmp;
    // Recording stops 1 s after the start while the reader waits on its pipe, which the
    // writer fills only after 3 s here (third argument): however long a loaded machine takes
    // to start the threads, the reader is in the pipe read when recording stops.
    const std::string rec = tmp.path("open.kiln");
    auto r = run_kiln({"record", "--off-cpu", "-d", "1", "-o", rec, "--", workload("offcpu_mix_fp"), "0", "-", "3000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const ThreadTimes reader = thread_times(rec, "offcpu", "reader");
    const ThreadTimes pipe_open = [&] {
        ThreadTimes t;
        for (size_t i = 0; i < reader.stacks.size(); ++i)
            if (reader.stacks[i].find("pipe_read") != std::string::npos) t.stacks.push_back(reader.stacks[i]);
        return t;
    }();
    ASSERT_FALSE(pipe_open.stacks.empty()) << joined(reader.stacks);
    for (const auto& s : pipe_open.stacks) EXPECT_NE(s.find(";[sleep];[open at end]"), std::string::npos) << s;
    // Counted up to the stop: from the reader's start (well under 0.5 s in) to 1 s.
    const double open_ms = asleep_in(reader, "pipe_read");
    EXPECT_GT(open_ms, 500.0) << joined(reader.stacks);
    EXPECT_LT(open_ms, 1050.0) << joined(reader.stacks);
}

// perf sched timehist's off-CPU time per thread name: "TIME [CPU] NAME[TID/PID] WAIT SCH_DELAY
// RUN", where the time off CPU before each switch in is wait + delay. Also the raw table.
struct PerfSchedTimes {
    std::map<std::string, double> ms;
    std::string table;
};

static PerfSchedTimes perf_sched_timehist(const TempDir& tmp, const std::string& workload_path) {
    PerfSchedTimes t;
    auto p = run({"/usr/bin/perf", "sched", "record", "-o", tmp.path("perf.data"), "--", workload_path});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    auto th = run({"/usr/bin/perf", "sched", "timehist", "-i", tmp.path("perf.data")});
    EXPECT_EQ(th.exit_code, 0) << th.err;
    std::regex row(R"(^\s*[0-9.]+\s+\[[0-9]+\]\s+(\S+)\[[0-9/]+\]\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+))");
    std::istringstream lines(th.out);
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_search(line, m, row)) t.ms[m[1]] += std::atof(m[2].str().c_str()) + std::atof(m[3].str().c_str());
    }
    t.table = th.out.substr(0, 2000);
    return t;
}

// Per-thread off-CPU totals against perf's own scheduler analysis of the same workload.
TEST(OffCpu, AgreesWithPerfSchedTimehist) {
    TempDir tmp;
    const std::map<std::string, double> truth{{"sleeper", 400.0}, {"reader", 600.0}, {"writer", 600.0}};
    const auto near_truth = [](double ms, double known) { return std::abs(ms - known) <= known * kTolerance; };
    const auto right_in = [&](const PerfSchedTimes& t) {
        int right = 0;
        for (const auto& [thread, known] : truth) {
            const auto it = t.ms.find(thread);
            if (it != t.ms.end() && near_truth(it->second, known)) ++right;
        }
        return right;
    };
    // perf is the reference where its own figure is right. This kernel (in a VM) sometimes
    // records no sched_switch from the idle task to a thread it wakes, and perf sched timehist
    // then books that thread's block short, from the switch out to some later switch in (runs
    // seen: writer 565.6 or 429.5 ms for a 600 ms block, sleeper 329.7 for 400; kiln ends such
    // a block at the wakeup). One perf run in a dozen has a thread off, rarely two: perf is run
    // again, up to three times, until at least two of the three threads are right in it.
    PerfSchedTimes perf = perf_sched_timehist(tmp, workload("offcpu_mix_fp"));
    for (int attempt = 1; attempt < 3 && right_in(perf) < 2; ++attempt) {
        std::printf("perf sched timehist was off the truth for most threads, running it again:\n%s\n",
                    perf.table.c_str());
        perf = perf_sched_timehist(tmp, workload("offcpu_mix_fp"));
    }

    const std::string rec = tmp.path("o.kiln");
    auto r = run_kiln({"record", "--off-cpu", "-o", rec, "--", workload("offcpu_mix_fp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // A thread perf got wrong is checked against the workload's truth instead.
    int cross_checked = 0;
    for (const auto& [thread, known] : truth) {
        const double kiln_ms = thread_times(rec, "offcpu", thread).off_cpu();
        const double perf_ms = perf.ms[thread];
        ASSERT_GT(perf_ms, 0) << thread << "\n" << perf.table;
        std::printf("off-CPU %s: kiln %.1f ms, perf sched timehist %.1f ms, truth %.0f ms\n", thread.c_str(), kiln_ms,
                    perf_ms, known);
        if (near_truth(perf_ms, known)) {
            EXPECT_NEAR(kiln_ms, perf_ms, perf_ms * kTolerance) << thread;
            ++cross_checked;
        } else {
            EXPECT_NEAR(kiln_ms, known, known * kTolerance) << thread << " (perf's figure is off the truth)";
        }
    }
    EXPECT_GE(cross_checked, 2) << "perf sched timehist was off the truth for most threads in three runs:\n"
                                << perf.table;
}

TEST(OffCpu, ViewsNeedTheirEventsAndSayWhich) {
    TempDir tmp;
    const std::string cpu_only = tmp.path("cpu.kiln");
    auto r = run_kiln({"record", "-o", cpu_only, "--", workload("cpu_split_fp"), "0.2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* view : {"offcpu", "hotcold", "wakeup"}) {
        auto a = run_kiln({"analyze", cpu_only, "--view", view});
        EXPECT_EQ(a.exit_code, 1) << view;
        EXPECT_NE(a.err.find("sched:sched_switch"), std::string::npos) << a.err;
        EXPECT_NE(a.err.find("--off-cpu"), std::string::npos) << a.err;
    }
    // Sched events but no CPU clock: offcpu works, hotcold says what is missing; -o DIR
    // writes the views the recording supports.
    const std::string sched_only = tmp.path("sched.kiln");
    r = run_kiln({"record", "--off-cpu", "-e", "sched:sched_switch", "-o", sched_only, "--", workload("offcpu_mix_fp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto a = run_kiln({"analyze", sched_only, "--view", "hotcold"});
    EXPECT_EQ(a.exit_code, 1);
    EXPECT_NE(a.err.find("cpu-clock"), std::string::npos) << a.err;
    a = run_kiln({"analyze", sched_only, "-o", tmp.path("out")});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_FALSE(read_text(tmp.path("out/offcpu.folded")).empty());
    EXPECT_FALSE(read_text(tmp.path("out/wakeup.folded")).empty());
    EXPECT_TRUE(read_text(tmp.path("out/hotcold.folded")).empty());
    EXPECT_TRUE(read_text(tmp.path("out/cpu.folded")).empty());
}
