// Threads of this process, for tests that a class's worker thread is gone after it is destroyed.
#pragma once

#include <chrono>
#include <filesystem>
#include <thread>

namespace kiln::test {

inline size_t threads_of_this_process() {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

// Waits up to 10 s for the count to be n (a joined thread leaves /proc/self/task at once, but
// a thread being started may not be there yet); returns the last count seen.
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
