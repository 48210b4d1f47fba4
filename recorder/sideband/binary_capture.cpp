#include "recorder/sideband/binary_capture.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "formats/cache_dirs.h"
#include "formats/result.h"
#include "formats/sideband.h"
#include "recorder/fd_guard.h"
#include "recorder/sideband/proc_binary_paths.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::recorder::sideband {

namespace {

// src's bytes into a new file dst (0600); an error names what failed.
Status copy_file(const std::string& src, const std::string& dst, uint64_t max_bytes, uint64_t& copied) {
    FdGuard in{::open(src.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) return make_error(std::string("cannot open ") + src + ": " + std::strerror(errno));
    struct stat st{};
    if (::fstat(in.fd, &st) != 0 || !S_ISREG(st.st_mode)) return make_error(src + " is not a regular file");
    if (static_cast<uint64_t>(st.st_size) > max_bytes)
        return make_error(src + " is " + std::to_string(st.st_size >> 20) + " MiB, more than the " +
                          std::to_string(max_bytes >> 20) + " MiB kiln copies");
    FdGuard out{::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
    if (out.fd < 0) return make_error(std::string("cannot create ") + dst + ": " + std::strerror(errno));
    off_t offset = 0;
    while (offset < st.st_size) {
        const ssize_t n = ::sendfile(out.fd, in.fd, &offset, static_cast<size_t>(st.st_size - offset));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(std::string("cannot copy ") + src + " to " + dst + ": " + std::strerror(errno));
        if (n == 0) break;  // the file shrank meanwhile: the build-id check decides
    }
    copied = static_cast<uint64_t>(offset);
    return {};
}

}  // namespace

BinaryCapture::BinaryCapture(std::string cache_dir, bool keep_offered, uint64_t max_file_bytes)
    : dir_(std::move(cache_dir)), keep_offered_(keep_offered), max_bytes_(max_file_bytes) {
    if (!dir_.empty()) worker_ = std::thread([this] { run(); });
}

BinaryCapture::~BinaryCapture() { (void)finish(); }

void BinaryCapture::offer(int pid, uint64_t start, uint64_t end, std::string_view path,
                          std::span<const uint8_t> build_id) {
    if ((dir_.empty() && !keep_offered_) || build_id.empty() || path.empty() || path[0] != '/') return;
    std::string hex = format::build_id_hex(build_id);
    std::lock_guard lock(mu_);
    if (stopping_ || !offered_.insert(hex).second) return;
    Offered mapping{pid, start, end, std::string(path), {build_id.begin(), build_id.end()}};
    if (keep_offered_) kept_.push_back(mapping);
    if (dir_.empty()) return;
    queue_.push_back(std::move(mapping));
    cv_.notify_one();
}

std::vector<BinaryCapture::Offered> BinaryCapture::offered() {
    std::lock_guard lock(mu_);
    return kept_;
}

BinaryCapture::Stats BinaryCapture::finish() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    if (worker_.joinable()) worker_.join();
    return stats_;
}

void BinaryCapture::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left
        Offered item = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        capture(item);
        lock.lock();
    }
}

void BinaryCapture::capture(const Offered& item) {
    const std::string hex = format::build_id_hex(item.build_id);
    const std::string target = format::build_id_cache_file(dir_, hex);
    std::error_code ec;
    if (std::filesystem::exists(target, ec)) return;  // an earlier recording kept it
    // The path shows the same file here: the analyzer finds it there.
    if (auto host = read_build_id(item.path); host && *host == item.build_id) return;

    const std::filesystem::path dir = std::filesystem::path(target).parent_path();
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        stats_.failures.push_back("cannot create " + dir.string() + ": " + ec.message());
        return;
    }
    for (auto d = dir; d.string().size() > dir_.size(); d = d.parent_path())
        std::filesystem::permissions(d, std::filesystem::perms::owner_all, ec);
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, ec);

    const std::string tmp = target + ".tmp." + std::to_string(::getpid());
    std::string why;
    auto add_reason = [&](const std::string& reason) {
        if (!why.empty()) why += "; ";
        why += reason;
    };
    for (const std::string& src : proc_binary_paths(item.pid, item.start, item.end, item.path)) {
        ::unlink(tmp.c_str());
        uint64_t bytes = 0;
        if (auto st = copy_file(src, tmp, max_bytes_, bytes); !st) {
            add_reason(st.error().message);
            continue;
        }
        auto id = read_build_id(tmp);
        if (!id || *id != item.build_id) {
            add_reason(src + " has another build-id");
            continue;
        }
        if (::rename(tmp.c_str(), target.c_str()) != 0) {
            add_reason("cannot rename to " + target + ": " + std::strerror(errno));
            break;
        }
        ++stats_.copied;
        stats_.bytes += bytes;
        return;
    }
    ::unlink(tmp.c_str());
    stats_.failures.push_back("pid " + std::to_string(item.pid) + " " + item.path + " (build-id " + hex +
                              "): " + why);
}

}  // namespace kiln::recorder::sideband
