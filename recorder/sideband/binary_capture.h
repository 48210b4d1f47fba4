// Binaries that symbolization will need but that this machine's paths do not show: files of
// processes in another mount namespace (a container's) and deleted files. While their process
// lives, they are copied into kiln's build-id cache (formats/cache_dirs.h), as perf record fills
// ~/.debug, from /proc/PID/map_files/START-END (the mapped file itself, whatever namespace it
// is in), else /proc/PID/root/PATH. A copy is kept only when its build-id is the recorded one.
// offer() only queues (it runs on the drain thread); a worker thread reads and copies.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kiln::recorder::sideband {

class BinaryCapture {
public:
    struct Stats {
        size_t copied = 0;       // files now in the cache
        uint64_t bytes = 0;      // their size
        std::vector<std::string> failures;  // "pid 12 /app/bin: ...", one per file that could not be kept
    };

    // A mapping offered: queued for copying, and kept for --archive.
    struct Offered {
        int pid;
        uint64_t start, end;
        std::string path;
        std::vector<uint8_t> build_id;
    };

    // cache_dir "" disables copying. Files larger than max_file_bytes are not copied (a failure
    // says so). keep_offered: remember every file offered (offered()), for --archive.
    explicit BinaryCapture(std::string cache_dir, bool keep_offered = false,
                           uint64_t max_file_bytes = uint64_t{1} << 30);
    ~BinaryCapture();
    BinaryCapture(const BinaryCapture&) = delete;
    BinaryCapture& operator=(const BinaryCapture&) = delete;

    // A file-backed executable mapping [start, end) of pid with its build-id. Each build-id is
    // looked at once.
    void offer(int pid, uint64_t start, uint64_t end, std::string_view path, std::span<const uint8_t> build_id);

    // Copies what is still queued, stops the worker and says what was done.
    Stats finish();

    const std::string& cache_dir() const { return dir_; }
    // Every file offered, one per build-id (with keep_offered).
    std::vector<Offered> offered();

private:
    void run();
    void capture(const Offered& item);

    std::string dir_;
    bool keep_offered_;
    uint64_t max_bytes_;
    std::vector<Offered> kept_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Offered> queue_;
    std::set<std::string> offered_;  // build-ids (hex) already queued or done
    bool stopping_ = false;
    Stats stats_;  // written by the worker, read after it ends
    std::thread worker_;
};

}  // namespace kiln::recorder::sideband
