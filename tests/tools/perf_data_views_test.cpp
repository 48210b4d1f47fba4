// The time views and perf's build-id cache on perf.data files:
// - `perf sched record` of sched_mix (system-wide, as perf sched always is): the sched view's
//   run times and longest waits agree with `perf sched latency` on the same file, and with
//   the workload's known 400 ms of spinning; the portrait and the timeline read it;
// - `perf trace record` of sched_mix: the syscalls view's counts are the known ones;
// - per task sched_switch without --switch-events: the sched view says the switches in are
//   missing instead of showing run times as if they were whole;
// - a binary gone from its path and a kernel other than the running one are named from
//   perf's build-id cache (~/.debug, as perf record and `perf archive` leave it);
// - `perf probe` uprobes on malloc and free give the alloc and inuse views mem_mix's known
//   bytes, with -g (caller's caller, said in a warning) and --call-graph dwarf (whole stacks).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;
using nlohmann::json;

namespace {

// A perf command's result, asserted to exit 0 (retried where perf 6.1 aborts: run_perf).
RunResult run_ok(const std::vector<std::string>& argv) {
    auto r = run_perf(argv);
    EXPECT_EQ(r.exit_code, 0) << argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << ": " << r.err;
    return r;
}

const json* thread_named(const json& sched, const std::string& comm) {
    for (const auto& t : sched["threads"])
        if (t["comm"] == comm) return &t;
    return nullptr;
}

bool has_note(const json& view, const std::string& part) {
    for (const auto& n : view["notes"])
        if (n.get<std::string>().find(part) != std::string::npos) return true;
    return false;
}

// perf sched latency's row of a task ("COMM:TID"; by tid, as perf may still name a thread by
// the comm it had before it renamed itself): runtime and max delay in ms.
struct LatencyRow {
    double runtime_ms = -1, max_delay_ms = -1;
};
LatencyRow perf_sched_latency(const std::string& file, int tid) {
    // --pids: a row per thread (by default perf merges the threads of one comm into one row).
    auto r = run_ok({"/usr/bin/perf", "sched", "latency", "--pids", "-i", file});
    const std::regex row("^\\s*\\S+:" + std::to_string(tid) + "\\s*\\|\\s*([0-9.]+) ms \\|.*max:\\s*([0-9.]+) ms");
    std::istringstream lines(r.out);
    LatencyRow out;
    for (std::string line; std::getline(lines, line);)
        if (std::smatch m; std::regex_search(line, m, row)) out = {std::stod(m[1]), std::stod(m[2])};
    return out;
}

// A thread's run time as kiln's sched view defines it (switch in to switch out; a switch in on
// another CPU ends the run before), from the sched_switch events `perf script` decodes, by the
// tids in their payload (a dying thread's last switch carries sample pid -1). Runs whose switch
// in is missing are left out.
double switch_runtime_ms(const std::string& file, int tid) {
    auto r = run_ok({"/usr/bin/perf", "script", "-i", file, "--ns", "-F", "cpu,time,event,trace"});
    const std::regex sw("^\\[(\\d+)\\]\\s+(\\d+)\\.(\\d{9}):\\s+sched:sched_switch:.*prev_pid=(-?\\d+) .*next_pid=(-?\\d+) ");
    std::istringstream lines(r.out);
    uint64_t total_ns = 0, since = 0;
    int on = -1;  // the CPU it runs on, -1 when off
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, sw)) continue;
        const int cpu = std::stoi(m[1]);
        const uint64_t t = std::stoull(m[2]) * 1000000000ull + std::stoull(m[3]);
        if (std::stoi(m[4]) == tid && on == cpu) {
            total_ns += t - std::min(t, since);
            on = -1;
        }
        if (std::stoi(m[5]) == tid) {
            if (on >= 0) total_ns += t - std::min(t, since);
            on = cpu;
            since = t;
        }
    }
    return static_cast<double>(total_ns) / 1e6;
}

