// `kiln analyze --view timeline` end to end, without root: recordings written from scripts
// (recording_script.h) with COUNTERS chunks and samples whose per-window truth is known, run
// through the built kiln-analyze; JSON, CSV, text and SVG are checked against that truth.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "tests/analyzer/recording_script.h"
#include "tests/temp_dir.h"

namespace {

using kiln::test::TempDir;

struct AnalyzeRun {
    int exit_code = -1;
    std::string out, err;
};

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

// Runs `kiln-analyze analyze ARGS...` (what `kiln analyze` execs); arguments hold no spaces.
AnalyzeRun analyze(const TempDir& tmp, const std::vector<std::string>& args) {
    std::string cmd = std::string(KILN_ANALYZE_BIN) + " analyze";
    for (const auto& a : args) cmd += " '" + a + "'";
    const std::string err = tmp.path("stderr.txt");
    cmd += " 2>" + err;
    AnalyzeRun r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_file(err);
    return r;
}

// Two windows of 100 ms (the recording ends at the last counters line, 200 ms).
// Samples of cpu-clock, period 1 ms: pid 100 has 3 in window 0 and 2 in window 1; pid 200 one
// in window 0. Counters: CPU 0 fully busy, CPU 1 half busy (75% of both); pid 100 uses 10
// ticks (100 ticks/s) per 100 ms = 100% of one CPU, RSS 4096 then 8192, reads 1000 then 2000
// bytes (10'000 and 20'000 bytes/s), writes 500 bytes in window 1; PSI cpu some 20 ms per
// 100 ms = 20%; procs_running 1 then 2.
constexpr const char* kScript = R"(
event cpu-clock clock 1000
comm 100 100 spin
comm 200 200 other
sample 10000000 100 100 0 1000000
sample 20000000 100 100 0 1000000
sample 30000000 200 200 1 1000000
sample 90000000 100 100 0 1000000
sample 110000000 100 100 0 1000000
sample 150000000 100 100 1 1000000
counters 0 running=1 load1=500 cpu0=0/0 cpu1=0/0 psi.cpu=0 proc=100/0/4096/0/0
counters 100000000 running=2 load1=750 cpu0=10/0 cpu1=5/5 psi.cpu=20000 proc=100/10/8192/1000/0
counters 200000000 running=2 load1=750 cpu0=20/0 cpu1=10/10 psi.cpu=40000 proc=100/20/8192/3000/500
)";

std::string write_recording(const TempDir& tmp, const std::string& script, const std::string& name = "t.kiln") {
    const std::string path = tmp.path(name);
    auto st = kiln::testing::write_recording_from_script(script, path);
    EXPECT_TRUE(st.ok()) << st.error().message;
    return path;
}

const nlohmann::json* series(const nlohmann::json& j, const std::string& name) {
    for (const auto& s : j["series"])
        if (s["name"] == name) return &s;
    return nullptr;
}

// The points of a series as {t_s: value}.
std::map<double, double> points(const nlohmann::json& j, const std::string& name) {
    std::map<double, double> out;
    const nlohmann::json* s = series(j, name);
    EXPECT_NE(s, nullptr) << name << " missing";
    if (!s) return out;
    for (const auto& p : (*s)["points"]) out[p[0].get<double>()] = p[1].get<double>();
    return out;
}

