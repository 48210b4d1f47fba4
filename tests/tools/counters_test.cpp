// `kiln record` with its counter sampler: COUNTERS chunks decoded from real recordings and
// checked against what the workloads really did.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "formats/counters.h"
#include "formats/recording_reader.h"
#include "tests/tools/kiln_runner.h"

using namespace kiln::test;
using kiln::format::CounterSnapshot;

namespace {

struct Counters {
    std::vector<CounterSnapshot> snapshots;
    uint64_t interval_ns = 0;
    uint32_t ticks_per_second = 0;
    size_t chunks = 0;
    uint64_t start_ns = 0;
};

Counters counters_of(const std::string& path) {
    Counters out;
    auto r = kiln::format::RecordingReader::open(path);
    EXPECT_TRUE(r.ok()) << path;
    if (!r.ok()) return out;
    out.start_ns = (*r)->header().start_time_ns;
    for (;;) {
        auto c = (*r)->next();
        EXPECT_TRUE(c.ok());
        if (!c.ok() || !c->has_value()) break;
        if ((*c)->type != kiln::format::ChunkType::kCounters) continue;
        auto chunk = kiln::format::decode_counter_chunk((*c)->data);
        EXPECT_TRUE(chunk.ok()) << chunk.error().message;
        if (!chunk.ok()) continue;
        ++out.chunks;
        out.interval_ns = chunk->interval_ns;
        out.ticks_per_second = chunk->ticks_per_second;
        for (auto& s : chunk->snapshots) out.snapshots.push_back(std::move(s));
    }
    return out;
}

const kiln::format::ProcessCounters* find_pid(const CounterSnapshot& s, int pid) {
    for (const auto& p : s.processes)
        if (p.pid == pid) return &p;
    return nullptr;
}

// Parent pid of a process, 0 when gone.
int ppid_of(int pid) {
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    char state = 0;
    int ppid = 0;
    return std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 ? ppid : 0;
}

size_t children_of(int parent) {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") == std::string::npos && ppid_of(std::atoi(name.c_str())) == parent)
            ++n;
    }
    return n;
}

// Kills a spawned process group (its own group, see spawn()) however the test ends.
struct GroupKiller {
    pid_t pid;
    ~GroupKiller() {
        if (pid <= 0) return;
        ::kill(-pid, SIGKILL);
        (void)wait_for(pid);
    }
};

}  // namespace

