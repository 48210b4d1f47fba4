// `kiln record --sched --syscalls` end to end with sched_mix, whose threads have known facts:
// a spinner that runs 400 ms of CPU, a syscaller that makes 300 failing openat (ENOENT),
// 200 getppid and 100 dup + close, a hopper that migrates 20 times, and a child that execs
// `/bin/sh -c "exit 7"`. The sched, syscalls and portrait views must show them, and agree
// with perf trace -s on the syscall counts of the same workload.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;
using nlohmann::json;

namespace {

constexpr double kTolerance = 0.15;

struct SchedMix {
    TempDir tmp;
    std::string rec;
    int hops = 0;      // what the workload printed: 20, or 0 with one CPU allowed
    uint64_t lost = 0;
};

// Records sched_mix with extra record flags; the recording's lost count and the hops done.
void record_sched_mix(SchedMix& m, const std::vector<std::string>& flags) {
    m.rec = m.tmp.path("sched.kiln");
    std::vector<std::string> args{"record", "-o", m.rec, "-q"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back("--");
    args.push_back(workload("sched_mix_fp"));
    auto r = run_kiln(args);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    std::smatch hops;
    ASSERT_TRUE(std::regex_search(r.out, hops, std::regex("hops ([0-9]+)"))) << r.out;
    m.hops = std::atoi(hops[1].str().c_str());
    m.lost = info_json(m.rec).value("lost", uint64_t{0});
}

const json* thread_named(const json& sched, const std::string& comm) {
    for (const auto& t : sched["threads"])
        if (t["comm"] == comm) return &t;
    return nullptr;
}

const json* process_named(const json& view, const std::string& comm) {
    for (const auto& p : view["processes"])
        if (p["comm"] == comm) return &p;
    return nullptr;
}

// Calls and errors per syscall name, summed over a process's entries.
std::map<std::string, std::pair<uint64_t, uint64_t>> syscall_counts(const json& process) {
    std::map<std::string, std::pair<uint64_t, uint64_t>> out;
    for (const auto& s : process["syscalls"]) {
        out[s["name"]].first += s["count"].get<uint64_t>();
        out[s["name"]].second += s["errors"].get<uint64_t>();
    }
    return out;
}

}  // namespace

TEST(RecordSched, ThreadsShowTheirKnownRunTimeSwitchesAndMigrations) {
    SchedMix m;
    record_sched_mix(m, {"--sched"});
    const json sched = analyze_json(m.rec, {"--view", "sched"});
    ASSERT_TRUE(sched.contains("threads")) << sched.dump();
    const json* spinner = thread_named(sched, "spinner");
    const json* hopper = thread_named(sched, "hopper");
    const json* syscaller = thread_named(sched, "syscaller");
    ASSERT_TRUE(spinner && hopper && syscaller) << sched.dump(1);
    // The spinner runs 400 ms of its own CPU time, however long that takes on a loaded machine.
    EXPECT_NEAR((*spinner)["runtime_ns"].get<double>() / 1e6, 400.0, 400.0 * kTolerance) << spinner->dump();
    EXPECT_GE((*spinner)["longest_run_ns"].get<uint64_t>(), 1'000'000u) << spinner->dump();
    EXPECT_LE((*spinner)["longest_run_ns"].get<uint64_t>(), (*spinner)["runtime_ns"].get<uint64_t>());
    // Every hop is a move to the other CPU: a migration at least.
    EXPECT_GE((*hopper)["migrations"].get<int>(), m.hops) << hopper->dump();
    // The hopper gives up its CPU at each hop's switch; each wait is counted and ordered.
    for (const json* t : {spinner, hopper}) {
        EXPECT_GT((*t)["switches_voluntary"].get<uint64_t>() + (*t)["switches_involuntary"].get<uint64_t>(), 0u);
        EXPECT_LE((*t)["wait_p99_ns"].get<uint64_t>(), (*t)["wait_max_ns"].get<uint64_t>()) << t->dump();
        if ((*t)["wait_count"].get<uint64_t>() > 0) {
            EXPECT_GT((*t)["wait_max_ns"].get<uint64_t>(), 0u);
        }
    }
    // The syscaller makes 600 short syscalls: it runs far less than the spinner.
    EXPECT_LT((*syscaller)["runtime_ns"].get<double>(), (*spinner)["runtime_ns"].get<double>() / 4);
}

// perf trace -s of sched_mix_fp written to summary: calls and errors per syscall of the workload's
// four threads. The workload is its main thread and the three threads it starts: the four lowest
// tids. The child it forks to exec /bin/sh comes last; perf names its block by the comm it knew
// when it printed, sometimes still sched_mix_fp, so its block is left out by tid, not name (dash
// calls getppid once at its start). Empty when perf failed or printed fewer than four threads.
static std::map<std::string, std::pair<uint64_t, uint64_t>> perf_trace_counts(const std::string& summary) {
    auto p = run({"/usr/bin/perf", "trace", "-s", "-o", summary, "--", workload("sched_mix_fp")});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    std::map<int, std::map<std::string, std::pair<uint64_t, uint64_t>>> by_tid;
    std::istringstream lines(read_text(summary));
    int tid = -1;
    const std::regex block(R"(^\s*(\S+) \(([0-9]+)\), [0-9]+ events)"), row(R"(^\s+([a-z0-9_]+)\s+([0-9]+)\s+([0-9]+)\s)");
    for (std::string line; std::getline(lines, line);) {
        std::smatch b, r;
        if (std::regex_search(line, b, block)) {
            tid = std::stoi(b[2]);
        } else if (tid >= 0 && std::regex_search(line, r, row)) {
            auto& counts_of = by_tid[tid][r[1]];
            counts_of = {counts_of.first + std::stoull(r[2]), counts_of.second + std::stoull(r[3])};
        }
    }
    std::map<std::string, std::pair<uint64_t, uint64_t>> perf;
    if (p.exit_code != 0 || by_tid.size() < 4) return perf;
    size_t threads = 0;
    for (const auto& [t, rows] : by_tid) {
        if (threads++ == 4) break;
        for (const auto& [name, c] : rows) perf[name] = {perf[name].first + c.first, perf[name].second + c.second};
    }
    return perf;
}

TEST(RecordSched, SyscallCountsAreExactAndAgreeWithPerfTrace) {
    SchedMix m;
    record_sched_mix(m, {"--syscalls"});
    const json sc = analyze_json(m.rec, {"--view", "syscalls"});
    const json* proc = process_named(sc, "sched_mix_fp");
    ASSERT_TRUE(proc) << sc.dump(1).substr(0, 2000);
    const auto counts = syscall_counts(*proc);
    ASSERT_EQ(m.lost, 0u) << "records were lost: counts cannot be exact";
    EXPECT_EQ(counts.at("getppid").first, 200u);
    EXPECT_EQ(counts.at("dup").first, 100u);
    EXPECT_GE(counts.at("close").first, 100u);
    EXPECT_GE(counts.at("openat").first, 300u);  // and the loader's
    EXPECT_EQ(counts.at("openat").second, 300u);
    for (const auto& s : (*proc)["syscalls"])
        if (s["name"] == "openat") {
            EXPECT_EQ(s["errors_by_errno"].value("ENOENT", 0), 300) << s.dump();
            EXPECT_LE(s["p99_ns"].get<uint64_t>(), s["max_ns"].get<uint64_t>());
            EXPECT_GE(s["total_ns"].get<uint64_t>(), s["max_ns"].get<uint64_t>());
        }
    // perf trace -s on the same workload: per thread tables of "syscall calls errors ...". perf
    // trace drops events when its reader falls behind (294 openat errors of 300 on a busy CI
    // machine), never adds any: it is asked again, up to three times, until it saw them all.
    const std::string summary = m.tmp.path("perf-trace.txt");
    std::map<std::string, std::pair<uint64_t, uint64_t>> perf;
    for (int attempt = 0; attempt < 3; ++attempt) {
        perf = perf_trace_counts(summary);
        ASSERT_FALSE(perf.empty()) << read_text(summary);
        EXPECT_LE(perf["openat"].second, counts.at("openat").second) << "perf trace -s saw errors kiln did not";
        if (perf["getppid"].first == counts.at("getppid").first && perf["dup"].first == counts.at("dup").first &&
            perf["openat"].second == counts.at("openat").second)
            break;
    }
    for (const char* name : {"getppid", "dup"}) {
        EXPECT_EQ(perf[name].first, counts.at(name).first) << name << ": perf trace -s against kiln";
    }
    EXPECT_EQ(perf["openat"].second, counts.at("openat").second) << "openat errors: perf trace -s against kiln";
}

TEST(RecordSched, LastCallsListEachThreadsLatestSyscalls) {
    SchedMix m;
    record_sched_mix(m, {"--syscalls"});
    const json sc = analyze_json(m.rec, {"--view", "syscalls", "--last", "4"});
    ASSERT_TRUE(sc.contains("last")) << sc.dump().substr(0, 500);
    bool syscaller_seen = false;
    for (const auto& t : sc["last"]) {
        EXPECT_LE(t["calls"].size(), 4u);
        double previous = -1;
        for (const auto& c : t["calls"]) {
            EXPECT_GE(c["t_s"].get<double>(), previous);
            previous = c["t_s"].get<double>();
        }
        // The syscaller ends with dup + close pairs: dup(0) returns a descriptor, close it 0.
        for (const auto& c : t["calls"])
            if (c["name"] == "dup" && c["args"][0] == 0) {
                syscaller_seen = true;
                EXPECT_GE(c["ret"].get<int64_t>(), 0);
                EXPECT_GT(c["duration_ns"].get<uint64_t>(), 0u);
            }
    }
    EXPECT_TRUE(syscaller_seen) << sc["last"].dump(1).substr(0, 3000);
    auto text = run_kiln({"analyze", m.rec, "--view", "syscalls", "--last", "2"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("last 2 syscalls of sched_mix_fp"), std::string::npos) << text.out.substr(0, 3000);
}

TEST(RecordSched, PortraitShowsForkExecExitAndClass) {
    SchedMix m;
    record_sched_mix(m, {"--sched", "--syscalls"});
    const json pr = analyze_json(m.rec, {"--view", "portrait"});
    const json* parent = process_named(pr, "sched_mix_fp");
    const json* child = process_named(pr, "sh");
    ASSERT_TRUE(parent && child) << pr.dump(1).substr(0, 3000);
    auto has_event = [](const json& p, const std::string& kind, const std::string& detail) {
        for (const auto& e : p["events"])
            if (e["kind"] == kind && e["detail"].get<std::string>().find(detail) != std::string::npos) return true;
        return false;
    };
    EXPECT_TRUE(has_event(*parent, "fork", "child " + std::to_string((*child)["pid"].get<int>()))) << parent->dump(1);
    EXPECT_TRUE(has_event(*child, "exec", "/bin/sh")) << child->dump(1);
    EXPECT_TRUE(has_event(*child, "exit", "status 7")) << child->dump(1);
    EXPECT_TRUE(has_event(*parent, "exit", "status 0")) << parent->dump(1);
    EXPECT_EQ((*child)["ppid"], (*parent)["pid"]);
    // 400 ms of spinning over a run of about half a second, however loaded: far above idle.
    EXPECT_EQ((*parent)["class"], "cpu") << parent->dump(1);
    EXPECT_GT((*parent)["cpu_percent"].get<double>(), 20.0);
    EXPECT_GE((*parent)["syscalls"].get<uint64_t>(), 700u);
    EXPECT_GE((*parent)["syscall_errors"].get<uint64_t>(), 300u);
    for (const char* key : {"pid", "comm", "cpu_percent", "rss_max_bytes", "read_bytes", "write_bytes", "class", "events"})
        EXPECT_TRUE(parent->contains(key)) << key;
    // Times are seconds from the recording's start, in order.
    double previous = 0;
    for (const auto& e : (*parent)["events"]) {
        EXPECT_GE(e["t_s"].get<double>(), previous) << parent->dump(1);
        previous = e["t_s"].get<double>();
    }
    EXPECT_NE(pr["notes"].dump().find("cpu: >= 50% of a CPU"), std::string::npos) << "the thresholds are stated";
}

TEST(RecordSched, SystemWideSeesEveryThreadAndLeavesKilnsOwnSyscallsOut) {
    SchedMix m;
    // Spawned, so the recorder's pid is known: other kiln processes on the machine are
    // recorded as any process is.
    m.rec = m.tmp.path("sched.kiln");
    const std::string out = m.tmp.path("workload.out");
    const pid_t recorder = spawn({"/bin/sh", "-c",
                                  "exec " + kiln_bin() + " record -a --sched --syscalls -q -o " + m.rec + " -- " +
                                      workload("sched_mix_fp") + " > " + out},
                                 m.tmp.path("record.err"));
    const int status = wait_for(recorder);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(m.tmp.path("record.err"));
    std::smatch hops;
    const std::string printed = read_text(out);
    ASSERT_TRUE(std::regex_search(printed, hops, std::regex("hops ([0-9]+)"))) << printed;
    m.hops = std::atoi(hops[1].str().c_str());
    m.lost = info_json(m.rec).value("lost", uint64_t{0});
    const json sched = analyze_json(m.rec, {"--view", "sched"});
    const json* spinner = thread_named(sched, "spinner");
    ASSERT_TRUE(spinner) << sched.dump().substr(0, 2000);
    EXPECT_NEAR((*spinner)["runtime_ns"].get<double>() / 1e6, 400.0, 400.0 * kTolerance) << spinner->dump();
    const json* hopper = thread_named(sched, "hopper");
    ASSERT_TRUE(hopper);
    EXPECT_GE((*hopper)["migrations"].get<int>(), m.hops);
    const json sc = analyze_json(m.rec, {"--view", "syscalls"});
    const json* proc = process_named(sc, "sched_mix_fp");
    ASSERT_TRUE(proc);
    if (m.lost == 0) {
        EXPECT_EQ(syscall_counts(*proc).at("getppid").first, 200u);
    }
    // kiln's reads of /proc and writes of chunks are filtered once its threads have started
    // (milliseconds into the recording): after that, none of its syscalls is recorded, while
    // the workload's still are.
    const json later = analyze_json(m.rec, {"--view", "syscalls", "--time", "0.25,"});
    ASSERT_TRUE(process_named(later, "sched_mix_fp")) << later.dump().substr(0, 1000);
    for (const auto& p : later["processes"]) {
        if (p["pid"] != recorder) continue;
        ADD_FAILURE() << "the recorder's own syscalls were recorded after its start: " << p.dump().substr(0, 1000);
    }
}

TEST(RecordSched, ViewsSayWhatToRecord) {
    TempDir tmp;
    const std::string rec = tmp.path("cpu.kiln");
    auto r = run_kiln({"record", "-q", "-o", rec, "--", workload("cpu_split_fp"), "0.1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto sched = run_kiln({"analyze", rec, "--view", "sched"});
    EXPECT_EQ(sched.exit_code, 1);
    EXPECT_NE(sched.err.find("kiln record --sched"), std::string::npos) << sched.err;
    auto sc = run_kiln({"analyze", rec, "--view", "syscalls"});
    EXPECT_EQ(sc.exit_code, 1);
    EXPECT_NE(sc.err.find("kiln record --syscalls"), std::string::npos) << sc.err;
    auto last = run_kiln({"analyze", rec, "--view", "cpu", "--last", "3"});
    EXPECT_EQ(last.exit_code, 2);
    EXPECT_NE(last.err.find("--last"), std::string::npos) << last.err;
    auto svg = run_kiln({"analyze", rec, "--view", "sched", "--svg", tmp.path("x.svg")});
    EXPECT_EQ(svg.exit_code, 2) << svg.err;
    // The portrait takes what there is: CPU samples and counters.
    auto portrait = run_kiln({"analyze", rec, "--view", "portrait", "--json", "-"});
    ASSERT_EQ(portrait.exit_code, 0) << portrait.err;
    const json parsed = json::parse(portrait.out);
    const json* p = process_named(parsed, "cpu_split_fp");
    ASSERT_TRUE(p) << portrait.out.substr(0, 2000);
    EXPECT_TRUE((*p)["syscalls"].is_null()) << "no --syscalls: unknown, not 0";
}

TEST(RecordSched, TimelineCountsSyscallsPerWindow) {
    SchedMix m;
    record_sched_mix(m, {"--syscalls"});
    const json t = analyze_json(m.rec, {"--view", "timeline", "--window", "50ms"});
    const json* series = nullptr;
    for (const auto& s : t["series"])
        if (s["name"] == "syscalls") series = &s;
    ASSERT_TRUE(series) << t.dump().substr(0, 1000);
    EXPECT_EQ((*series)["unit"], "syscalls");
    double sum = 0;
    for (const auto& p : (*series)["points"]) sum += p[1].get<double>();
    // Every syscall entered is in one window: the recording's sys_enter samples.
    uint64_t entered = 0;
    const json info = info_json(m.rec);
    for (const auto& e : info["events"])
        if (e["name"] == "raw_syscalls:sys_enter") entered = e["samples"].get<uint64_t>();
    EXPECT_EQ(static_cast<uint64_t>(sum), entered);
    EXPECT_GE(entered, 700u);
}

// perf sched latency on the same workload: its per-task run time, beside kiln's.
TEST(RecordSched, RunTimesAgreeWithPerfSchedLatency) {
    SchedMix m;
    const std::string data = m.tmp.path("perf-sched.data");
    auto p = run({"/usr/bin/perf", "sched", "record", "-o", data, "--", workload("sched_mix_fp")});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    auto lat = run({"/usr/bin/perf", "sched", "latency", "-i", data});
    ASSERT_EQ(lat.exit_code, 0) << lat.err;
    // "  spinner:12593 |    400.779 ms |       30 | avg: ..."
    std::map<std::string, double> perf_ms;
    const std::regex row(R"(^\s*([a-z]+):[0-9]+\s+\|\s+([0-9.]+) ms)");
    std::istringstream lines(lat.out);
    for (std::string line; std::getline(lines, line);) {
        std::smatch r;
        if (std::regex_search(line, r, row)) perf_ms[r[1]] += std::atof(r[2].str().c_str());
    }
    ASSERT_GT(perf_ms["spinner"], 0) << lat.out.substr(0, 2000);
    record_sched_mix(m, {"--sched"});
    const json sched = analyze_json(m.rec, {"--view", "sched"});
    for (const char* thread : {"spinner", "hopper"}) {
        const json* t = thread_named(sched, thread);
        ASSERT_TRUE(t) << thread;
        const double kiln_ms = (*t)["runtime_ns"].get<double>() / 1e6;
        std::printf("run time %s: kiln %.1f ms, perf sched latency %.1f ms\n", thread, kiln_ms, perf_ms[thread]);
        // The spinner's 400 ms are CPU time, whatever the load; the hopper's 20 x 2 ms spins
        // and 20 moves vary more between two runs.
        EXPECT_NEAR(kiln_ms, perf_ms[thread], perf_ms[thread] * (std::string(thread) == "spinner" ? kTolerance : 0.35))
            << thread;
    }
}

// The timeline's per-thread on-CPU series (threads of multi-threaded processes, the busiest).
TEST(RecordSched, TimelineShowsTheThreadsOnCpu) {
    SchedMix m;
    record_sched_mix(m, {});
    const json t = analyze_json(m.rec, {"--view", "timeline"});
    std::string spinner_tid;
    for (const auto& [id, comm] : t["labels"].items())
        if (comm == "spinner") spinner_tid = id;
    ASSERT_FALSE(spinner_tid.empty()) << t["labels"].dump();
    const json* series = nullptr;
    for (const auto& s : t["series"])
        if (s["name"] == "thread." + spinner_tid + ".oncpu") series = &s;
    ASSERT_TRUE(series) << t.dump().substr(0, 2000);
    double ns = 0;
    for (const auto& p : (*series)["points"]) ns += p[1].get<double>();
    EXPECT_NEAR(ns / 1e6, 400.0, 400.0 * kTolerance);
}
