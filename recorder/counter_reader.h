// Reads the counters of one COUNTERS snapshot from /proc. The machine-wide files stay open
// and are re-read with pread(fd, buf, size, 0) into one buffer (procfs regenerates them at
// offset 0), so a tick allocates nothing for them; /proc/PID files are opened per read, as
// processes come and go. A process that vanished is skipped without a word.
#pragma once

#include <dirent.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "formats/counters.h"
#include "recorder/counter_parse.h"

namespace kiln::recorder {

class CounterReader {
public:
    explicit CounterReader(std::string proc_root = "/proc");
    ~CounterReader();
    CounterReader(const CounterReader&) = delete;
    CounterReader& operator=(const CounterReader&) = delete;

    // loadavg, stat and the three pressure files (present = false where PSI is missing).
    void read_machine(format::MachineCounters& out);
    // One process; false when it is gone (or, with skip_kernel_threads, a kernel thread).
    bool read_process(int pid, format::ProcessCounters& out, bool skip_kernel_threads = false);
    // Every user-space process in /proc, appended to out. A process whose CPU time did not move
    // since the last call (same start time, same utime+stime) has not run a clock tick's worth:
    // its status and io are not read again, its switches and I/O are the last ones read (they
    // are read again once its CPU time moves). Most processes of a machine sleep: this reads
    // one file of each instead of three.
    void read_all_processes(std::vector<format::ProcessCounters>& out);
    // Status and io reads that read_all_processes left out so far.
    uint64_t reads_skipped() const { return reads_skipped_; }

private:
    // The whole file at fd into buf_ (grown, rarely, when a file outgrows it); "" on failure.
    std::string_view pread_all(int fd);
    std::string_view read_path(const char* path);
    // stat, then status and io unless cached says they cannot have changed.
    bool read_process_cached(int pid, format::ProcessCounters& out);

    struct Seen {
        uint64_t start_ticks = 0;
        format::ProcessCounters counters;
    };

    std::string root_;
    int loadavg_fd_ = -1, stat_fd_ = -1;
    int pressure_fd_[3] = {-1, -1, -1};  // cpu, memory, io
    DIR* proc_dir_ = nullptr;
    std::vector<char> buf_;
    ProcStat stat_;  // its cpus vector keeps its capacity between ticks
    long page_size_;
    std::unordered_map<int32_t, Seen> seen_, seen_next_;  // by pid: the last scan's, this scan's
    uint64_t reads_skipped_ = 0;
};

}  // namespace kiln::recorder