TEST(TimelineCommand, JsonHoldsTheKnownSeries) {
    TempDir tmp;
    const std::string rec = write_recording(tmp, kScript);
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline", "--json", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);  // throws (fails the test) when not JSON
    EXPECT_EQ(j["window_ns"], 100'000'000);
    EXPECT_EQ(j["start_s"], 0);
    EXPECT_EQ(j["windows"], 2);
    using P = std::map<double, double>;
    EXPECT_EQ(points(j, "samples"), (P{{0.0, 4}, {0.1, 2}}));
    EXPECT_EQ(points(j, "process.100.oncpu"), (P{{0.0, 3e6}, {0.1, 2e6}}));
    EXPECT_EQ(points(j, "process.200.oncpu"), (P{{0.0, 1e6}, {0.1, 0}}));
    EXPECT_EQ(points(j, "load.running"), (P{{0.0, 1}, {0.1, 2}}));
    EXPECT_EQ(points(j, "load.1min"), (P{{0.0, 0.5}, {0.1, 0.75}}));
    EXPECT_EQ(points(j, "cpu.busy"), (P{{0.0, 75}, {0.1, 75}}));
    EXPECT_EQ(points(j, "cpu.0.busy"), (P{{0.0, 100}, {0.1, 100}}));
    EXPECT_EQ(points(j, "cpu.1.busy"), (P{{0.0, 50}, {0.1, 50}}));
    EXPECT_EQ(points(j, "psi.cpu.some"), (P{{0.0, 20}, {0.1, 20}}));
    EXPECT_EQ(points(j, "process.100.cpu"), (P{{0.0, 100}, {0.1, 100}}));
    EXPECT_EQ(points(j, "process.100.rss"), (P{{0.0, 4096}, {0.1, 8192}}));
    EXPECT_EQ(points(j, "process.100.read_bytes"), (P{{0.0, 10'000}, {0.1, 20'000}}));
    EXPECT_EQ(points(j, "process.100.write_bytes"), (P{{0.0, 0}, {0.1, 5000}}));
    EXPECT_EQ((*series(j, "cpu.busy"))["unit"], "%");
    EXPECT_EQ((*series(j, "load.running"))["unit"], "tasks");
    EXPECT_EQ((*series(j, "process.100.oncpu"))["unit"], "ns");
    EXPECT_EQ(j["labels"]["100"], "spin");
    EXPECT_EQ(j["labels"]["200"], "other");
    EXPECT_NE(j["notes"].dump().find("every 5 s"), std::string::npos) << j["notes"];
    EXPECT_EQ(series(j, "offcpu"), nullptr) << "no sched_switch recorded";
}

TEST(TimelineCommand, WindowAndTimeChooseTheWindows) {
    TempDir tmp;
    const std::string rec = write_recording(tmp, kScript);
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline", "--window", "50ms", "--time", "0.1,0.2", "--json", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["window_ns"], 50'000'000);
    EXPECT_EQ(j["windows"], 2);
    EXPECT_DOUBLE_EQ(j["start_s"].get<double>(), 0.1) << "windows keep the recording's time base";
    using P = std::map<double, double>;
    EXPECT_EQ(points(j, "samples"), (P{{0.1, 1}, {0.15, 1}}));
    EXPECT_EQ(points(j, "process.100.cpu"), (P{{0.1, 100}, {0.15, 100}}));
}

TEST(TimelineCommand, CsvHasAHeaderAndARowPerWindow) {
    TempDir tmp;
    const std::string rec = write_recording(tmp, kScript);
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline", "--csv", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream in(r.out);
    std::string header;
    std::getline(in, header);
    ASSERT_TRUE(header.starts_with("t_s,")) << header;
    std::vector<std::string> names;
    std::stringstream hs(header);
    for (std::string c; std::getline(hs, c, ',');) names.push_back(c);
    std::vector<std::string> rows;
    for (std::string line; std::getline(in, line);) rows.push_back(line);
    ASSERT_EQ(rows.size(), 2u) << r.out;
    const auto col = std::find(names.begin(), names.end(), "samples") - names.begin();
    ASSERT_LT(static_cast<size_t>(col), names.size()) << header;
    std::vector<std::string> cells;
    std::stringstream rs(rows[1]);
    for (std::string c; std::getline(rs, c, ',');) cells.push_back(c);
    EXPECT_EQ(cells[0], "0.1");
    EXPECT_EQ(cells[static_cast<size_t>(col)], "2");
}

