// read_perf_map(): DIR/perf-PID.map, the JIT symbol map runtimes (JVM agents, V8, .NET,
// LuaJIT, ...) write for perf. /tmp is writable by everyone and the recorder may run as
// root, so the file is opened without following symlinks, must be a regular file, and must
// belong to root, to us or to the process's user.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "formats/kiln_format.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::recorder {

namespace {

// The map is stored in one chunk: keep it below the chunk limit, with room to spare.
constexpr size_t kMaxPerfMapBytes = format::kMaxChunkRawSize - (1u << 20);

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

private:
    int fd_;
};

bool trusted_owner(const struct stat& st, int pid) {
    if (st.st_uid == 0 || st.st_uid == ::geteuid()) return true;
    struct stat proc;
    // The process may have exited already (maps are read at the end of a recording): then
    // its user is unknown and the file is taken on the checks above alone.
    if (::stat(("/proc/" + std::to_string(pid)).c_str(), &proc) != 0) return true;
    return proc.st_uid == st.st_uid;
}

}  // namespace

std::optional<format::PerfMapFile> read_perf_map(int pid, const std::string& dir) {
    if (pid <= 0) return std::nullopt;
    const std::string path = dir + "/perf-" + std::to_string(pid) + ".map";
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (fd.get() < 0) return std::nullopt;
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !trusted_owner(st, pid)) return std::nullopt;

    format::PerfMapFile out;
    out.pid = pid;
    char buf[65536];
    while (out.contents.size() < kMaxPerfMapBytes) {
        size_t want = std::min(sizeof buf, kMaxPerfMapBytes - out.contents.size());
        ssize_t n = ::read(fd.get(), buf, want);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.contents.append(buf, static_cast<size_t>(n));
    }
    // The runtime may be writing as we read: keep whole lines only.
    size_t last_newline = out.contents.rfind('\n');
    out.contents.resize(last_newline == std::string::npos ? 0 : last_newline + 1);
    if (out.contents.empty()) return std::nullopt;
    return out;
}

}  // namespace kiln::recorder
