#include "recorder/counter_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace kiln::recorder {

namespace {
int open_ro(const std::string& path) { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }
constexpr size_t kInitialBuffer = 64 << 10;   // /proc/stat of a few hundred CPUs
constexpr size_t kMaxBuffer = 16 << 20;       // never chase a file past this
}  // namespace

CounterReader::CounterReader(std::string proc_root)
    : root_(std::move(proc_root)), buf_(kInitialBuffer), page_size_(::sysconf(_SC_PAGESIZE)) {
    loadavg_fd_ = open_ro(root_ + "/loadavg");
    stat_fd_ = open_ro(root_ + "/stat");
    const char* psi[] = {"cpu", "memory", "io"};
    for (int i = 0; i < 3; ++i) pressure_fd_[i] = open_ro(root_ + "/pressure/" + psi[i]);
    proc_dir_ = ::opendir(root_.c_str());
}

CounterReader::~CounterReader() {
    for (int fd : {loadavg_fd_, stat_fd_, pressure_fd_[0], pressure_fd_[1], pressure_fd_[2]})
        if (fd >= 0) ::close(fd);
    if (proc_dir_) ::closedir(proc_dir_);
}

std::string_view CounterReader::pread_all(int fd) {
    if (fd < 0) return {};
    for (;;) {
        size_t used = 0;
        while (used < buf_.size()) {
            const ssize_t n = ::pread(fd, buf_.data() + used, buf_.size() - used, static_cast<off_t>(used));
            if (n < 0) return {};
            if (n == 0) return {buf_.data(), used};
            used += static_cast<size_t>(n);
        }
        if (buf_.size() >= kMaxBuffer) return {buf_.data(), used};
        buf_.resize(buf_.size() * 2);  // the file filled the buffer: read it again, whole
    }
}

std::string_view CounterReader::read_path(const char* path) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    const std::string_view text = pread_all(fd);
    ::close(fd);
    return text;
}

void CounterReader::read_machine(format::MachineCounters& out) {
    if (auto l = parse_loadavg(pread_all(loadavg_fd_))) {
        out.load1_milli = l->load1_milli;
        out.load5_milli = l->load5_milli;
        out.load15_milli = l->load15_milli;
        out.loadavg_running = l->running;
        out.loadavg_threads = l->threads;
    }
    if (parse_proc_stat(pread_all(stat_fd_), stat_)) {
        out.procs_running = stat_.procs_running;
        out.procs_blocked = stat_.procs_blocked;
        out.cpus.assign(stat_.cpus.begin(), stat_.cpus.end());
    }
    format::Pressure* psi[] = {&out.cpu, &out.memory, &out.io};
    for (int i = 0; i < 3; ++i) {
        auto p = parse_pressure(pread_all(pressure_fd_[i]));
        *psi[i] = p ? *p : format::Pressure{};
    }
}

bool CounterReader::read_process(int pid, format::ProcessCounters& out, bool skip_kernel_threads) {
    char path[64];
    const int dir_len = std::snprintf(path, sizeof path, "%s/%d/", root_.c_str(), pid);
    if (dir_len <= 0 || static_cast<size_t>(dir_len) + 8 > sizeof path) return false;
    auto file = [&](const char* name) {
        std::snprintf(path + dir_len, sizeof path - static_cast<size_t>(dir_len), "%s", name);
        return read_path(path);
    };
    auto st = parse_pid_stat(file("stat"));
    if (!st) return false;  // gone (or unreadable): skipped
    if (skip_kernel_threads && st->kernel_thread()) return false;
    out = format::ProcessCounters{};
    out.pid = pid;
    out.cpu_ticks = st->utime + st->stime;
    out.rss_bytes = st->rss_pages * static_cast<uint64_t>(page_size_);
    auto status = parse_pid_status(file("status"));
    if (!status) return false;  // exited between the two reads
    out.voluntary_switches = status->voluntary_switches;
    out.involuntary_switches = status->involuntary_switches;
    // /proc/PID/io needs ptrace access (root or the same user); without it has_io stays false.
    if (auto io = parse_pid_io(file("io"))) {
        out.has_io = true;
        out.read_bytes = io->read_bytes;
        out.write_bytes = io->write_bytes;
    }
    return true;
}

bool CounterReader::read_process_cached(int pid, format::ProcessCounters& out) {
    char path[64];
    const int dir_len = std::snprintf(path, sizeof path, "%s/%d/", root_.c_str(), pid);
    if (dir_len <= 0 || static_cast<size_t>(dir_len) + 8 > sizeof path) return false;
    std::snprintf(path + dir_len, sizeof path - static_cast<size_t>(dir_len), "stat");
    auto st = parse_pid_stat(read_path(path));
    if (!st || st->kernel_thread()) return false;
    auto last = seen_.find(pid);
    if (last == seen_.end() || last->second.start_ticks != st->start_ticks ||
        last->second.counters.cpu_ticks != st->utime + st->stime) {
        if (!read_process(pid, out, /*skip_kernel_threads=*/true)) return false;
    } else {
        out = last->second.counters;  // not run since: the same switches and I/O
        out.rss_bytes = st->rss_pages * static_cast<uint64_t>(page_size_);
        reads_skipped_ += 2;
    }
    seen_next_[pid] = Seen{st->start_ticks, out};
    return true;
}

void CounterReader::read_all_processes(std::vector<format::ProcessCounters>& out) {
    if (!proc_dir_) return;
    ::rewinddir(proc_dir_);
    seen_next_.clear();
    while (const dirent* e = ::readdir(proc_dir_)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        format::ProcessCounters p;
        // Kernel threads are told by PF_KTHREAD in /proc/PID/stat, read anyway for the CPU
        // time: an empty cmdline would also drop zombies and processes that cleared argv.
        if (read_process_cached(static_cast<int>(pid), p)) out.push_back(p);
    }
    seen_.swap(seen_next_);  // processes gone since drop out
}

}  // namespace kiln::recorder