TEST(TimelineCommand, TextHasRowsAndSparklines) {
    TempDir tmp;
    const std::string rec = write_recording(tmp, kScript);
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("2 windows of 100 ms"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("process.100.cpu(spin) [%]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("   0.100"), std::string::npos) << r.out;
    // samples: 4 then 2, the highest bar then the lowest.
    const size_t spark = r.out.find("\nsamples ");
    ASSERT_NE(spark, std::string::npos) << r.out;
    const std::string line = r.out.substr(spark + 1, r.out.find('\n', spark + 1) - spark - 1);
    EXPECT_NE(line.find("█▁"), std::string::npos) << line;
    EXPECT_NE(line.find("min 2 max 4"), std::string::npos) << line;
    EXPECT_NE(r.out.find("note: load.1min"), std::string::npos) << r.out;
}

TEST(TimelineCommand, SvgIsWellFormedWithAxes) {
    TempDir tmp;
    const std::string rec = write_recording(tmp, kScript);
    const std::string svg = tmp.path("t.svg");
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline", "--svg", svg});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string text = read_file(svg);
    EXPECT_NE(text.find("time (s from the recording's start)"), std::string::npos);
    for (const char* unit : {">% · CPU busy", ">tasks · ", ">ns · ", ">bytes · resident", ">samples · "})
        EXPECT_NE(text.find(unit), std::string::npos) << unit << " panel missing";
    EXPECT_NE(text.find("process.100.cpu (spin)"), std::string::npos) << "legend names the process";
    // Parsed by an XML parser (xml.etree; also the tests' python3 is what CI has).
    const std::string check = "python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); "
                              "sys.exit(0 if r.tag.endswith(\"svg\") else 1)' " + svg;
    EXPECT_EQ(std::system(check.c_str()), 0) << "not well-formed SVG: " << svg;
}

TEST(TimelineCommand, SampleSeriesWithoutCounters) {
    // No counters: the sample series alone, and stderr says so.
    TempDir tmp;
    const std::string rec = write_recording(tmp, R"(
event cpu-clock clock 1000
sample 10000000 100 100 0 1000000
sample 250000000 100 100 0 1000000
)");
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline", "--json", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("sample series only"), std::string::npos) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["windows"], 3);
    using P = std::map<double, double>;
    EXPECT_EQ(points(j, "samples"), (P{{0.0, 1}, {0.1, 0}, {0.2, 1}}));
    EXPECT_EQ(series(j, "load.running"), nullptr);
}

// page-faults samples (the last event, so the sample lines below are its) weighted by period.
TEST(TimelineCommand, FaultsAreWeightedByPeriod) {
    TempDir tmp;
    const std::string rec = write_recording(tmp, R"(
event cpu-clock clock 1000
event page-faults faults 4
sample 10000000 100 100 0 4
sample 20000000 100 100 0 4
sample 150000000 100 100 0 4
time 200000000
round
)");
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline", "--json", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    using P = std::map<double, double>;
    EXPECT_EQ(points(j, "faults"), (P{{0.0, 8}, {0.1, 4}}));
    EXPECT_EQ(points(j, "samples"), (P{{0.0, 0}, {0.1, 0}})) << "page faults are not CPU samples";
}

// Off-CPU time from sched_switch: each block (switch out to switch in) cut at window edges.
// Thread 100 is out from 50 to 250 ms (50 + 100 + 50 ms), thread 200 from 120 to 130 ms
// (10 ms), thread 300 from 280 ms to the end at 300 ms (20 ms, still blocked); thread 400
// exits at 290 ms (state X = 16): not blocked. Thread 500's switch in went unreported (as when
// the kernel fires sched_switch in the context of a task not recorded): out at 10 ms, seen
// switching out again at 60 ms, so its first block ends there (50 ms, as the offcpu view
// infers it), and the second lasts to the end (40 + 100 + 100 ms).
TEST(TimelineCommand, OffCpuIsBlockedTimePerWindow) {
    TempDir tmp;
    const std::string rec = write_recording(tmp, R"(
event sched:sched_switch switch 1
event cpu-clock clock 1000
switch 10000000 1 500 500 1 0
switch 50000000 0 100 100 1 0
switch 60000000 1 500 500 1 0
switch 120000000 1 200 200 2 0
switch 130000000 1 0 0 0 200
switch 250000000 0 0 0 0 100
switch 280000000 1 300 300 1 0
switch 290000000 0 400 400 16 0
time 300000000
round
)");
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline", "--json", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    using P = std::map<double, double>;
    EXPECT_EQ(points(j, "offcpu"), (P{{0.0, 140e6}, {0.1, 210e6}, {0.2, 170e6}}));
    // The same blocks as the offcpu view's: its total is the sum of the series.
    AnalyzeRun offcpu = analyze(tmp, {rec, "--view", "offcpu", "--folded", "-"});
    ASSERT_EQ(offcpu.exit_code, 0) << offcpu.err;
    double total = 0;
    std::istringstream lines(offcpu.out);
    for (std::string line; std::getline(lines, line);) total += std::stod(line.substr(line.rfind(' ') + 1));
    EXPECT_EQ(total, 520e6) << offcpu.out;
    EXPECT_EQ((*series(j, "offcpu"))["unit"], "ns");
}

TEST(TimelineCommand, NothingToChartIsAClearError) {
    TempDir tmp;
    const std::string rec = write_recording(tmp, "time 100000000\n");
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no timeline: the recording has no counters"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(TimelineCommand, BadFlagsExitTwo) {
    TempDir tmp;
    const std::string rec = write_recording(tmp, kScript);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {rec, "--view", "timeline", "--window", "fast"},
             {rec, "--view", "timeline", "--window", "0"},
             {rec, "--view", "timeline", "--folded", "-"},
             {rec, "--view", "cpu", "--csv", "-"},
             {rec, "--view", "timeline", "--time", "x"},
             {rec, "-o", tmp.path("out"), "--window", "soon"}}) {
        AnalyzeRun r = analyze(tmp, args);
        EXPECT_EQ(r.exit_code, 2) << args[3] << " " << args[4] << ": " << r.err;
        EXPECT_FALSE(r.err.empty());
    }
    // Too many windows is refused before memory grows with them.
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline", "--window", "1ns"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("give a longer --window"), std::string::npos) << r.err;
}

