// Threads of a process (entries of /proc/PID/task; 0 when it is gone): for tests that a
// class's worker thread is gone after it is destroyed, or that a workload's thread started.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace kiln::test {

inline size_t threads_of(const std::string& pid = "self") {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/" + pid + "/task", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

inline size_t threads_of_this_process() { return threads_of("self"); }

// Waits up to 10 s for this process's thread count to be n (a thread being started may not be
// in /proc yet); returns the last count seen.
inline size_t wait_for_thread_count(size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    size_t now = threads_of_this_process();
    while (now != n && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        now = threads_of_this_process();
    }
    return now;
}

}  // namespace kiln::test
