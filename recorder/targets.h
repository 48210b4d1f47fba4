// What to record: CPU lists and the threads of target processes, read from /proc and /sys.
#pragma once

#include <string>
#include <vector>

#include "formats/result.h"

namespace kiln::recorder {

std::vector<int> online_cpus();
// "0-3,6" -> {0,1,2,3,6}; each CPU must be online.
Result<std::vector<int>> parse_cpu_list(const std::string& spec);
// Comma-separated pids/tids ("12,34").
Result<std::vector<int>> parse_id_list(const std::string& spec, const char* what);
// Threads of a process (/proc/PID/task), error naming the pid when it does not exist.
Result<std::vector<int>> threads_of(int pid);
bool process_alive(int pid);
// The process (thread group) a thread belongs to.
Result<int> tgid_of(int tid);

}  // namespace kiln::recorder