TEST(RecordCounters, TargetCpuTimeAndSnapshotSchedule) {
    TempDir tmp;
    const std::string out = tmp.path("c.kiln");
    auto r = run({kiln_bin(), "record", "-q", "--counter-interval", "100ms", "-o", out, "--", workload("cpu_split_fp"),
                  "2.0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const double cpu_s = std::atof(r.out.c_str());  // the workload's own CPU time (getrusage)
    ASSERT_GT(cpu_s, 1.9);

    const Counters c = counters_of(out);
    ASSERT_FALSE(c.snapshots.empty());
    EXPECT_EQ(c.interval_ns, 100'000'000u);
    EXPECT_GE(c.chunks, 2u) << "a chunk about once a second";
    auto info = info_json(out);
    const double duration_s = info["duration_ns"].get<double>() / 1e9;
    const double expected = duration_s / 0.1;
    EXPECT_GE(static_cast<double>(c.snapshots.size()), 0.5 * expected) << duration_s << " s";
    EXPECT_LE(static_cast<double>(c.snapshots.size()), expected + 3) << duration_s << " s";
    const uint64_t end_ns = c.start_ns + info["duration_ns"].get<uint64_t>();
    for (size_t i = 0; i < c.snapshots.size(); ++i) {
        EXPECT_GE(c.snapshots[i].time_ns, c.start_ns);
        EXPECT_LE(c.snapshots[i].time_ns, end_ns);
        if (i > 0) {
            EXPECT_GT(c.snapshots[i].time_ns, c.snapshots[i - 1].time_ns);
        }
        EXPECT_TRUE(c.snapshots[i].has_processes);
        EXPECT_FALSE(c.snapshots[i].machine.cpus.empty());
    }

    // The command is the one process tracked; it is the one sampled.
    std::set<int> pids;
    for (const auto& s : c.snapshots)
        for (const auto& p : s.processes) pids.insert(p.pid);
    ASSERT_EQ(pids.size(), 1u);
    const int pid = *pids.begin();
    EXPECT_GT(samples_of_pid(info, pid), 0u) << info.dump(1);

    const kiln::format::ProcessCounters *first = nullptr, *last = nullptr;
    for (const auto& s : c.snapshots)
        if (const auto* p = find_pid(s, pid)) {
            if (!first) first = p;
            last = p;
        }
    ASSERT_TRUE(first && last);
    const double used_s = static_cast<double>(last->cpu_ticks - first->cpu_ticks) / c.ticks_per_second;
    EXPECT_NEAR(used_s, cpu_s, 0.15 * cpu_s);
    // RSS while it ran (the last read may catch it as a zombie, which holds no memory: 0).
    uint64_t rss_max = 0;
    for (const auto& s : c.snapshots)
        if (const auto* p = find_pid(s, pid)) rss_max = std::max(rss_max, p->rss_bytes);
    EXPECT_GT(rss_max, 0u);
    EXPECT_GE(last->voluntary_switches + last->involuntary_switches,
              first->voluntary_switches + first->involuntary_switches);
    EXPECT_GT(last->involuntary_switches + last->voluntary_switches, 0u);

    EXPECT_EQ(info["counters"]["snapshots"].get<size_t>(), c.snapshots.size());
    EXPECT_EQ(info["counters"]["interval_ns"].get<uint64_t>(), 100'000'000u);
    EXPECT_EQ(info["counters"]["processes"].get<uint64_t>(), 1u);
    EXPECT_GE(info["counters"]["max_procs_running"].get<uint64_t>(), 1u);
    auto text = run({kiln_bin(), "info", out});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("counters:   " + std::to_string(c.snapshots.size()) + " snapshots every 100 ms, 1 processes"),
              std::string::npos)
        << text.out;
}

TEST(RecordCounters, ProcsRunningUnderStressNg) {
    constexpr int kWorkers = 2;
    const std::string stress = "/usr/bin/stress-ng";
    if (access(stress.c_str(), X_OK) != 0) GTEST_FAIL() << "stress-ng is needed; tools/install-deps installs it";
    TempDir tmp;
    // --timeout bounds it even if this test dies without its destructor.
    GroupKiller guard{spawn({stress, "--cpu", std::to_string(kWorkers), "--timeout", "60s", "--quiet"})};
    ASSERT_TRUE(wait_until([&] { return children_of(guard.pid) >= static_cast<size_t>(kWorkers); }, 20))
        << "stress-ng workers did not start";
    const std::string out = tmp.path("a.kiln");
    auto r = run({kiln_bin(), "record", "-q", "-a", "-d", "2", "-F", "99", "--proc-interval", "500ms", "-o", out});
    const bool stress_alive = children_of(guard.pid) >= static_cast<size_t>(kWorkers);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(stress_alive) << "stress-ng stopped during the recording";

    const Counters c = counters_of(out);
    ASSERT_GE(c.snapshots.size(), 5u);
    std::vector<uint32_t> running;
    size_t with_processes = 0;
    bool saw_workers = false;
    for (const auto& s : c.snapshots) {
        running.push_back(s.machine.procs_running);
        if (!s.has_processes) {
            EXPECT_TRUE(s.processes.empty());
            continue;
        }
        ++with_processes;
        EXPECT_GT(s.processes.size(), 2u);
        EXPECT_EQ(find_pid(s, 2), nullptr) << "kthreadd is a kernel thread";
        saw_workers = saw_workers || find_pid(s, guard.pid) != nullptr;
    }
    std::nth_element(running.begin(), running.begin() + running.size() / 2, running.end());
    const uint32_t median = running[running.size() / 2];
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    EXPECT_GE(median, static_cast<uint32_t>(kWorkers));
    EXPECT_LE(median, static_cast<uint32_t>(cpus * 8 + kWorkers));
    // Processes every 500 ms over 2 s (plus the last snapshot), not at every 100 ms tick.
    EXPECT_GE(with_processes, 3u);
    EXPECT_LT(with_processes, c.snapshots.size());
    EXPECT_TRUE(saw_workers) << "stress-ng's pid in the -a process counters";
}

TEST(RecordCounters, IntervalZeroWritesNone) {
    TempDir tmp;
    const std::string out = tmp.path("z.kiln");
    auto r = run({kiln_bin(), "record", "-q", "--counter-interval", "0", "-o", out, "--", workload("cpu_split_fp"), "0.2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Counters c = counters_of(out);
    EXPECT_EQ(c.chunks, 0u);
    auto info = info_json(out);
    EXPECT_FALSE(info.contains("counters"));
    auto text = run({kiln_bin(), "info", out});
    EXPECT_NE(text.out.find("counters:   none"), std::string::npos) << text.out;
}

TEST(RecordCounters, BadIntervalsExitTwoNamingTheOption) {
    TempDir tmp;
    for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
             {"--counter-interval", "abc"},
             {"--counter-interval", "100"},  // 100 ns: below the 100 us floor
             {"--counter-interval", "-1s"},
             {"--counter-interval", "5m"},
             {"--proc-interval", "0"},
             {"--proc-interval", "1x"}}) {
        auto r = run({kiln_bin(), "record", "-q", option, value, "-o", tmp.path("bad.kiln"), "--", "/bin/true"});
        EXPECT_EQ(r.exit_code, 2) << option << " " << value << ": " << r.err;
        EXPECT_NE(r.err.find(option + " " + value), std::string::npos) << r.err;
    }
    for (const std::string good : {"500us", "2.5s", "1ms"}) {
        auto r = run({kiln_bin(), "record", "-q", "--counter-interval", good, "-o", tmp.path("good.kiln"), "--",
                      "/bin/true"});
        EXPECT_EQ(r.exit_code, 0) << good << ": " << r.err;
    }
}

// The timeline of a real recording: a single-threaded spinner, recorded with counters. The
// counter series (process CPU %, from /proc ticks) and the sample series (on-CPU ns, from
// cpu-clock samples) must each add up to the CPU time the workload reports for itself, the
// samples series to the samples taken, and the run queue must hold the spinner.
TEST(RecordCounters, TimelineOfARealRecordingAddsUpToTheWorkload) {
    TempDir tmp;
    const std::string out = tmp.path("t.kiln");
    auto r = run({kiln_bin(), "record", "-q", "-e", "cpu-clock", "-o", out, "--", workload("cpu_split_fp"), "1.5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const double cpu_s = std::atof(r.out.c_str());
    ASSERT_GT(cpu_s, 1.4);
    auto info = info_json(out);

    auto a = run({kiln_bin(), "analyze", out, "--view", "timeline", "--json", "-"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const auto t = nlohmann::json::parse(a.out);
    const double window_s = t["window_ns"].get<double>() / 1e9;
    EXPECT_DOUBLE_EQ(window_s, 0.1);
    std::map<std::string, nlohmann::json> series;
    for (const auto& s : t["series"]) series[s["name"].get<std::string>()] = s;
    auto sum = [&](const std::string& name) {
        double total = 0;
        for (const auto& p : series.at(name)["points"])
            if (!p[1].is_null()) total += p[1].get<double>();
        return total;
    };

    int pid = 0;
    for (const auto& [name, s] : series)
        if (name.starts_with("process.") && name.ends_with(".cpu")) pid = std::atoi(name.c_str() + 8);
    ASSERT_GT(pid, 0) << a.out.substr(0, 2000);
    const std::string proc = "process." + std::to_string(pid);
    ASSERT_TRUE(series.count(proc + ".oncpu")) << a.out.substr(0, 2000);
    // % of one CPU per window -> CPU seconds.
    EXPECT_NEAR(sum(proc + ".cpu") / 100.0 * window_s, cpu_s, 0.15 * cpu_s);
    EXPECT_NEAR(sum(proc + ".oncpu") / 1e9, cpu_s, 0.15 * cpu_s);
    EXPECT_DOUBLE_EQ(sum("samples"), info["samples"].get<double>());
    EXPECT_EQ(t["labels"][std::to_string(pid)].get<std::string>(), "cpu_split_fp");

    // The spinner is on the run queue whenever a snapshot is taken while it spins.
    std::vector<double> running;
    for (const auto& p : series.at("load.running")["points"])
        if (!p[1].is_null()) running.push_back(p[1].get<double>());
    ASSERT_GE(running.size(), 5u);
    std::sort(running.begin(), running.end());
    EXPECT_GE(running[running.size() / 2], 1.0);
    for (const char* name : {"cpu.busy", "load.1min", "load.blocked"}) EXPECT_TRUE(series.count(name)) << name;
}

// Processes the command starts are followed too (as the events follow them): a shell that runs
// the spinner as its child gives two processes, and the child's CPU time is the spinner's but
// for what it used before the recorder drained its FORK record (the drain loop wakes at least
// once a second).
TEST(RecordCounters, ChildrenOfTheCommandAreFollowed) {
    TempDir tmp;
    const std::string out = tmp.path("children.kiln");
    const std::string cpu_file = tmp.path("cpu.txt");
    auto r = run({kiln_bin(), "record", "-q", "-o", out, "--", "/bin/sh", "-c",
                  workload("cpu_split_fp") + " 2.5 > " + cpu_file + "; true"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const double cpu_s = std::atof(read_text(cpu_file).c_str());
    ASSERT_GT(cpu_s, 2.4);
    const Counters c = counters_of(out);
    std::map<int, std::pair<uint64_t, uint64_t>> ticks;  // pid -> first, last cpu_ticks
    for (const auto& s : c.snapshots)
        for (const auto& p : s.processes) {
            auto [it, fresh] = ticks.try_emplace(p.pid, p.cpu_ticks, p.cpu_ticks);
            if (!fresh) it->second.second = p.cpu_ticks;
        }
    ASSERT_GE(ticks.size(), 2u) << "the shell and its child";
    double most = 0;
    for (const auto& [pid, t] : ticks) most = std::max(most, static_cast<double>(t.second - t.first) / c.ticks_per_second);
    EXPECT_LE(most, 1.15 * cpu_s);
    EXPECT_GE(most, cpu_s - 1.3);
}