// Sum of the folded stacks' values whose leaf satisfies pred, over all.
double leaf_share(const std::map<std::string, double>& folded, const std::function<bool(const std::string&)>& pred) {
    double all = 0, mine = 0;
    for (const auto& [stack, v] : folded) {
        all += v;
        const size_t semi = stack.rfind(';');
        if (pred(stack.substr(semi == std::string::npos ? 0 : semi + 1))) mine += v;
    }
    return all > 0 ? mine / all : 0;
}

std::map<std::string, double> folded_with_home(const std::string& file, const std::string& home, std::string* err) {
    auto r = run({"/usr/bin/env", "HOME=" + home, kiln_bin(), "analyze", file, "--folded", "-"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (err) *err = r.err;
    return parse_folded(r.out);
}

std::string hex_of(const std::string& bytes) {
    std::string out;
    char buf[3];
    for (unsigned char c : bytes) {
        std::snprintf(buf, sizeof buf, "%02x", c);
        out += buf;
    }
    return out;
}

}  // namespace

TEST(PerfDataViews, PerfSchedRecordGivesTheRunTimesAndWaitsPerfSchedLatencyGives) {
    TempDir tmp;
    const std::string file = tmp.path("sched.data");
    auto rec = run_ok({"/usr/bin/perf", "sched", "record", "-q", "-N", "-m", "16M", "-o", file, "--", workload("sched_mix_fp")});
    std::smatch hops_m;
    ASSERT_TRUE(std::regex_search(rec.out, hops_m, std::regex("hops ([0-9]+)"))) << rec.out;
    const int hops = std::stoi(hops_m[1]);

    const json sched = analyze_json(file, {"--view", "sched"});
    ASSERT_TRUE(sched.contains("threads")) << sched.dump().substr(0, 2000);
    EXPECT_FALSE(has_note(sched, "not system-wide")) << "perf sched record records every CPU: " << sched["notes"];
    const json* spinner = thread_named(sched, "spinner");
    const json* hopper = thread_named(sched, "hopper");
    ASSERT_TRUE(spinner && hopper) << sched.dump(1).substr(0, 3000);
    // Known truth: the spinner spins 400 ms of its own CPU time.
    const double spinner_ms = (*spinner)["runtime_ns"].get<double>() / 1e6;
    EXPECT_NEAR(spinner_ms, 400.0, 60.0) << spinner->dump();
    EXPECT_GE((*hopper)["migrations"].get<int>(), hops) << hopper->dump();
    // perf sched latency on the same file: the same run times, the same longest waits.
    for (const json* t : {spinner, hopper}) {
        const std::string comm = (*t)["comm"];
        const LatencyRow perf = perf_sched_latency(file, (*t)["tid"].get<int>());
        ASSERT_GE(perf.runtime_ms, 0) << "no row for " << comm << " (tid " << (*t)["tid"] << ") in perf sched latency";
        // kiln adds up the runs between switches, as perf sched timehist does: the same sum of
        // the switches perf script decodes. A run whose switch in went untold starts at the
        // thread's first event (runs_inferred): more than the runs with both switches.
        const double runtime_ms = (*t)["runtime_ns"].get<double>() / 1e6;
        const double switched_ms = switch_runtime_ms(file, (*t)["tid"].get<int>());
        const bool inferred = (*t)["runs_inferred"].get<uint64_t>() > 0;
        if (!inferred) {
            EXPECT_NEAR(runtime_ms, switched_ms, 0.001 * switched_ms + 0.01) << comm << ": " << t->dump();
        }
        EXPECT_GE(runtime_ms, switched_ms - 0.01) << comm << ": " << t->dump();
        // perf sched latency adds up sched_stat_runtime: the same, less the time a hypervisor
        // took the CPU away (steal), which a run between switches includes.
        EXPECT_GE(runtime_ms, 0.97 * perf.runtime_ms - 0.5) << comm << ": " << t->dump();
        // A wait runs from runnable to running in both; perf sched latency starts it again when
        // the waiting task is migrated (sched_migrate_task), and leaves out a wait whose switch
        // in went untold, which kiln ends at the thread's first event after it: kiln's longest
        // wait is perf's, or longer where either happened.
        const double max_wait_ms = (*t)["wait_max_ns"].get<double>() / 1e6;
        if ((*t)["migrations"].get<int>() == 0 && !inferred) {
            EXPECT_NEAR(max_wait_ms, perf.max_delay_ms, 0.1 * perf.max_delay_ms + 0.05) << comm << ": " << t->dump();
        } else {
            EXPECT_GE(max_wait_ms, 0.95 * perf.max_delay_ms - 0.05) << comm << ": " << t->dump();
        }
    }

    // The portrait: the workload's process, its CPU from the switches.
    const json portrait = analyze_json(file, {"--view", "portrait", "--comm", "sched_mix_fp"});
    bool found = false;
    for (const auto& p : portrait["processes"])
        if (p["comm"] == "sched_mix_fp") {
            found = true;
            EXPECT_EQ(p["cpu_source"], "sched") << p.dump();
            EXPECT_GT(p["switches"].get<uint64_t>(), 0u) << p.dump();
        }
    EXPECT_TRUE(found) << portrait.dump().substr(0, 2000);
    // The timeline: windows over the recording with the off-CPU series from the switches.
    auto tl = run_kiln({"analyze", file, "--view", "timeline"});
    EXPECT_EQ(tl.exit_code, 0) << tl.err;
    EXPECT_NE(tl.out.find("windows of"), std::string::npos) << tl.out;
}

TEST(PerfDataViews, PerfTraceRecordGivesTheKnownSyscallCounts) {
    TempDir tmp;
    const std::string file = tmp.path("trace.data");
    run_ok({"/usr/bin/perf", "trace", "record", "-q", "-N", "-o", file, "--", workload("sched_mix_fp")});
    ASSERT_EQ(info_json(file).value("lost", uint64_t{0}), 0u) << "records were lost: counts cannot be exact";
    const json sc = analyze_json(file, {"--view", "syscalls"});
    std::map<std::string, std::pair<uint64_t, uint64_t>> counts;
    for (const auto& p : sc["processes"])
        if (p["comm"] == "sched_mix_fp")
            for (const auto& s : p["syscalls"]) {
                counts[s["name"]].first += s["count"].get<uint64_t>();
                counts[s["name"]].second += s["errors"].get<uint64_t>();
            }
    ASSERT_FALSE(counts.empty()) << sc.dump().substr(0, 2000);
    EXPECT_EQ(counts["getppid"].first, 200u);
    EXPECT_EQ(counts["dup"].first, 100u);
    EXPECT_GE(counts["openat"].first, 300u);
    EXPECT_EQ(counts["openat"].second, 300u);
}

TEST(PerfDataViews, PerTaskSwitchesWithoutSwitchEventsAreSaidToBeIncomplete) {
    TempDir tmp;
    const std::string file = tmp.path("switch.data");
    run_ok({"/usr/bin/perf", "record", "-q", "-N", "-e", "sched:sched_switch", "-e", "sched:sched_waking", "-o", file,
            "--", workload("sched_mix_fp")});
    const json sched = analyze_json(file, {"--view", "sched"});
    EXPECT_TRUE(has_note(sched, "no switch in of a recorded thread was recorded")) << sched["notes"];
    EXPECT_TRUE(has_note(sched, "not system-wide")) << sched["notes"];
    // With --switch-events the switches in are there and the note is not.
    const std::string with = tmp.path("switch-events.data");
    run_ok({"/usr/bin/perf", "record", "-q", "-N", "--switch-events", "-e", "sched:sched_switch", "-e",
            "sched:sched_waking", "-o", with, "--", workload("sched_mix_fp")});
    const json whole = analyze_json(with, {"--view", "sched"});
    EXPECT_FALSE(has_note(whole, "no switch in of a recorded thread was recorded")) << whole["notes"];
    const json* spinner = thread_named(whole, "spinner");
    ASSERT_TRUE(spinner) << whole.dump().substr(0, 2000);
    EXPECT_NEAR((*spinner)["runtime_ns"].get<double>() / 1e6, 400.0, 60.0) << spinner->dump();
}

TEST(PerfDataViews, BinariesAndKernelSymbolsComeFromPerfsBuildIdCache) {
    TempDir tmp;
    // A binary that exists only in perf's build-id cache by the time the file is analyzed.
    const std::string binary = tmp.path("cpu_split_copy");
    std::filesystem::copy_file(workload("cpu_split_fp"), binary);
    const std::string file = tmp.path("gone.data");
    run_ok({"/usr/bin/perf", "record", "-q", "-N", "-g", "-F", "999", "-o", file, "--", binary, "0.6"});
    const std::string home = tmp.path("home");
    std::filesystem::create_directories(home);
    run_ok({"/usr/bin/env", "HOME=" + home, "/usr/bin/perf", "buildid-cache", "-a", binary});
    std::filesystem::remove(binary);
    auto is_hot = [](const std::string& leaf) { return leaf == "hot_a" || leaf == "hot_b"; };
    std::string err;
    EXPECT_GT(leaf_share(folded_with_home(file, home, &err), is_hot), 0.8) << err;
    const std::string empty_home = tmp.path("empty-home");
    std::filesystem::create_directories(empty_home);
    EXPECT_LT(leaf_share(folded_with_home(file, empty_home, &err), is_hot), 0.01);
    EXPECT_NE(err.find(empty_home + "/.debug/.build-id/"), std::string::npos) << "the places looked in are named: " << err;

    // A kernel other than the running one: the file's kernel build-id is changed, and perf's
    // cache holds kallsyms for that build-id (as `perf archive` packs and perf record keeps).
    const std::string kfile = tmp.path("kernel.data");
    run_ok({"/usr/bin/perf", "record", "-q", "-N", "-g", "-F", "999", "-o", kfile, "--",
            workload("syscall_heavy_fp"), "0.6"});
    auto running = run_ok({"/usr/bin/perf", "buildid-list", "-k"});
    const std::string running_hex = running.out.substr(0, running.out.find_first_of(" \n"));
    ASSERT_EQ(running_hex.size(), 40u) << "the running kernel's build-id: " << running.out;
    std::string raw, other_raw;
    for (size_t i = 0; i < running_hex.size(); i += 2) {
        raw += static_cast<char>(std::stoi(running_hex.substr(i, 2), nullptr, 16));
        other_raw += static_cast<char>(raw.back() ^ 0x5a);
    }
    std::string bytes = read_text(kfile);
    size_t replaced = 0;
    for (size_t at = bytes.find(raw); at != std::string::npos; at = bytes.find(raw, at + raw.size()), ++replaced)
        bytes.replace(at, raw.size(), other_raw);
    ASSERT_GE(replaced, 1u) << "the file's build-id list names the running kernel";
    const std::string moved = tmp.path("other-kernel.data");
    std::ofstream(moved, std::ios::binary) << bytes;
    auto named_kernel = [](const std::string& leaf) {
        return leaf.ends_with("_[k]") && leaf.find("[kernel]+0x") == std::string::npos;
    };
    const double on_running = leaf_share(folded_with_home(kfile, empty_home, nullptr), named_kernel);
    EXPECT_GT(on_running, 0.5) << "syscall_heavy spends most of its time in the kernel";
    EXPECT_LT(leaf_share(folded_with_home(moved, empty_home, &err), named_kernel), 0.01);
    EXPECT_NE(err.find("kernel frames are not named"), std::string::npos) << err;
    const std::string cached = home + "/.debug/[kernel.kallsyms]/" + hex_of(other_raw);
    std::filesystem::create_directories(cached);
    std::ofstream(cached + "/kallsyms") << read_text("/proc/kallsyms");
    const double from_cache = leaf_share(folded_with_home(moved, home, &err), named_kernel);
    EXPECT_NEAR(from_cache, on_running, 0.01) << err;
    EXPECT_NE(err.find("named from perf's build-id cache"), std::string::npos) << err;
}

namespace {

// The libc this test runs with (the workloads link the same one).
std::string libc_path() {
    std::istringstream maps(read_text("/proc/self/maps"));
    for (std::string line; std::getline(maps, line);) {
        const size_t slash = line.find('/');
        if (slash != std::string::npos && line.find("/libc.so.6") != std::string::npos) return line.substr(slash);
    }
    return "";
}

// perf probe events on libc's malloc (entry and return) and free in a group of this test's
// own, deleted however the test ends.
struct AllocatorProbes {
    std::string group = "kiln_t" + std::to_string(::getpid());
    bool added = false;
    AllocatorProbes() {
        const std::string libc = libc_path();
        EXPECT_FALSE(libc.empty());
        auto r = run({"/usr/bin/perf", "probe", "-q", "-x", libc, "-a", group + ":malloc=malloc %di:u64", "-a",
                      group + ":malloc=malloc%return $retval:u64", "-a", group + ":free=free %di:u64"});
        added = r.exit_code == 0;
        EXPECT_TRUE(added) << "perf probe: " << r.err;
    }
    ~AllocatorProbes() { (void)run({"/usr/bin/perf", "probe", "-q", "-d", group + ":*"}); }
};

double total(const std::map<std::string, double>& folded, const std::string& part = "") {
    double t = 0;
    for (const auto& [stack, v] : folded)
        if (part.empty() || stack.find(part) != std::string::npos) t += v;
    return t;
}

}  // namespace

TEST(PerfDataViews, PerfProbeAllocatorEventsGiveTheAllocationViews) {
    TempDir tmp;
    AllocatorProbes probes;
    ASSERT_TRUE(probes.added);
    constexpr double kLeaked = 64 * 100000.0, kChurned = 20000 * 4096.0;  // mem_mix's truth
    // -g: every call and return (a large buffer: none may be lost), frame-pointer stacks.
    const std::string fp = tmp.path("fp.data");
    run_ok({"/usr/bin/perf", "record", "-q", "-N", "-m", "8M", "-e", probes.group + ":*", "-g", "-o", fp, "--",
            workload("mem_mix_fp"), "1"});
    ASSERT_EQ(info_json(fp).value("lost", uint64_t{0}), 0u) << "records were lost: the bytes cannot be exact";
    auto inuse = run_kiln({"analyze", fp, "--view", "inuse", "--folded", "-"});
    ASSERT_EQ(inuse.exit_code, 0) << inuse.err;
    const double held = total(parse_folded(inuse.out));
    EXPECT_GE(held, kLeaked);
    EXPECT_LE(held, kLeaked + 64 * 1024) << "the leaks and at most libc's own buffers";
    EXPECT_NE(inuse.err.find("lack each call's caller"), std::string::npos) << inuse.err;
    auto alloc = run_kiln({"analyze", fp, "--view", "alloc", "--folded", "-"});
    ASSERT_EQ(alloc.exit_code, 0) << alloc.err;
    const double allocated = total(parse_folded(alloc.out));
    EXPECT_GE(allocated, kLeaked + kChurned);
    EXPECT_LE(allocated, (kLeaked + kChurned) * 1.01);

    // --call-graph dwarf: the stacks keep the allocator's caller (leak_blocks). mem_mix 0 makes
    // no churn: 64 calls and their returns, a few of libc's.
    const std::string dwarf = tmp.path("dwarf.data");
    run_ok({"/usr/bin/perf", "record", "-q", "-N", "-m", "8M", "-e", probes.group + ":*", "--call-graph", "dwarf",
            "-o", dwarf, "--", workload("mem_mix_nofp"), "0"});
    ASSERT_EQ(info_json(dwarf).value("lost", uint64_t{0}), 0u);
    auto whole = run_kiln({"analyze", dwarf, "--view", "inuse", "--folded", "-"});
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    const auto stacks = parse_folded(whole.out);
    EXPECT_GE(total(stacks), kLeaked);
    EXPECT_NEAR(total(stacks, ";leak_blocks;"), kLeaked, 0.0) << whole.out;
    EXPECT_EQ(whole.err.find("lack each call's caller"), std::string::npos) << whole.err;
}

TEST(PerfDataViews, SyscallTracepointsGiveTheMmapViewAndPageFaultsTheFaultsView) {
    TempDir tmp;
    const std::string file = tmp.path("mmap.data");
    std::vector<std::string> argv{"/usr/bin/perf", "record", "-q", "-N", "-g", "-m", "8M", "-c", "1"};
    for (const char* sc : {"mmap", "munmap", "mremap", "brk"})
        for (const char* side : {"enter", "exit"}) argv.insert(argv.end(), {"-e", std::string("syscalls:sys_") + side + "_" + sc});
    argv.insert(argv.end(), {"-e", "page-faults", "-o", file, "--", workload("mem_mix_fp"), "0"});
    run_ok(argv);
    // touch_pages maps 16 MiB (main's call: libc's mmap wrapper has no frame of its own in fp
    // stacks) and faults each of its 4096 pages in once.
    auto mmap = run_kiln({"analyze", file, "--view", "mmap", "--folded", "-"});
    ASSERT_EQ(mmap.exit_code, 0) << mmap.err;
    EXPECT_GE(total(parse_folded(mmap.out), ";main;"), 16.0 * 1024 * 1024) << mmap.out;
    auto faults = run_kiln({"analyze", file, "--view", "faults", "--folded", "-"});
    ASSERT_EQ(faults.exit_code, 0) << faults.err;
    if (info_json(file).value("lost", uint64_t{0}) == 0) {
        EXPECT_NEAR(total(parse_folded(faults.out), ";touch_pages"), 4096.0, 4096 * 0.02) << faults.out;
    } else {
        EXPECT_GT(total(parse_folded(faults.out), ";touch_pages"), 0.0) << faults.out;
    }
}

namespace {

// Milliseconds of a view's folded stacks that hold all of `parts`.
double ms_with(const std::map<std::string, double>& folded, const std::vector<std::string>& parts) {
    double ns = 0;
    for (const auto& [stack, v] : folded) {
        bool all = true;
        for (const auto& p : parts) all = all && stack.find(p) != std::string::npos;
        if (all) ns += v;
    }
    return ns / 1e6;
}

}  // namespace

// perf record of sched_switch and sched_waking with callchains (and --switch-events for the
// switches in): offcpu_mix's known blocks in the offcpu view, and the writer's stack on the
// reader's 600 ms in the wakeup view, as kiln record --off-cpu gives them.
TEST(PerfDataViews, SchedSwitchWithCallchainsGivesTheOffCpuAndWakeupViews) {
    TempDir tmp;
    const std::string file = tmp.path("offcpu.data");
    run_ok({"/usr/bin/perf", "record", "-q", "-N", "-m", "8M", "-g", "--switch-events", "-e", "sched:sched_switch",
            "-e", "sched:sched_waking", "-o", file, "--", workload("offcpu_mix_fp")});
    // Outside the start barrier, where the threads wait for each other for as long as the
    // machine takes to start them. --comm picks the thread by its name.
    auto asleep = [&](const std::string& thread) {
        auto r = run_kiln({"analyze", file, "--view", "offcpu", "--comm", thread, "--folded", "-"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        const auto folded = parse_folded(r.out);
        const double ms = ms_with(folded, {";[sleep]"}) - ms_with(folded, {";[sleep]", "pthread_barrier_wait"});
        return std::make_pair(ms, r.out);
    };
    const auto [sleeper_ms, sleeper] = asleep("sleeper");
    EXPECT_NEAR(sleeper_ms, 400.0, 60.0) << sleeper;
    const auto [reader_ms, reader] = asleep("reader");
    EXPECT_NEAR(reader_ms, 600.0, 90.0) << reader;
    auto wake = run_kiln({"analyze", file, "--view", "wakeup", "--comm", "reader", "--folded", "-"});
    ASSERT_EQ(wake.exit_code, 0) << wake.err;
    EXPECT_NEAR(ms_with(parse_folded(wake.out), {";[sleep];--;", "write", ";writer"}), 600.0, 90.0) << wake.out;
}
