#include "recorder/sideband/proc_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace kiln::recorder::sideband {

int read_file(const std::string& path, std::string& out, size_t max_bytes, bool* truncated) {
    out.clear();
    if (truncated) *truncated = false;
    // O_NONBLOCK: a FIFO put where a file was expected must not hang the recorder.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return errno;
    int err = 0;
    char buf[16384];
    while (out.size() < max_bytes) {
        size_t want = std::min(sizeof buf, max_bytes - out.size());
        ssize_t n = ::read(fd, buf, want);
        if (n < 0) {
            if (errno == EINTR) continue;
            err = errno;
            break;
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    if (err == 0 && out.size() >= max_bytes && truncated) {
        char probe;
        ssize_t n;
        do n = ::read(fd, &probe, 1);
        while (n < 0 && errno == EINTR);
        *truncated = n > 0;
    }
    ::close(fd);
    return err;
}

int read_link(const std::string& path, std::string& out) {
    out.clear();
    std::string buf(256, '\0');
    for (;;) {
        ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
        if (n < 0) return errno;
        if (static_cast<size_t>(n) < buf.size()) {
            buf.resize(static_cast<size_t>(n));
            out = std::move(buf);
            return 0;
        }
        if (buf.size() >= (1u << 20)) return ENAMETOOLONG;
        buf.resize(buf.size() * 2);
    }
}

int list_numeric_entries(const std::string& dir, std::vector<int>& out) {
    out.clear();
    DIR* d = ::opendir(dir.c_str());
    if (!d) return errno;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        int value = 0;
        auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
        if (ec == std::errc() && end == name.data() + name.size() && value > 0) out.push_back(value);
    }
    int err = errno;  // readdir sets errno only on failure
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return err;
}

Status for_each_line(const std::string& path, const std::function<bool(std::string_view)>& fn) {
    FILE* f = std::fopen(path.c_str(), "re");
    if (!f) return make_error(read_error(path, errno));
    char* line = nullptr;
    size_t cap = 0;
    ssize_t n;
    errno = 0;
    while ((n = ::getline(&line, &cap, f)) >= 0) {
        std::string_view view(line, static_cast<size_t>(n));
        if (!fn(trim_newline(view))) break;
        errno = 0;
    }
    int err = (n < 0 && std::ferror(f)) ? (errno != 0 ? errno : EIO) : 0;
    std::free(line);
    std::fclose(f);
    if (err != 0) return make_error(read_error(path, err));
    return Status::success();
}

std::string read_error(const std::string& path, int err) {
    return "cannot read " + path + ": " + std::generic_category().message(err);
}

std::string_view trim_newline(std::string_view s) {
    if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
    return s;
}

}  // namespace kiln::recorder::sideband
