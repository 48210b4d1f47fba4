// `kiln monitor`, the flight recorder, for real: a load burst, a signal, an event and pressure
// each make a dump that reads like any recording; the cooldown and --max-dumps hold back
// further dumps; the history stays within --max-bytes; a full disk is reported and monitoring
// goes on; SIGINT and SIGTERM end it cleanly.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <fstream>
#include <regex>
#include <string>
#include <sstream>
#include <thread>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

int cpus() { return static_cast<int>(std::thread::hardware_concurrency()); }

uint64_t realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// A kiln monitor running in the background, its stderr in a file; killed if the test ends early.
class RunningMonitor {
public:
    RunningMonitor(const TempDir& tmp, const std::string& dir, std::vector<std::string> args)
        : err_path_(tmp.path("monitor_" + std::to_string(++count_) + ".err")), dir_(dir) {
        args.insert(args.begin(), {kiln_bin(), "monitor", "-o", dir});
        pid_ = spawn(args, err_path_);
        ready_ = wait_until([&] { return err().find("kiln monitor: watching") != std::string::npos || exited(); }, 60);
    }
    ~RunningMonitor() {
        if (pid_ > 0) {
            ::kill(-pid_, SIGKILL);
            wait_for(pid_);
        }
    }
    bool ready() const { return ready_ && pid_ > 0; }
    std::string err() const { return read_text(err_path_); }
    pid_t pid() const { return pid_; }
    void signal(int sig) const { ::kill(pid_, sig); }
    // Whether it ended by itself (reaped then, its status kept).
    bool exited() {
        if (pid_ <= 0) return true;
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
        status_ = st;
        pid_ = -1;
        return true;
    }
    // Sends sig and waits for the end; returns the wait status (-1 when it did not end in 60 s).
    int stop(int sig) {
        if (pid_ > 0) ::kill(pid_, sig);
        if (!wait_until([&] { return exited(); }, 60)) return -1;
        return status_;
    }
    int status() const { return status_; }
    std::vector<nlohmann::json> events() const {
        std::vector<nlohmann::json> out;
        std::istringstream in(read_text(dir_ + "/events.jsonl"));
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) out.push_back(nlohmann::json::parse(line));
        return out;
    }
    std::vector<std::string> dumps() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(dir_))
            if (e.path().extension() == ".kiln") out.push_back(e.path());
        std::sort(out.begin(), out.end());
        return out;
    }

private:
    static inline int count_ = 0;
    std::string err_path_, dir_;
    pid_t pid_ = -1;
    int status_ = -1;
    bool ready_ = false;
};

bool exited_cleanly(int status) { return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0; }

// Samples per process name in a recording.
std::map<std::string, uint64_t> samples_by_name(const std::string& recording) {
    std::map<std::string, uint64_t> out;
    const auto info = info_json(recording);
    for (const auto& p : info["processes"]) out[p["name"].get<std::string>()] += p["samples"].get<uint64_t>();
    return out;
}

