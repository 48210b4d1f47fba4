// Runs the kiln binary and the workloads for the end-to-end recording tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "tests/temp_dir.h"
#include "tests/thread_count.h"

namespace kiln::test {

struct RunResult {
    int exit_code = -1;   // -1 when killed by a signal
    int signal = 0;
    std::string out;
    std::string err;
};

// Runs argv to completion, capturing stdout and stderr; as another user when uid >= 0.
RunResult run(const std::vector<std::string>& argv, int uid = -1);

// Starts argv in the background in its own process group; returns its pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& stderr_path = "/dev/null");
// Waits for a spawned process; returns the raw wait status. With cpu_s, also the CPU seconds
// (user + system, all its threads) the process used in its life.
int wait_for(pid_t pid, double* cpu_s = nullptr);

// run() of a perf command (argv[0] /usr/bin/perf) that is retried, up to 6 runs in all, when
// perf 6.1 aborts in its build-id code ("assertion failed at util/build-id.c", then a stack
// smashing abort) while it writes the file's build-id table: it does so now and then on a
// busy machine, whatever kiln does (three aborts in a row were seen in one CI run).
RunResult run_perf(const std::vector<std::string>& argv);

// Sets an environment variable for what this scope starts, and puts the old value back.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) ::setenv(name_, old_->c_str(), 1);
        else ::unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};


std::string kiln_bin();
// run() of the kiln binary with these arguments.
RunResult run_kiln(std::vector<std::string> args);
std::string workload(const std::string& name);  // e.g. "cpu_split_fp"


// `kiln info --json FILE`, parsed; fails the test when it cannot run.
nlohmann::json info_json(const std::string& recording);
// `kiln analyze FILE --json - EXTRA...`, parsed (discarded when it is not JSON); fails the
// test when kiln exits non-zero.
nlohmann::json analyze_json(const std::string& file, const std::vector<std::string>& extra);

// Sample count of one process in an info JSON (0 when absent).
uint64_t samples_of_pid(const nlohmann::json& info, int pid);

std::string read_text(const std::string& path);

// Polls cond every 10 ms until it holds (true) or timeout_s have passed (false): tests wait
// for conditions, never for a time that stands in for one.
bool wait_until(const std::function<bool()>& cond, double timeout_s = 30);

// For a `kiln record -o out` spawned in its own process group: waits (bounded) until `kiln info`
// of the file being written shows `samples` samples, then kills the group with SIGKILL and
// reaps kiln. Returns the samples on disk before the kill; the test fails when they never came
// (err_file: kiln's stderr, shown then).
uint64_t kill_when_on_disk(pid_t kiln, const std::string& out, uint64_t samples, const std::string& err_file);

// Folded stacks ("frame;...;leaf VALUE" lines) → value per stack, repeated stacks summed.
std::map<std::string, double> parse_folded(const std::string& text);

// CPU seconds (user + system) a process, or one of its threads, has used so far.
double cpu_seconds_of(int pid, int tid = 0);

// The CPU time a target used while a recording of it ran: its CPU use over the whole run,
// scaled to the recording's own duration (the run also spends time starting up).
struct CpuWindow {
    int pid = 0, tid = 0;
    double cpu_before = 0;
    std::chrono::steady_clock::time_point wall_before;
    CpuWindow(int p, int t = 0);
    double cpu_during(double recording_seconds) const;
};

}  // namespace kiln::test
