#include "pmu/stale_probe_groups.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "pmu/event_resolver.h"
#include "pmu/tracepoints.h"

namespace kiln::pmu {

namespace {

constexpr std::string_view kGroupPrefix = "kiln_";

// "kiln_12/p0" → 12; 0 for any other name.
int pid_of_group(std::string_view name) {
    if (!name.starts_with(kGroupPrefix)) return 0;
    name.remove_prefix(kGroupPrefix.size());
    const size_t slash = name.find('/');
    if (slash == std::string_view::npos || slash == 0) return 0;
    int pid = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + slash, pid);
    if (ec != std::errc() || end != name.data() + slash || pid <= 0) return 0;
    return pid;
}

}  // namespace

std::map<int, std::vector<std::string>> kiln_probe_groups(std::string_view text) {
    std::map<int, std::vector<std::string>> groups;
    while (!text.empty()) {
        const size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        // "p:GROUP/EVENT PATH:OFFSET" or "r:..." (uretprobes); perf probe's own lines too.
        if (line.size() < 3 || line[1] != ':') continue;
        const std::string_view rest = line.substr(2);
        const std::string_view name = rest.substr(0, rest.find(' '));
        if (const int pid = pid_of_group(name)) groups[pid].emplace_back(name);
    }
    return groups;
}

bool kiln_process_running(int pid) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    return comm && std::getline(comm, name) && name.starts_with("kiln");
}

Result<ProbeCleanup> remove_stale_probe_groups(const std::function<bool(int)>& running) {
    auto root = tracefs_root();
    if (!root) return root.error();
    const std::string events_file = *root + "/uprobe_events";
    std::ifstream in(events_file);
    if (!in) return make_error("cannot read " + events_file + ": " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    ProbeCleanup out;
    for (const auto& [pid, names] : kiln_probe_groups(text.str())) {
        if (pid == ::getpid() || running(pid)) {
            ++out.kept_running;
            continue;
        }
        for (const auto& name : names) {
            const int err = append_tracefs_line(events_file, "-:" + name);
            if (err == 0)
                ++out.removed[pid];
            else if (err == EBUSY)
                ++out.in_use;  // an open event uses it: its recorder runs after all
            else
                out.failures.push_back(name + ": " + std::strerror(err));
        }
    }
    return out;
}

std::vector<std::string> describe(const ProbeCleanup& c) {
    std::vector<std::string> lines;
    for (const auto& [pid, n] : c.removed)
        lines.push_back("removed " + std::to_string(n) + (n == 1 ? " uprobe" : " uprobes") +
                        " left in tracefs by kiln pid " + std::to_string(pid) + ", which is no longer running");
    for (const auto& f : c.failures) lines.push_back("cannot remove the stale uprobe " + f);
    return lines;
}

}  // namespace kiln::pmu
