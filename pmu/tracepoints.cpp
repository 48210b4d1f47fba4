#include "pmu/tracepoints.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>

#include "pmu/event_resolver.h"
#include "pmu/suggest.h"

namespace kiln::pmu {

namespace {

constexpr const char* kTracingDir = "/sys/kernel/tracing";
constexpr const char* kDebugTracingDir = "/sys/kernel/debug/tracing";

// 0 when path is a directory, else an errno (ENOTDIR when it is something else).
int dir_status(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

bool is_dir(const std::string& path) { return dir_status(path) == 0; }

std::vector<std::string> subdirs(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return out;
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        const bool dir_entry = e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && is_dir(dir + "/" + e->d_name));
        if (dir_entry) out.emplace_back(e->d_name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

// A subsystem or event name is one path component of tracefs: never "..", never a '/'.
bool valid_component(std::string_view s) {
    return !s.empty() && s.front() != '.' && s.find('/') == std::string_view::npos &&
           s.find('\0') == std::string_view::npos;
}

Error with_kiln_list(const std::string& msg) {
    return make_error(msg + (msg.back() == '?' ? " " : ". ") + "Run `kiln list` to see the events available here.");
}

std::string joined(const std::vector<std::string>& names, std::string_view prefix) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : " ") + std::string(prefix) + names[i];
    return out;
}

}  // namespace

Result<std::string> tracefs_root() {
    static std::mutex mu;
    std::lock_guard lock(mu);
    const std::string events = std::string(kTracingDir) + "/events";
    int err = dir_status(events);
    if (err == 0) return std::string(kTracingDir);
    if (err == EACCES)
        return make_error("cannot read " + events + " (permission denied): tracepoints need root, or read access to "
                          "tracefs (mode of " + kTracingDir + ")");
    // Older setups only have tracefs under debugfs (the kernel automounts it there).
    if (is_dir(std::string(kDebugTracingDir) + "/events")) return std::string(kDebugTracingDir);
    // Nothing mounted: mount tracefs where the kernel expects it.
    if (::mount("nodev", kTracingDir, "tracefs", 0, nullptr) != 0) {
        err = errno;
        return make_error(std::string("tracefs is not mounted and mounting it at ") + kTracingDir + " failed (" +
                          std::strerror(err) + "); run `mount -t tracefs nodev " + kTracingDir + "` as root");
    }
    if (!is_dir(events)) return make_error("mounted tracefs at " + std::string(kTracingDir) + " but it has no events/");
    return std::string(kTracingDir);
}

Result<uint64_t> tracepoint_id(std::string_view subsystem, std::string_view name) {
    const std::string sub(subsystem), ev(name);
    const std::string spec = sub + ":" + ev;
    if (!valid_component(sub) || !valid_component(ev))
        return make_error("bad tracepoint '" + spec + "': expected SUBSYSTEM:NAME, e.g. sched:sched_switch");
    auto root = tracefs_root();
    if (!root) return make_error("cannot resolve tracepoint '" + spec + "': " + root.error().message);
    const std::string dir = *root + "/events/" + sub;
    if (!is_dir(dir)) {
        auto close = closest_names(sub, tracepoint_subsystem_names());
        std::string msg = "unknown tracepoint '" + spec + "': no subsystem directory " + dir;
        if (!close.empty()) msg += "; did you mean subsystem" + joined(close, "") + "?";
        return with_kiln_list(msg);
    }
    const std::string path = dir + "/" + ev + "/id";
    if (!is_dir(dir + "/" + ev)) {
        auto close = closest_names(ev, tracepoints_of(sub));
        std::string msg = "unknown tracepoint '" + spec + "' (no " + path + ")";
        if (!close.empty()) msg += "; did you mean" + joined(close, sub + ":") + "?";
        return with_kiln_list(msg);
    }
    std::ifstream f(path);
    uint64_t id = 0;
    if (!f) {
        const int err = errno;
        return make_error("cannot read tracepoint id " + path + " (" + std::strerror(err) + "); run as root");
    }
    if (!(f >> id)) return make_error("tracepoint id file " + path + " does not hold a number");
    return id;
}

Result<std::string> tracepoint_format_text(std::string_view subsystem, std::string_view name) {
    const std::string spec = std::string(subsystem) + ":" + std::string(name);
    if (!valid_component(subsystem) || !valid_component(name)) return make_error("bad tracepoint '" + spec + "'");
    auto root = tracefs_root();
    if (!root) return make_error("cannot read the format of tracepoint '" + spec + "': " + root.error().message);
    const std::string path = *root + "/events/" + std::string(subsystem) + "/" + std::string(name) + "/format";
    std::ifstream f(path);
    if (!f) {
        const int err = errno;
        return make_error("cannot read tracepoint format " + path + " (" + std::strerror(err) + "); run as root");
    }
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (text.empty()) return make_error("tracepoint format " + path + " is empty");
    return text;
}

bool has_tracepoint_subsystem(std::string_view subsystem) {
    if (!valid_component(subsystem)) return false;
    auto root = tracefs_root();
    return root && is_dir(*root + "/events/" + std::string(subsystem));
}

std::vector<std::string> tracepoint_subsystem_names() {
    auto root = tracefs_root();
    if (!root) return {};
    return subdirs(*root + "/events");
}

std::vector<std::pair<std::string, size_t>> tracepoint_subsystems() {
    std::vector<std::pair<std::string, size_t>> out;
    auto root = tracefs_root();
    if (!root) return out;
    for (auto& s : subdirs(*root + "/events")) {
        const size_t n = subdirs(*root + "/events/" + s).size();
        out.emplace_back(std::move(s), n);
    }
    return out;
}

std::vector<std::string> tracepoints_of(std::string_view subsystem) {
    if (!valid_component(subsystem)) return {};
    auto root = tracefs_root();
    if (!root) return {};
    return subdirs(*root + "/events/" + std::string(subsystem));
}

int append_tracefs_line(const std::string& file, std::string_view line) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) return errno;
    const ssize_t n = ::write(fd, line.data(), line.size());
    const int err = n == static_cast<ssize_t>(line.size()) ? 0 : n < 0 ? errno : EIO;
    ::close(fd);
    return err;
}

}  // namespace kiln::pmu
