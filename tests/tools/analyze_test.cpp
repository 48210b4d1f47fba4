// `kiln analyze` on real recordings of workloads with a known shape, checked against that
// truth, against perf's own report, and by the tools people open the outputs with.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "tests/speedscope_replay.h"
#include "tests/tools/kiln_runner.h"
#include "tests/tools/speedscope_page.h"

using namespace kiln::test;

namespace {

// Sum of values of stacks whose leaf is `leaf` (or ends in ";leaf").
double leaf_value(const std::map<std::string, double>& folded, const std::string& leaf) {
    double v = 0;
    for (const auto& [stack, value] : folded) {
        const size_t semi = stack.rfind(';');
        if (stack.substr(semi == std::string::npos ? 0 : semi + 1) == leaf) v += value;
    }
    return v;
}

double containing(const std::map<std::string, double>& folded, const std::string& part) {
    double v = 0;
    for (const auto& [stack, value] : folded)
        if (stack.find(part) != std::string::npos) v += value;
    return v;
}

double total(const std::map<std::string, double>& folded) {
    double v = 0;
    for (const auto& [stack, value] : folded) v += value;
    return v;
}

std::string record(const TempDir& tmp, const std::string& name, const std::vector<std::string>& cmd,
                   const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{kiln_bin(), "record", "-F", "999", "-g", "fp", "-o", tmp.path(name)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("--");
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return tmp.path(name);
}

RunResult analyze(const std::vector<std::string>& args) {
    std::vector<std::string> argv{kiln_bin(), "analyze"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

// perf report's self share per symbol ("  74.81%  [.] hot_a").
std::map<std::string, double> perf_report_shares(const std::string& data) {
    auto r = run({"/usr/bin/perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "symbol", "-q",
                  "-g", "none"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, double> out;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        const size_t pct = line.find('%');
        const size_t bracket = line.find("] ");
        if (pct == std::string::npos || bracket == std::string::npos) continue;
        std::istringstream rest(line.substr(bracket + 2));
        std::string symbol;
        rest >> symbol;
        out[symbol] += std::atof(line.c_str());
    }
    return out;
}

// Sum of values of stacks that hold `frame` as one of their frames.
double frame_value(const std::map<std::string, double>& folded, const std::string& frame) {
    double v = 0;
    for (const auto& [stack, value] : folded)
        if ((";" + stack + ";").find(";" + frame + ";") != std::string::npos) v += value;
    return v;
}

// "comm (PID/TID)" → PID.
int pid_of_profile(const std::string& name) {
    const size_t open = name.rfind('(');
    return open == std::string::npos ? -1 : std::atoi(name.c_str() + open + 1);
}

}  // namespace

TEST(Analyze, CpuSplitMatchesKnownRatioAndPerfReport) {
    TempDir tmp;
    const std::string rec = record(tmp, "cpu.kiln", {workload("cpu_split_fp"), "2.0"});
    auto r = analyze({rec, "--folded", tmp.path("cpu.folded")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto folded = parse_folded(read_text(tmp.path("cpu.folded")));
    const double a = leaf_value(folded, "hot_a"), b = leaf_value(folded, "hot_b");
    ASSERT_GT(a + b, 0.5 * total(folded)) << read_text(tmp.path("cpu.folded"));
    const double kiln_share = a / (a + b);
    EXPECT_NEAR(kiln_share, 0.75, 0.05);
    // Values are nanoseconds of CPU: about the workload's 2 s.
    EXPECT_NEAR((a + b) / 1e9, 2.0, 0.4);
    // Frame pointers give the path to main, root first, process name at the root. hot_a, a
    // leaf, keeps no frame of its own, so the walk skips work() (as perf shows); the stack top
    // -g fp copies puts it back (fp_stack_top_test.cpp).
    EXPECT_GT(containing(folded, ";main;work;hot_a"), 0.9 * a);
    for (const auto& [stack, value] : folded) EXPECT_EQ(stack.rfind("cpu_split_fp;", 0), 0u) << stack;

    auto p = run({"/usr/bin/perf", "record", "-B", "-N", "-e", "cpu-clock", "-F", "999", "-g", "-o",
                  tmp.path("perf.data"), "--", workload("cpu_split_fp"), "2.0"});
    ASSERT_EQ(p.exit_code, 0) << "perf (linux-perf) is the reference; .ci/run installs it\n" << p.err;
    auto perf = perf_report_shares(tmp.path("perf.data"));
    ASSERT_GT(perf["hot_a"] + perf["hot_b"], 50.0);
    const double perf_share = perf["hot_a"] / (perf["hot_a"] + perf["hot_b"]);
    EXPECT_NEAR(kiln_share, perf_share, 0.05) << "kiln " << kiln_share << " perf " << perf_share;
}

TEST(Analyze, InlinedFramesAppearUnderTheirCaller) {
    TempDir tmp;
    const std::string rec = record(tmp, "inl.kiln", {workload("inline_chain_fp"), "1.0"});
    auto r = analyze({rec, "--folded", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto folded = parse_folded(r.out);
    EXPECT_GT(containing(folded, "main;outer_loop;mix_step_[i]"), 0.7 * total(folded)) << r.out;
}

TEST(Analyze, KernelFramesUnderASyscallHeavyProcess) {
    TempDir tmp;
    const std::string rec = record(tmp, "sys.kiln", {workload("syscall_heavy_fp"), "1.0"});
    auto r = analyze({rec, "--folded", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto folded = parse_folded(r.out);
    // Most time is the kernel clearing the read buffer, under the process's own user frames
    // (libc's read() has no frame pointer, so its caller read_zeros may be skipped: main).
    double kernel = 0;
    for (const auto& [stack, value] : folded)
        if (stack.rfind("syscall_heavy_f;", 0) == 0 && stack.find(";main;") != std::string::npos &&
            stack.size() > 4 && stack.compare(stack.size() - 4, 4, "_[k]") == 0)
            kernel += value;
    EXPECT_GT(kernel, 0.5 * total(folded)) << r.out;
    EXPECT_GT(containing(folded, "read_zero_[k]"), 0.3 * total(folded)) << r.out;
    EXPECT_GT(containing(folded, "do_syscall_64_[k];"), 0.5 * total(folded)) << r.out;
}

TEST(Analyze, JitFramesFromTheRecordedPerfMap) {
    TempDir tmp;
    const std::string rec = record(tmp, "jit.kiln", {workload("jit_spin_fp"), "1.0"});
    auto info = info_json(rec);
    ASSERT_GE(info["processes"].size(), 1u);
    const int pid = info["processes"][0]["pid"].get<int>();
    // The map is in the recording: analysis does not need the file any more.
    unlink(("/tmp/perf-" + std::to_string(pid) + ".map").c_str());
    auto r = analyze({rec, "--folded", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto folded = parse_folded(r.out);
    EXPECT_GT(leaf_value(folded, "jitted_countdown_[j]"), 0.8 * total(folded)) << r.out;
}

TEST(Analyze, PprofOpensInGoToolPprofAndSvgIsWellFormed) {
    TempDir tmp;
    const std::string rec = record(tmp, "cpu.kiln", {workload("cpu_split_fp"), "1.0"});
    auto r = analyze({rec, "--pprof", tmp.path("cpu.pb.gz"), "--svg", tmp.path("cpu.svg")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    setenv("HOME", tmp.dir().c_str(), 1);
    setenv("PPROF_BINARY_PATH", tmp.dir().c_str(), 1);
    auto top = run({"/usr/bin/go", "tool", "pprof", "-top", "-symbolize=none", tmp.path("cpu.pb.gz")});
    ASSERT_EQ(top.exit_code, 0) << "go tool pprof (golang-go) must read the profile\n" << top.err;
    EXPECT_NE(top.out.find("hot_a"), std::string::npos) << top.out;
    EXPECT_NE(top.out.find("hot_b"), std::string::npos) << top.out;
    EXPECT_NE(top.out.find("Type: cpu"), std::string::npos) << top.out;
    auto lint = run({"/usr/bin/xmllint", "--noout", tmp.path("cpu.svg")});
    EXPECT_EQ(lint.exit_code, 0) << lint.err;
    EXPECT_NE(read_text(tmp.path("cpu.svg")).find("hot_a"), std::string::npos);
}

// Speedscope (the web viewer, installed by tools/install-deps) imports the pprof file in a
// headless browser: it titles the page after a profile it could read.
TEST(Analyze, PprofOpensInSpeedscope) {
    ASSERT_EQ(access((std::string(kSpeedscopeRelease) + "/index.html").c_str(), R_OK), 0)
        << "run tools/install-deps (it fetches speedscope)";
    TempDir tmp;
    const std::string rec = record(tmp, "cpu.kiln", {workload("cpu_split_fp"), "0.5"});
    std::filesystem::create_directory(tmp.path("www"));
    auto r = analyze({rec, "--pprof", tmp.path("www/cpu.pb.gz")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    tmp.write("www/junk.pb.gz", "not a profile");
    SpeedscopePage page(tmp, "www");
    ASSERT_TRUE(page.started()) << "the HTTP server did not start";
    const auto good = page.open("cpu.pb.gz", 3, "90"), bad = page.open("junk.pb.gz", 1, "20");
    EXPECT_EQ(good.title, "cpu.pb.gz - speedscope");
    EXPECT_NE(bad.title, "junk.pb.gz - speedscope") << "the check cannot tell a bad profile from a good one";
}

// --speedscope: a timeline per thread whose frames' shares of the thread's time are the folded
// output's shares of the same recording, within the recording's duration.
TEST(Analyze, SpeedscopeTimelineMatchesFoldedShares) {
    TempDir tmp;
    const std::string rec = record(tmp, "cpu.kiln", {workload("cpu_split_fp"), "2.0"});
    auto r = analyze({rec, "--speedscope", tmp.path("cpu.speedscope.json"), "--folded", tmp.path("cpu.folded"),
                      "--pprof", tmp.path("with.pb.gz")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("wrote " + tmp.path("cpu.speedscope.json")), std::string::npos) << r.err;
    // The timeline's frames are named through the profile's own resolver: the profile is unchanged.
    r = analyze({rec, "--pprof", tmp.path("without.pb.gz")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(read_text(tmp.path("with.pb.gz")) == read_text(tmp.path("without.pb.gz")));
    const auto j = nlohmann::json::parse(read_text(tmp.path("cpu.speedscope.json")));
    const auto info = info_json(rec);
    ASSERT_EQ(info["processes"].size(), 1u);
    ASSERT_EQ(j["profiles"].size(), info["processes"][0]["threads"].get<size_t>()) << "one profile per thread";
    const auto& p = j["profiles"][0];
    EXPECT_EQ(pid_of_profile(p["name"]), info["processes"][0]["pid"].get<int>()) << p["name"];
    EXPECT_EQ(p["endValue"].get<uint64_t>(), info["duration_ns"].get<uint64_t>());
    const SpeedscopeReplay replay = replay_speedscope(j, p);  // checks nesting, order, all within the end
    ASSERT_GT(replay.busy_ns, 0u);

    const auto folded = parse_folded(read_text(tmp.path("cpu.folded")));
    const double folded_total = total(folded);
    ASSERT_GT(folded_total, 0);
    for (const std::string f : {"hot_a", "hot_b", "main"}) {
        const double folded_share = frame_value(folded, f) / folded_total;
        const double timeline_share = static_cast<double>(replay.open_ns.count(f) ? replay.open_ns.at(f) : 0) /
                                      static_cast<double>(replay.busy_ns);
        EXPECT_NEAR(timeline_share, folded_share, 0.02) << f;
    }
    EXPECT_NEAR(frame_value(folded, "hot_a") / folded_total, 0.75, 0.06);
}

// Frames are named as the folded output names them: the same set of names (inlined frames
// "_[i]", kernel frames "_[k]"), the process being the profile rather than a frame.
TEST(Analyze, SpeedscopeFramesAreTheFoldedOutputsFrames) {
    TempDir tmp;
    for (const std::string w : {"inline_chain_fp", "syscall_heavy_fp"}) {
        const std::string rec = record(tmp, w + ".kiln", {workload(w), "0.5"});
        auto r = analyze({rec, "--speedscope", tmp.path(w + ".json"), "--folded", tmp.path(w + ".folded")});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        std::set<std::string> folded_frames, timeline_frames;
        for (const auto& [stack, value] : parse_folded(read_text(tmp.path(w + ".folded")))) {
            std::istringstream frames(stack);
            std::string frame;
            std::getline(frames, frame, ';');  // the process
            while (std::getline(frames, frame, ';')) folded_frames.insert(frame);
        }
        const auto j = nlohmann::json::parse(read_text(tmp.path(w + ".json")));
        for (const auto& f : j["shared"]["frames"]) timeline_frames.insert(f["name"].get<std::string>());
        EXPECT_EQ(timeline_frames, folded_frames) << w;
        const char* marked = w == "inline_chain_fp" ? "mix_step_[i]" : "read_zero_[k]";
        EXPECT_TRUE(timeline_frames.count(marked)) << w << " has no " << marked;
    }
}

// A profile per thread of every process (threads and a forked child), and the filters hold:
// --pid keeps one process's threads, --time keeps the timeline within its range.
TEST(Analyze, SpeedscopeHasAProfilePerThreadAndFollowsFilters) {
    TempDir tmp;
    const std::string rec = record(tmp, "tf.kiln", {workload("threads_fork_fp"), "0.5"});
    const auto info = info_json(rec);
    size_t threads = 0;
    std::set<int> pids;
    for (const auto& proc : info["processes"]) {
        threads += proc["threads"].get<size_t>();
        pids.insert(proc["pid"].get<int>());
        // The forked child never execs: it has its parent's name, as in perf report.
        EXPECT_EQ(proc["name"], "threads_fork_fp") << proc.dump();
    }
    ASSERT_GE(threads, 4u) << info.dump();
    auto r = analyze({rec, "--speedscope", tmp.path("all.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(read_text(tmp.path("all.json")));
    EXPECT_EQ(j["profiles"].size(), threads);
    std::set<std::string> names;
    for (const auto& p : j["profiles"]) {
        EXPECT_TRUE(names.insert(p["name"]).second) << p["name"];
        EXPECT_TRUE(pids.count(pid_of_profile(p["name"]))) << p["name"];
        EXPECT_GT(replay_speedscope(j, p).busy_ns, 0u) << p["name"];
    }

    const int child = info["processes"][1]["pid"].get<int>();
    r = analyze({rec, "--pid", std::to_string(child), "--speedscope", tmp.path("child.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    j = nlohmann::json::parse(read_text(tmp.path("child.json")));
    ASSERT_EQ(j["profiles"].size(), info["processes"][1]["threads"].get<size_t>());
    for (const auto& p : j["profiles"]) EXPECT_EQ(pid_of_profile(p["name"]), child) << p["name"];

    // Samples from 0.1 s to 0.3 s: each stands for at most one more sampling period (~1 ms).
    r = analyze({rec, "--time", "0.1,0.3", "--speedscope", tmp.path("time.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    j = nlohmann::json::parse(read_text(tmp.path("time.json")));
    ASSERT_FALSE(j["profiles"].empty());
    for (const auto& p : j["profiles"]) {
        const SpeedscopeReplay replay = replay_speedscope(j, p);
        EXPECT_GE(replay.first_at, 100000000u) << p["name"];
        EXPECT_LE(replay.last_at, 300000000u + 2000000u) << p["name"];
    }
}

// Views built from blocks or allocations have no moment per stack: --speedscope refuses them and
// says which views it takes; the timeline report is not a profile at all.
TEST(Analyze, SpeedscopeRefusesViewsThatAreNotSamples) {
    TempDir tmp;
    const std::string rec = record(tmp, "off.kiln", {workload("offcpu_mix_fp")}, {"--off-cpu"});
    auto r = analyze({rec, "--view", "offcpu", "--speedscope", tmp.path("off.json")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("the offcpu view has no timeline"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cpu, faults or probes"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(tmp.path("off.json")));
    r = analyze({rec, "--view", "timeline", "--speedscope", tmp.path("tl.json")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--speedscope"), std::string::npos) << r.err;
    r = analyze({rec, "--speedscope", tmp.path("cpu.json")});  // the default view takes it
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(nlohmann::json::parse(read_text(tmp.path("cpu.json")))["profiles"].empty());
}

// Speedscope loads the evented file without an error and titles the page with its name; a file
// whose events do not nest is told apart.
TEST(Analyze, SpeedscopeTimelineOpensInSpeedscope) {
    ASSERT_EQ(access((std::string(kSpeedscopeRelease) + "/index.html").c_str(), R_OK), 0)
        << "run tools/install-deps (it fetches speedscope)";
    TempDir tmp;
    const std::string rec = record(tmp, "cpu.kiln", {workload("cpu_split_fp"), "0.5"});
    std::filesystem::create_directory(tmp.path("www"));
    auto r = analyze({rec, "-o", tmp.path("www")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(read_text(tmp.path("www/cpu.speedscope.json")));
    EXPECT_EQ(j["name"], "cpu.speedscope.json");
    // The corrupt copy closes, first, a frame that is not the innermost open one.
    j["name"] = "corrupt.speedscope.json";
    auto& events = j["profiles"][0]["events"];
    ASSERT_GE(events.size(), 3u);
    size_t first_close = 0;
    while (first_close < events.size() && events[first_close]["type"] == "O") ++first_close;
    ASSERT_GE(first_close, 2u) << "the first stack has at least two frames";
    ASSERT_LT(first_close, events.size());
    events[first_close]["frame"] = events[0]["frame"];
    tmp.write("www/corrupt.speedscope.json", j.dump());

    SpeedscopePage page(tmp, "www");
    ASSERT_TRUE(page.started()) << "the HTTP server did not start";
    const auto good = page.open("cpu.speedscope.json", 3, "90"), bad = page.open("corrupt.speedscope.json", 1, "20");
    EXPECT_EQ(good.title, "cpu.speedscope.json - speedscope");
    EXPECT_TRUE(good.logged("Importing as speedscope json file"));
    EXPECT_TRUE(console_errors(good).empty()) << console_errors(good).front();
    EXPECT_NE(bad.title, "corrupt.speedscope.json - speedscope") << "the check cannot tell a bad file from a good one";
    EXPECT_FALSE(console_errors(bad).empty()) << "speedscope said nothing of the corrupt file";
}

TEST(Analyze, OutputDirHoldsEveryViewAndTopPrintsATable) {
    TempDir tmp;
    const std::string rec = record(tmp, "cpu.kiln", {workload("cpu_split_fp"), "1.0"});
    auto r = analyze({rec, "-o", tmp.path("out"), "--top", "5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* f : {"cpu.svg", "cpu.pb.gz", "cpu.folded", "cpu.speedscope.json"}) {
        EXPECT_TRUE(std::filesystem::exists(tmp.path("out/") + f)) << f;
        EXPECT_NE(r.err.find(std::string("out/") + f), std::string::npos) << r.err;
    }
    EXPECT_NE(r.out.find("hot_a"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("self%"), std::string::npos) << r.out;
}

TEST(Analyze, DeletedOrRebuiltBinaryIsReportedAndAnalysisCompletes) {
    TempDir tmp;
    const std::string copy = tmp.path("victim");
    std::filesystem::copy_file(workload("cpu_split_fp"), copy);
    const std::string rec = record(tmp, "v.kiln", {copy, "0.5"});

    std::filesystem::remove(copy);
    // Not in perf's or kiln's build-id cache either (a machine that ran perf record, or a kiln
    // record of a deleted or namespaced copy, may hold the workload).
    ScopedEnv no_perf_cache("PERF_BUILDID_DIR", tmp.path("no-perf-cache"));
    ScopedEnv no_kiln_cache("KILN_CACHE_DIR", tmp.path("no-kiln-cache"));
    auto r = analyze({rec, "--folded", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(copy), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("victim+0x"), std::string::npos) << r.out;

    // Rebuilt: another program now lives at the recorded path.
    std::filesystem::copy_file(workload("spinner_fp"), copy);
    r = analyze({rec, "--folded", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("build-id mismatch"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("victim+0x"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("hot_a"), std::string::npos) << "symbols of the wrong binary were used";
}

TEST(Analyze, PidFilterKeepsOneProcess) {
    TempDir tmp;
    const std::string rec = record(tmp, "tf.kiln", {workload("threads_fork_fp"), "1.0"});
    auto info = info_json(rec);
    ASSERT_GE(info["processes"].size(), 2u);
    const int pid = info["processes"][1]["pid"].get<int>();
    const uint64_t expected = samples_of_pid(info, pid);
    auto r = analyze({rec, "--pid", std::to_string(pid), "--pprof", tmp.path("p.pb.gz")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("cpu view: " + std::to_string(expected) + " samples (of"), std::string::npos) << r.err;
}

TEST(Analyze, BadInputGetsAClearErrorNotACrash) {
    TempDir tmp;
    auto r = analyze({tmp.path("missing.kiln")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("missing.kiln"), std::string::npos) << r.err;

    {
        FILE* f = std::fopen(tmp.path("junk.kiln").c_str(), "w");
        std::fputs("this is not a recording at all, just text that goes on for a while\n", f);
        std::fclose(f);
    }
    r = analyze({tmp.path("junk.kiln")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.signal, 0);
    EXPECT_FALSE(r.err.empty());

    const std::string rec = record(tmp, "cpu.kiln", {workload("cpu_split_fp"), "0.3"});
    r = analyze({rec, "--view", "nosuchview"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("cpu"), std::string::npos) << r.err;
    r = analyze({rec, "--time", "3,1"});
    EXPECT_EQ(r.exit_code, 2);
    r = analyze({rec, "--svg", tmp.path("no/such/dir/x.svg")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no/such/dir/x.svg"), std::string::npos) << r.err;
}
