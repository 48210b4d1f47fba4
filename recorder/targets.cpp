#include "recorder/targets.h"

#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kiln::recorder {

namespace {

Result<std::vector<int>> parse_ranges(const std::string& spec, const char* what) {
    std::vector<int> out;
    std::stringstream ss(spec);
    std::string part;
    while (std::getline(ss, part, ',')) {
        if (part.empty()) continue;
        int lo = 0, hi = 0;
        size_t dash = part.find('-');
        std::string a = part.substr(0, dash);
        std::string b = dash == std::string::npos ? a : part.substr(dash + 1);
        auto ra = std::from_chars(a.data(), a.data() + a.size(), lo);
        auto rb = std::from_chars(b.data(), b.data() + b.size(), hi);
        if (ra.ec != std::errc() || ra.ptr != a.data() + a.size() || rb.ec != std::errc() ||
            rb.ptr != b.data() + b.size() || lo < 0 || hi < lo || hi - lo > 65536)
            return make_error(std::string("bad ") + what + " list '" + spec + "' (expected e.g. 0-3,6)");
        for (int i = lo; i <= hi; ++i) out.push_back(i);
    }
    if (out.empty()) return make_error(std::string("empty ") + what + " list '" + spec + "'");
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace

std::vector<int> online_cpus() {
    std::ifstream f("/sys/devices/system/cpu/online");
    std::string line;
    if (std::getline(f, line)) {
        auto r = parse_ranges(line, "CPU");
        if (r) return *r;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(i);
    return out;
}

Result<std::vector<int>> parse_cpu_list(const std::string& spec) {
    auto r = parse_ranges(spec, "CPU");
    if (!r) return r;
    auto online = online_cpus();
    for (int c : *r)
        if (!std::binary_search(online.begin(), online.end(), c))
            return make_error("CPU " + std::to_string(c) + " in -C " + spec + " is not online (online: " +
                              std::to_string(online.front()) + "-" + std::to_string(online.back()) + ")");
    return r;
}

Result<std::vector<int>> parse_id_list(const std::string& spec, const char* what) {
    std::vector<int> out;
    if (!spec.empty() && spec.back() == ',') return make_error(std::string("bad ") + what + " list '" + spec + "'");
    std::stringstream ss(spec);
    std::string part;
    while (std::getline(ss, part, ',')) {
        int v = 0;
        auto r = std::from_chars(part.data(), part.data() + part.size(), v);
        if (part.empty() || r.ec != std::errc() || r.ptr != part.data() + part.size() || v <= 0)
            return make_error(std::string("bad ") + what + " '" + part + "' in '" + spec + "'");
        out.push_back(v);
    }
    if (out.empty()) return make_error(std::string("empty ") + what + " list");
    return out;
}

Result<std::vector<int>> threads_of(int pid) {
    std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
        if (errno == ENOENT) return make_error("no process with pid " + std::to_string(pid));
        return make_error("cannot list threads of pid " + std::to_string(pid) + ": " + std::strerror(errno));
    }
    std::vector<int> tids;
    while (dirent* e = ::readdir(d)) {
        int tid = 0;
        auto r = std::from_chars(e->d_name, e->d_name + std::strlen(e->d_name), tid);
        if (r.ec == std::errc() && tid > 0) tids.push_back(tid);
    }
    ::closedir(d);
    std::sort(tids.begin(), tids.end());
    // The main thread first: it owns the process's sideband.
    auto it = std::find(tids.begin(), tids.end(), pid);
    if (it != tids.end()) std::rotate(tids.begin(), it, it + 1);
    return tids;
}

bool process_alive(int pid) {
    // A zombie still answers kill(pid, 0) until its parent reaps it; it runs nothing more.
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(f, stat)) return false;
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
    const char state = stat[paren + 2];
    return state != 'Z' && state != 'X';
}

Result<int> tgid_of(int tid) {
    std::ifstream f("/proc/" + std::to_string(tid) + "/status");
    if (!f) return make_error("no thread with tid " + std::to_string(tid));
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("Tgid:", 0) == 0) return std::atoi(line.c_str() + 5);
    return make_error("cannot find the process of tid " + std::to_string(tid));
}

}  // namespace kiln::recorder
