#include "pmu/tracepoints.h"

#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

#include "pmu/event_resolver.h"
#include "pmu/suggest.h"

namespace kiln::pmu {

namespace {

bool is_dir(const std::string& p) {
    struct stat st{};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> subdirs(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return out;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        if (is_dir(dir + "/" + e->d_name)) out.emplace_back(e->d_name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

Result<std::string> tracefs_root() {
    static std::mutex mu;
    std::lock_guard lock(mu);
    for (const char* root : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"})
        if (is_dir(std::string(root) + "/events")) return std::string(root);
    // Nothing mounted: mount tracefs where the kernel expects it.
    if (::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0 && is_dir("/sys/kernel/tracing/events"))
        return std::string("/sys/kernel/tracing");
    return make_error(std::string("tracefs is not mounted and mounting it at /sys/kernel/tracing failed (") +
                      std::strerror(errno) + "); run `mount -t tracefs nodev /sys/kernel/tracing` as root");
}

Result<uint64_t> tracepoint_id(std::string_view subsystem, std::string_view name) {
    auto root = tracefs_root();
    if (!root) return root.error();
    const std::string sub(subsystem), ev(name);
    const std::string spec = sub + ":" + ev;
    const std::string dir = *root + "/events/" + sub;
    if (!is_dir(dir)) {
        std::vector<std::string> subs;
        for (auto& [s, n] : tracepoint_subsystems()) subs.push_back(s);
        auto close = closest_names(sub, subs);
        std::string msg = "unknown tracepoint '" + spec + "': no subsystem " + dir;
        if (!close.empty()) {
            msg += "; did you mean subsystem:";
            for (const auto& c : close) msg += " " + c;
            msg += "?";
        }
        return make_error(msg + " Run `kiln list` to see the events available here.");
    }
    const std::string path = dir + "/" + ev + "/id";
    std::ifstream f(path);
    uint64_t id = 0;
    if (!(f >> id)) {
        if (is_dir(dir + "/" + ev))
            return make_error("cannot read tracepoint id " + path + " (permission? run as root)");
        std::vector<std::string> names = tracepoints_of(sub);
        auto close = closest_names(ev, names);
        std::string msg = "unknown tracepoint '" + spec + "' (no " + path + ")";
        if (!close.empty()) {
            msg += "; did you mean:";
            for (const auto& c : close) msg += " " + sub + ":" + c;
            msg += "?";
        }
        return make_error(msg + " Run `kiln list` to see the events available here.");
    }
    return id;
}

std::vector<std::pair<std::string, size_t>> tracepoint_subsystems() {
    std::vector<std::pair<std::string, size_t>> out;
    auto root = tracefs_root();
    if (!root) return out;
    for (const auto& s : subdirs(*root + "/events")) out.emplace_back(s, subdirs(*root + "/events/" + s).size());
    return out;
}

std::vector<std::string> tracepoints_of(std::string_view subsystem) {
    auto root = tracefs_root();
    if (!root) return {};
    return subdirs(*root + "/events/" + std::string(subsystem));
}

}  // namespace kiln::pmu
