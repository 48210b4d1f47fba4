// `kiln analyze` on real recordings of workloads with a known shape, checked against that
// truth, against perf's own report, and by the tools people open the outputs with.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "tests/tools/kiln_runner.h"

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
    // Frame pointers give the path to main (hot_a, a leaf, keeps no frame of its own, so work()
    // is skipped, as perf shows too), root first, process name at the root.
    EXPECT_GT(containing(folded, ";main;hot_a"), 0.9 * a);
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
    const std::string speedscope = "/opt/kiln-deps/speedscope-1.20.0/node_modules/speedscope/dist/release";
    ASSERT_EQ(access((speedscope + "/index.html").c_str(), R_OK), 0) << "run tools/install-deps (it fetches speedscope)";
    TempDir tmp;
    const std::string rec = record(tmp, "cpu.kiln", {workload("cpu_split_fp"), "0.5"});
    std::filesystem::create_directory(tmp.path("www"));
    auto r = analyze({rec, "--pprof", tmp.path("www/cpu.pb.gz")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    {
        FILE* f = std::fopen(tmp.path("www/junk.pb.gz").c_str(), "w");
        std::fputs("not a profile", f);
        std::fclose(f);
    }
    std::filesystem::create_directory_symlink(speedscope, tmp.path("www/speedscope"));
    // Speedscope fetches the profile, which browsers refuse over file://: serve it over HTTP.
    // The server binds port 0 and writes the port the kernel gave it: no two runs share one.
    const std::string port_file = tmp.path("port");
    const pid_t server = spawn(
        {"/usr/bin/python3", "-c",
         "import functools, http.server, os, sys\n"
         "handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n"
         "server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)\n"
         "with open(sys.argv[2] + '.tmp', 'w') as f: f.write(str(server.server_port))\n"
         "os.rename(sys.argv[2] + '.tmp', sys.argv[2])\n"
         "server.serve_forever()\n",
         tmp.path("www"), port_file});
    if (!wait_until([&] { return !read_text(port_file).empty(); })) {
        kill(-server, SIGTERM);
        wait_for(server);
        FAIL() << "the HTTP server did not start";
    }
    const int port = std::atoi(read_text(port_file).c_str());
    // A profile speedscope cannot read makes it raise an alert, which keeps headless chromium
    // waiting until the timeout: the bad case gets one short try.
    auto title_of = [&](const std::string& profile, int attempts, const std::string& timeout) {
        const std::string base = "http://127.0.0.1:" + std::to_string(port);
        std::string title;
        for (int attempt = 0; attempt < attempts && title.empty(); ++attempt) {
            auto dom = run({"/usr/bin/timeout", timeout, "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                            "--user-data-dir=" + tmp.path("chromium-" + profile + std::to_string(attempt)),
                            "--virtual-time-budget=8000", "--dump-dom",
                            base + "/speedscope/index.html#profileURL=" + base + "/" + profile});
            const size_t a = dom.out.find("<title>"), b = dom.out.find("</title>");
            if (a != std::string::npos && b != std::string::npos) title = dom.out.substr(a + 7, b - a - 7);
        }
        return title;
    };
    const std::string good = title_of("cpu.pb.gz", 3, "90"), bad = title_of("junk.pb.gz", 1, "20");
    kill(-server, SIGTERM);
    wait_for(server);
    EXPECT_EQ(good, "cpu.pb.gz - speedscope");
    EXPECT_NE(bad, "junk.pb.gz - speedscope") << "the check cannot tell a bad profile from a good one";
}

TEST(Analyze, OutputDirHoldsEveryViewAndTopPrintsATable) {
    TempDir tmp;
    const std::string rec = record(tmp, "cpu.kiln", {workload("cpu_split_fp"), "1.0"});
    auto r = analyze({rec, "-o", tmp.path("out"), "--top", "5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* f : {"cpu.svg", "cpu.pb.gz", "cpu.folded"}) {
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
