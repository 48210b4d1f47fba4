#include "recorder/sideband/pid_namespace_watch.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

namespace kiln::recorder::sideband {

PidNamespaceWatch::PidNamespaceWatch() {
    struct stat st{};
    if (::stat("/proc/self/ns/pid", &st) == 0) own_ = st.st_ino;
}

void PidNamespaceWatch::observe(int pid) {
    if (own_ == 0 || pids_.count(pid)) return;
    const std::string proc = "/proc/" + std::to_string(pid);
    struct stat st{};
    if (::stat((proc + "/ns/pid").c_str(), &st) != 0 || st.st_ino == own_) return;
    std::ifstream status(proc + "/status");
    for (std::string line; std::getline(status, line);) {
        if (!line.starts_with("NSpid:")) continue;
        std::istringstream fields(line.substr(6));
        std::vector<int32_t> nested;
        int32_t host = 0, p = 0;
        if (!(fields >> host)) return;
        while (fields >> p) nested.push_back(p);
        if (!nested.empty()) pids_[pid] = std::move(nested);
        return;
    }
}

}  // namespace kiln::recorder::sideband