TEST(TimelineCommand, OutputDirAddsTheTimelineWithCounters) {
    TempDir tmp;
    const std::string rec = write_recording(tmp, kScript);
    AnalyzeRun r = analyze(tmp, {rec, "-o", tmp.path("out"), "--window", "50ms"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(read_file(tmp.path("out/cpu.folded")).empty()) << r.err;
    const auto j = nlohmann::json::parse(read_file(tmp.path("out/timeline.json")));
    EXPECT_EQ(j["windows"], 4) << "-o DIR's timeline follows --window";
    EXPECT_FALSE(read_file(tmp.path("out/timeline.csv")).empty());
    EXPECT_FALSE(read_file(tmp.path("out/timeline.svg")).empty());
}

}  // namespace

// A system-wide recording samples thousands of processes: the 64 with the most CPU time get a
// process.PID.oncpu series (memory and output are windows x series), and a note says so.
// Here pid 1000 + k has k + 1 samples, one per 10 ms from window k % 5 on.
TEST(TimelineCommand, OnlyTheBusiestProcessesGetAnOnCpuSeries) {
    TempDir tmp;
    std::string script = "event cpu-clock clock 1000\n";
    for (int k = 0; k < 100; ++k)
        for (int s = 0; s <= k; ++s)
            script += "sample " + std::to_string((k % 5) * 100'000'000 + s * 10'000'000 + 1) + " " + std::to_string(1000 + k) + " " +
                      std::to_string(1000 + k) + " 0 1000000\n";
    const std::string rec = write_recording(tmp, script);
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline", "--json", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    std::vector<int> pids;
    for (const auto& s : j["series"]) {
        const std::string name = s["name"];
        if (name.starts_with("process.") && name.ends_with(".oncpu")) pids.push_back(std::atoi(name.c_str() + 8));
    }
    std::vector<int> busiest;
    for (int pid = 1036; pid < 1100; ++pid) busiest.push_back(pid);
    EXPECT_EQ(pids, busiest);
    // pid 1099 (k = 99: 100 samples from window 4 on, 10 per window) is 0 before, 10 ms a window after.
    const auto p = points(j, "process.1099.oncpu");
    ASSERT_GE(p.size(), 14u);
    EXPECT_EQ(p.at(0.0), 0);
    EXPECT_EQ(p.at(0.3), 0);
    EXPECT_EQ(p.at(0.4), 10e6);
    EXPECT_EQ(p.at(1.3), 10e6);
    EXPECT_NE(j["notes"].dump().find("the 64 processes with the most CPU time of the 100 sampled"), std::string::npos)
        << j["notes"];
}

// A long system-wide recording's timeline keeps its memory: 20,000 short-lived processes
// over 10 minutes (6,000 windows). A series over every window for each would be 20,000 x 6,000
// values (about a GB with its JSON); kiln-analyze's peak resident memory stays far below that
// (measured from wait4's ru_maxrss of the children, kiln-analyze included).
TEST(TimelineCommand, ManyShortLivedProcessesOverMinutesKeepMemorySmall) {
    TempDir tmp;
    constexpr int kProcesses = 20'000;
    std::string script = "event cpu-clock clock 1000\n";
    script.reserve(kProcesses * 48);
    for (int k = 0; k < kProcesses; ++k)
        script += "sample " + std::to_string(uint64_t{30'000'000} * k + 1) + " " + std::to_string(10'000 + k) + " " +
                  std::to_string(10'000 + k) + " " + std::to_string(k % 2) + " 1000000\n";
    const std::string rec = write_recording(tmp, script);
    const std::string json = tmp.path("timeline.json");
    AnalyzeRun r = analyze(tmp, {rec, "--view", "timeline", "--json", json});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    rusage children{};
    ASSERT_EQ(::getrusage(RUSAGE_CHILDREN, &children), 0);
    EXPECT_LT(children.ru_maxrss, 200 * 1024) << "KiB at the peak";
    const auto j = nlohmann::json::parse(read_file(json));
    EXPECT_EQ(j["windows"], 6000);
    size_t process_series = 0;
    for (const auto& s : j["series"]) process_series += s["name"].get<std::string>().starts_with("process.");
    EXPECT_EQ(process_series, 64u);
    EXPECT_EQ(points(j, "samples").size(), 6000u);
}