std::string folded_of(const std::string& recording) {
    auto r = run_kiln({"analyze", recording, "--view", "cpu", "--folded", "-"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
}

// Waits until the runnable-task count reaches n; returns the wall-clock time it was seen.
class LoadWatcher {
public:
    explicit LoadWatcher(int n) : thread_([this, n] {
        while (!stop_) {
            std::ifstream f("/proc/loadavg");
            double a, b, c;
            int running = 0;
            char slash;
            if (f >> a >> b >> c >> running >> slash && running >= n) {
                seen_ns_ = realtime_ns();
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }) {}
    ~LoadWatcher() {
        stop_ = true;
        thread_.join();
    }
    uint64_t seen_ns() const { return seen_ns_; }

private:
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> seen_ns_{0};
    std::thread thread_;
};

TEST(Monitor, ALoadBurstMakesOneDumpOfTheSecondsAroundIt) {
    TempDir tmp;
    // A process that starts long before the dump's window: its name, threads and maps come to
    // the monitor at its start, in chunks the history has dropped by the time of the dump.
    const pid_t early = spawn({workload("spinner_fp"), "30"});
    // The threshold stands well above what runs anyway: the spinner's two threads, the test, a
    // monitor's threads (slow under the sanitizers) and whatever else this machine runs; the
    // most runnable tasks seen over 2 s, plus 6, and never under CPUs + 8.
    int most = 0;
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2); std::chrono::steady_clock::now() < until;) {
        std::ifstream f("/proc/loadavg");
        double a, b, c;
        int running = 0;
        if (f >> a >> b >> c >> running) most = std::max(most, running);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const int threshold = std::max(cpus() + 8, most + 6);
    const int workers = 2 * threshold;
    const std::string trigger = "load>=" + std::to_string(threshold);
    RunningMonitor mon(tmp, tmp.dir(), {"-a", "-F", "99", "--keep", "2s", "--after", "1s", "--trigger", trigger,
                                        "--cooldown", "60s", "--status-interval", "0"});
    ASSERT_TRUE(mon.ready()) << mon.err();
    // The history must roll past the spinner's start (keep + after + a chunk): time itself is
    // the condition here.
    std::this_thread::sleep_for(std::chrono::seconds(4));
    ASSERT_TRUE(mon.events().empty()) << "fired before the burst: " << mon.err();

    LoadWatcher load(threshold);
    const pid_t burst = spawn({"/usr/bin/stress-ng", "--cpu", std::to_string(workers), "--timeout", "2s", "--quiet"});
    ASSERT_TRUE(wait_until([&] { return !mon.events().empty(); }, 60)) << mon.err();
    wait_for(burst);
    ::kill(early, SIGKILL);
    wait_for(early);
    const int status = mon.stop(SIGINT);
    EXPECT_TRUE(exited_cleanly(status)) << status << mon.err();
    EXPECT_NE(mon.err().find("kiln monitor: stopped: 1 dumps written"), std::string::npos) << mon.err();

    // Exactly one dump, logged once; the cooldown held back the rest of the burst.
    const auto events = mon.events();
    const auto dumps = mon.dumps();
    ASSERT_EQ(events.size(), 1u) << mon.err();
    ASSERT_EQ(dumps.size(), 1u);
    const auto& e = events[0];
    EXPECT_EQ(e["trigger"], trigger);
    EXPECT_GE(e["value"].get<double>(), threshold);
    EXPECT_EQ(e["file"], dumps[0]);
    for (const char* key : {"time", "t_s", "load1", "load5", "load15", "running"}) EXPECT_TRUE(e.contains(key)) << key;
    EXPECT_EQ(e["time"].get<std::string>().back(), 'Z');
    // The trigger's time is when the run queue reached the threshold, within the check interval
    // (10 ms) and the wakeup latency of a loaded machine.
    ASSERT_GT(load.seen_ns(), 0u);
    const double late_ms = (static_cast<double>(e["time_ns"].get<uint64_t>()) - static_cast<double>(load.seen_ns())) / 1e6;
    std::printf("trigger logged %.1f ms after the test saw %d runnable tasks\n", late_ms, threshold);
    EXPECT_GT(late_ms, -60.0);
    EXPECT_LT(late_ms, 10.0 + 60.0);
    EXPECT_NEAR(e["before_s"].get<double>(), 2.0, 0.01);
    EXPECT_GE(e["after_s"].get<double>(), 1.0);

    // The dump is a normal recording: [trigger - 2 s, trigger + 1 s and the last chunk].
    const auto info = info_json(dumps[0]);
    EXPECT_TRUE(info["complete"].get<bool>());
    EXPECT_EQ(info["stopped_by"], "a dump of kiln monitor");
    EXPECT_GE(info["duration_ns"].get<uint64_t>(), 2'900'000'000u);
    EXPECT_LT(info["duration_ns"].get<uint64_t>(), 5'000'000'000u);
    EXPECT_EQ(info["samples"].get<uint64_t>(), e["samples"].get<uint64_t>());
    const auto by_name = samples_by_name(dumps[0]);
    uint64_t stress = 0;
    for (const auto& [name, n] : by_name)
        if (name.rfind("stress-ng", 0) == 0) stress += n;
    EXPECT_GT(stress, 20u) << info.dump();
    EXPECT_GT(by_name.count("spinner_fp") ? by_name.at("spinner_fp") : 0, 20u) << info.dump();
    // Symbolized: the early process's function by name (its maps were kept aside), and the
    // stress-ng workers' frames in their binary or its libraries, not unmapped addresses.
    const std::string folded = folded_of(dumps[0]);
    EXPECT_NE(folded.find("spinner_fp;"), std::string::npos);
    EXPECT_NE(folded.find("spin_until_stop"), std::string::npos) << folded.substr(0, 2000);
    // (fp callchains through the stripped, frame-pointer-less stress-ng have [unknown] callers;
    // the leaf is where the sample was taken and must be known.)
    uint64_t stress_mapped = 0, stress_all = 0;
    for (const auto& [stack, value] : parse_folded(folded)) {
        if (stack.rfind("stress-ng", 0) != 0) continue;
        std::string leaf;
        for (size_t at = 0; at != std::string::npos;) {
            const size_t next = stack.find(';', at);
            const std::string frame = stack.substr(at, next == std::string::npos ? std::string::npos : next - at);
            if (!frame.ends_with("_[k]")) leaf = frame;
            at = next == std::string::npos ? next : next + 1;
        }
        stress_all += static_cast<uint64_t>(value);
        if (leaf != "[unknown]" && leaf.rfind("0x", 0) != 0) stress_mapped += static_cast<uint64_t>(value);
    }
    EXPECT_GT(stress_all, 0u);
    EXPECT_GE(static_cast<double>(stress_mapped), 0.9 * static_cast<double>(stress_all)) << folded.substr(0, 3000);

    // The log as a table and as JSON.
    auto table = run_kiln({"monitor", "--events", tmp.dir()});
    EXPECT_EQ(table.exit_code, 0) << table.err;
    EXPECT_NE(table.out.find(trigger), std::string::npos) << table.out;
    EXPECT_NE(table.out.find(dumps[0]), std::string::npos) << table.out;
    auto json = run_kiln({"monitor", "--events", tmp.dir(), "--json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    const auto parsed = nlohmann::json::parse(json.out);
    ASSERT_EQ(parsed.size(), 1u);
    EXPECT_EQ(parsed[0]["trigger"], trigger);
}

TEST(Monitor, SignalsDumpACommandAndTheCooldownAndMaxDumpsHoldBackTheRest) {
    TempDir tmp;
    RunningMonitor mon(tmp, tmp.dir(), {"--keep", "1s", "--after", "300ms", "--trigger", "signal", "--cooldown", "2s",
                                        "--max-dumps", "2", "--status-interval", "0", "--", workload("spinner_fp"), "60"});
    ASSERT_TRUE(mon.ready()) << mon.err();
    mon.signal(SIGUSR2);
    ASSERT_TRUE(wait_until([&] { return mon.events().size() == 1; }, 30)) << mon.err();
    // Inside the cooldown: said, not dumped.
    mon.signal(SIGUSR2);
    ASSERT_TRUE(wait_until([&] { return mon.err().find("within --cooldown") != std::string::npos; }, 30)) << mon.err();
    EXPECT_EQ(mon.events().size(), 1u);
    // Past it, the next signal dumps; with --max-dumps 2 the monitor then ends by itself.
    ASSERT_TRUE(wait_until([&] {
        if (mon.events().size() < 2) mon.signal(SIGUSR2);
        return mon.events().size() == 2;
    }, 30)) << mon.err();
    ASSERT_TRUE(wait_until([&] { return mon.exited(); }, 30)) << mon.err();
    EXPECT_TRUE(exited_cleanly(mon.status())) << mon.err();
    EXPECT_NE(mon.err().find("--max-dumps 2 reached"), std::string::npos) << mon.err();

    const auto events = mon.events();
    ASSERT_EQ(events.size(), 2u);
    EXPECT_GE(events[1]["t_s"].get<double>() - events[0]["t_s"].get<double>(), 2.0);
    ASSERT_EQ(mon.dumps().size(), 2u);
    for (const auto& dump : mon.dumps()) {
        const auto by_name = samples_by_name(dump);
        EXPECT_GT(by_name.count("spinner_fp") ? by_name.at("spinner_fp") : 0, 50u) << dump;
        EXPECT_NE(folded_of(dump).find("spin_until_stop"), std::string::npos) << dump;
    }
}

TEST(Monitor, AnEventTriggerDumpsAfterItsNthHitAndSigtermEndsCleanly) {
    TempDir tmp;
    RunningMonitor mon(tmp, tmp.dir(), {"-a", "-F", "99", "--keep", "1s", "--after", "200ms", "--trigger",
                                        "event:sched:sched_process_exec/3", "--status-interval", "0"});
    ASSERT_TRUE(mon.ready()) << mon.err();
    for (int i = 0; i < 2; ++i) EXPECT_EQ(run({"/bin/true"}).exit_code, 0);
    EXPECT_TRUE(mon.events().empty());
    EXPECT_EQ(run({"/bin/true"}).exit_code, 0);
    ASSERT_TRUE(wait_until([&] { return mon.events().size() == 1; }, 30)) << mon.err();
    EXPECT_TRUE(exited_cleanly(mon.stop(SIGTERM))) << mon.err();
    const auto e = mon.events().at(0);
    EXPECT_EQ(e["trigger"], "event:sched:sched_process_exec/3");
    EXPECT_GE(e["value"].get<double>(), 3.0);
    ASSERT_EQ(mon.dumps().size(), 1u);
    EXPECT_TRUE(info_json(mon.dumps()[0])["complete"].get<bool>());
}

TEST(Monitor, AProcessCpuShareTriggersADumpOfThatProcess) {
    TempDir tmp;
    // Two spinning threads: about 200% of a CPU once both run (fewer on a busy machine).
    const pid_t spinner = spawn({workload("spinner_fp"), "60"});
    struct Kill {
        pid_t pid;
        ~Kill() {
            ::kill(pid, SIGKILL);
            wait_for(pid);
        }
    } kill_spinner{spinner};
    const std::string trigger = "cpu:" + std::to_string(spinner) + ">=50%";
    RunningMonitor mon(tmp, tmp.dir(), {"-p", std::to_string(spinner), "--keep", "1s", "--after", "200ms",
                                        "--trigger", trigger, "--status-interval", "0"});
    ASSERT_TRUE(mon.ready()) << mon.err();
    ASSERT_TRUE(wait_until([&] { return mon.events().size() == 1; }, 30)) << mon.err();
    EXPECT_TRUE(exited_cleanly(mon.stop(SIGINT))) << mon.err();
    const auto e = mon.events().at(0);
    EXPECT_EQ(e["trigger"], trigger);
    EXPECT_GE(e["value"].get<double>(), 50.0);
    ASSERT_EQ(mon.dumps().size(), 1u);
    const auto by_name = samples_by_name(mon.dumps()[0]);
    EXPECT_GT(by_name.count("spinner_fp") ? by_name.at("spinner_fp") : 0, 50u);
}

TEST(Monitor, CpuPressureTriggersADump) {
    if (!std::filesystem::exists("/proc/pressure/cpu")) GTEST_SKIP() << "no PSI on this kernel (/proc/pressure/cpu)";
    TempDir tmp;
    RunningMonitor mon(tmp, tmp.dir(), {"-a", "-F", "99", "--keep", "1s", "--after", "200ms", "--trigger",
                                        "psi:cpu>=10%", "--status-interval", "0"});
    ASSERT_TRUE(mon.ready()) << mon.err();
    const pid_t burst = spawn({"/usr/bin/stress-ng", "--cpu", std::to_string(3 * cpus() + 4), "--timeout", "20s", "--quiet"});
    const bool dumped = wait_until([&] { return mon.events().size() == 1; }, 40);
    ::kill(-burst, SIGKILL);
    wait_for(burst);
    ASSERT_TRUE(dumped) << mon.err();
    EXPECT_TRUE(exited_cleanly(mon.stop(SIGINT))) << mon.err();
    const auto e = mon.events().at(0);
    EXPECT_EQ(e["trigger"], "psi:cpu>=10%");
    EXPECT_GE(e["value"].get<double>(), 10.0);
    ASSERT_EQ(mon.dumps().size(), 1u);
}

// Resident memory of a process in KiB.
long rss_kib(pid_t pid) {
    std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/status"));
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return 0;
}

TEST(Monitor, TheHistoryStaysWithinMaxBytesOverARunManyTimesLongerThanKeep) {
    TempDir tmp;
    // Under AddressSanitizer freed memory waits in a quarantine (256 MB by default) before it is
    // reused, so a process that frees what it drops still grows; without the quarantine its
    // resident size is what it holds, as in the plain build (which ignores the variable).
    const char* asan = std::getenv("ASAN_OPTIONS");
    ScopedEnv no_quarantine("ASAN_OPTIONS", std::string(asan ? asan : "") + (asan ? ":" : "") + "quarantine_size_mb=0");
    RunningMonitor mon(tmp, tmp.dir(), {"-a", "-F", "2999", "-g", "dwarf", "--keep", "60s", "--after", "200ms",
                                        "--max-bytes", "4M", "--trigger", "signal", "--status-interval", "500ms"});
    ASSERT_TRUE(mon.ready()) << mon.err();
    const pid_t load = spawn({"/usr/bin/stress-ng", "--cpu", std::to_string(cpus()), "--timeout", "60s", "--quiet"});
    std::vector<long> rss;
    // 16 s: the byte limit is reached within about 5 s (not --keep), then the history turns over.
    for (int i = 0; i < 16; ++i) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        rss.push_back(rss_kib(mon.pid()));
    }
    mon.signal(SIGUSR2);
    ASSERT_TRUE(wait_until([&] { return mon.events().size() == 1; }, 30)) << mon.err();
    ::kill(-load, SIGKILL);
    wait_for(load);
    EXPECT_TRUE(exited_cleanly(mon.stop(SIGINT))) << mon.err();

    const std::string err = mon.err();
    const std::regex holding("holding [0-9.]+ s, ([0-9.]+) MiB");  // two decimals
    size_t lines = 0;
    double most = 0;
    for (auto it = std::sregex_iterator(err.begin(), err.end(), holding); it != std::sregex_iterator(); ++it) {
        ++lines;
        most = std::max(most, std::stod((*it)[1]));
    }
    std::printf("%zu status lines, the most held %.2f MiB (--max-bytes 4M); RSS %ld KiB at 8 s, %ld KiB at 16 s\n",
                lines, most, rss[7], rss.back());
    EXPECT_GT(lines, 12u);
    EXPECT_LE(most, 4.0);
    // The limit was what bounded the history, not --keep.
    EXPECT_NE(err.find("dropped early for --max-bytes"), std::string::npos) << err;
    // Memory stopped growing once the history was full: less than --max-bytes more in the
    // second half (unbounded, 8 s of this rate would be some 20 MiB). ASan's allocator keeps
    // each size class's freed chunks for that class only, so blocks of new sizes still take
    // fresh pages for a while (seen: 4.5 MiB): twice the margin there, still far from 20 MiB.
#if defined(__SANITIZE_ADDRESS__)
    constexpr long kGrowthKiB = 8 * 1024;
#else
    constexpr long kGrowthKiB = 4 * 1024;
#endif
    EXPECT_LT(rss.back() - rss[7], kGrowthKiB) << err;
    ASSERT_EQ(mon.dumps().size(), 1u);
    EXPECT_LE(std::filesystem::file_size(mon.dumps()[0]), 4u << 20);
    EXPECT_TRUE(info_json(mon.dumps()[0])["complete"].get<bool>());
}

TEST(Monitor, AFullDiskIsReportedAndMonitoringGoesOn) {
    TempDir tmp;
    const std::string full = tmp.path("full");
    std::filesystem::create_directory(full);
    // A file system with no room for any dump: a tmpfs of 32 pages, 31 of them filled. The page
    // left takes events.jsonl, not a dump (the vdso alone is most of a page compressed); a dump
    // that fails is removed.
    ASSERT_EQ(::mount("kiln_test_full", full.c_str(), "tmpfs", 0, "size=128k"), 0) << std::strerror(errno);
    struct Unmount {
        std::string dir;
        ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
    } unmount{full};
    {
        std::ofstream filler(full + "/filler", std::ios::binary);
        const std::string block(4096, 'x');
        for (int i = 0; i < 31 && filler.write(block.data(), static_cast<std::streamsize>(block.size())); ++i) filler.flush();
    }
    RunningMonitor mon(tmp, full, {"--keep", "1s", "--after", "100ms", "--trigger", "signal", "--cooldown", "0",
                                   "--status-interval", "0", "--", workload("spinner_fp"), "60"});
    ASSERT_TRUE(mon.ready()) << mon.err();
    for (size_t n = 1; n <= 2; ++n) {
        mon.signal(SIGUSR2);
        ASSERT_TRUE(wait_until([&] { return mon.events().size() == n; }, 30)) << mon.err();
    }
    EXPECT_FALSE(mon.exited());
    const int status = mon.stop(SIGINT);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << "failed dumps make the exit status 1: " << status;
    const std::string err = mon.err();
    EXPECT_NE(err.find("kiln monitor: stopped: 0 dumps written, 2 failed"), std::string::npos) << err;
    EXPECT_NE(err.find("could not write the dump"), std::string::npos) << err;
    EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
    for (const auto& e : mon.events()) {
        EXPECT_EQ(e["file"], "");
        EXPECT_NE(e["error"].get<std::string>().find("No space left"), std::string::npos);
    }
    EXPECT_TRUE(mon.dumps().empty());  // no partial dump left to fill the disk further
}

TEST(Monitor, BadCommandLinesAreClearErrors) {
    TempDir tmp;
    auto none = run_kiln({"monitor", "-o", tmp.dir(), "-a"});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.err.find("no --trigger"), std::string::npos) << none.err;
    auto bad = run_kiln({"monitor", "-o", tmp.dir(), "-a", "--trigger", "load>0"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("load>0"), std::string::npos) << bad.err;
    auto no_dir = run_kiln({"monitor", "-o", tmp.path("missing"), "-a", "--trigger", "signal"});
    EXPECT_EQ(no_dir.exit_code, 1);
    EXPECT_NE(no_dir.err.find("not a directory"), std::string::npos) << no_dir.err;
    auto no_log = run_kiln({"monitor", "--events", tmp.dir()});
    EXPECT_EQ(no_log.exit_code, 1);
    EXPECT_NE(no_log.err.find("events.jsonl"), std::string::npos) << no_log.err;
    for (const std::string bad_size : {"lots", "-1", "1.5G", ""}) {
        auto size = run_kiln({"monitor", "-o", tmp.dir(), "-a", "--trigger", "signal", "--max-bytes", bad_size});
        EXPECT_EQ(size.exit_code, 2) << bad_size;
        EXPECT_NE(size.err.find("--max-bytes " + bad_size + ": expected a size"), std::string::npos) << size.err;
    }
}

}  // namespace
