// snapshot_process() and friends: /proc/PID/{stat,exe,cmdline,task,maps} into
// format::ProcessEntry. A process can exit at any point while it is read; that is told
// apart from other failures so that whole-system snapshots skip it silently.
#include <sys/mman.h>
#include <time.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "recorder/sideband/build_id_cache.h"
#include "recorder/sideband/proc_files.h"
#include "recorder/sideband/proc_maps.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::recorder {

namespace {

using sideband::is_gone;
using sideband::read_error;
using sideband::read_file;

constexpr size_t kMaxCommBytes = 4096;
constexpr size_t kMaxStatBytes = 64 << 10;
constexpr size_t kMaxCmdlineBytes = 1 << 20;
constexpr size_t kMaxMapsBytes = 128 << 20;
constexpr std::string_view kDeletedSuffix = " (deleted)";

struct ReadFailure {
    Error error;
    bool gone = false;  // the process exited: not worth reporting in a system-wide snapshot
};

// A process read, or why not.
struct ProcessRead {
    format::ProcessEntry entry;
    std::optional<ReadFailure> failure;
};

ReadFailure failure(int pid, const std::string& path, int err) {
    if (is_gone(err))
        return {make_error("process snapshot: pid " + std::to_string(pid) + ": no such process (" +
                           read_error(path, err) + ")"),
                true};
    std::string msg = "process snapshot: pid " + std::to_string(pid) + ": " + read_error(path, err);
    if (err == EACCES || err == EPERM)
        msg += " (needs ptrace access to the process: run as its user, or as root with CAP_SYS_PTRACE)";
    return {make_error(std::move(msg)), false};
}

uint64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// The name and parent pid from /proc/PID/stat: "pid (comm) state ppid ...". The comm (the
// same as /proc/PID/comm's) runs from the first '(' to the last ')', as it may itself hold
// ')' and spaces.
struct StatFields {
    std::string_view comm;
    int32_t ppid = 0;
};
StatFields parse_stat(std::string_view stat) {
    StatFields f;
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) return f;
    f.comm = stat.substr(open + 1, close - open - 1);
    std::string_view rest = stat.substr(close + 1);  // " S 1 ..."
    size_t state = rest.find_first_not_of(' ');
    if (state == std::string_view::npos) return f;
    size_t num = rest.find_first_not_of(' ', state + 1);
    if (num == std::string_view::npos) return f;
    std::from_chars(rest.data() + num, rest.data() + rest.size(), f.ppid);
    return f;
}

std::vector<std::string> split_cmdline(std::string_view text) {
    std::vector<std::string> args;
    if (!text.empty() && text.back() == '\0') text.remove_suffix(1);
    if (text.empty()) return args;
    for (;;) {
        size_t nul = text.find('\0');
        args.emplace_back(text.substr(0, nul));
        if (nul == std::string_view::npos) break;
        text.remove_prefix(nul + 1);
    }
    return args;
}

std::string strip_deleted(std::string path) {
    if (path.size() > kDeletedSuffix.size() && std::string_view(path).ends_with(kDeletedSuffix))
        path.resize(path.size() - kDeletedSuffix.size());
    return path;
}

ProcessRead read_process(int pid, sideband::BuildIdCache& cache) {
    ProcessRead out;
    format::ProcessEntry& p = out.entry;
    p.pid = pid;
    const std::string dir = "/proc/" + std::to_string(pid);
    std::string text;

    if (pid <= 0) {
        out.failure =
            ReadFailure{make_error("process snapshot: pid " + std::to_string(pid) + ": not a valid pid"), false};
        return out;
    }
    // The name comes from stat too: a system-wide snapshot reads every process, most of them
    // kernel threads, and each file read is three system calls.
    if (int err = read_file(dir + "/stat", text, kMaxStatBytes)) {
        out.failure = failure(pid, dir + "/stat", err);
        return out;
    }
    const StatFields stat = parse_stat(text);
    p.comm = std::string(stat.comm);
    p.ppid = stat.ppid;

    // Unreadable for kernel threads, zombies and (without ptrace access) other users.
    if (sideband::read_link(dir + "/exe", text) == 0) p.exe = strip_deleted(std::move(text));

    if (int err = read_file(dir + "/cmdline", text, kMaxCmdlineBytes)) {
        if (is_gone(err)) {
            out.failure = failure(pid, dir + "/cmdline", err);
            return out;
        }
    } else {
        p.cmdline = split_cmdline(text);
    }

    std::vector<int> tids;
    if (int err = sideband::list_numeric_entries(dir + "/task", tids)) {
        out.failure = failure(pid, dir + "/task", err);
        return out;
    }
    p.tids.reserve(tids.size());
    p.thread_comms.reserve(tids.size());
    for (int tid : tids) {
        if (tid != pid) {  // the main thread's name is the process's
            if (read_file(dir + "/task/" + std::to_string(tid) + "/comm", text, kMaxCommBytes) != 0)
                continue;  // the thread exited meanwhile
        }
        p.tids.push_back(tid);
        p.thread_comms.emplace_back(tid == pid ? std::string_view(p.comm) : sideband::trim_newline(text));
    }

    if (int err = read_file(dir + "/maps", text, kMaxMapsBytes)) {
        out.failure = failure(pid, dir + "/maps", err);
        return out;
    }
    auto maps = sideband::parse_maps(text);
    if (!maps) {
        out.failure = ReadFailure{
            make_error("process snapshot: pid " + std::to_string(pid) + ": " + dir + "/maps: " + maps.error().message),
            false};
        return out;
    }
    // Only code is looked up in a snapshot (readers place samples in executable mappings): the
    // data, heap, stack and anonymous mappings were some 60% of its bytes.
    std::erase_if(*maps, [](const sideband::ParsedMapping& m) { return !(m.entry.prot & PROT_EXEC); });
    sideband::fill_build_ids(pid, *maps, cache);
    p.maps.reserve(maps->size());
    for (auto& m : *maps) p.maps.push_back(std::move(m.entry));
    return out;
}

}  // namespace

Result<format::ProcessEntry> snapshot_process(int pid) {
    sideband::BuildIdCache cache;
    ProcessRead r = read_process(pid, cache);
    if (r.failure) return r.failure->error;
    return std::move(r.entry);
}

Result<format::ProcessSnapshot> snapshot_processes(const std::vector<int>& pids) {
    format::ProcessSnapshot snap;
    snap.time_ns = monotonic_ns();
    sideband::BuildIdCache cache;
    snap.processes.reserve(pids.size());
    for (int pid : pids) {
        ProcessRead r = read_process(pid, cache);
        if (r.failure) {
            if (r.failure->gone) continue;
            return r.failure->error;
        }
        snap.processes.push_back(std::move(r.entry));
    }
    return snap;
}

Result<format::ProcessSnapshot> snapshot_all_processes(std::vector<std::string>* skipped) {
    format::ProcessSnapshot snap;
    snap.time_ns = monotonic_ns();
    std::vector<int> pids;
    if (int err = sideband::list_numeric_entries("/proc", pids))
        return make_error("process snapshot: " + read_error("/proc", err));
    sideband::BuildIdCache cache;
    snap.processes.reserve(pids.size());
    for (int pid : pids) {
        ProcessRead r = read_process(pid, cache);
        if (r.failure) {
            if (!r.failure->gone && skipped) skipped->push_back(r.failure->error.message);
            continue;
        }
        snap.processes.push_back(std::move(r.entry));
    }
    return snap;
}

}  // namespace kiln::recorder
