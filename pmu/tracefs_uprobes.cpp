#include "pmu/tracefs_uprobes.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "pmu/event_resolver.h"
#include "pmu/tracepoints.h"

namespace kiln::pmu {

namespace {

Status append_line(const std::string& file, const std::string& line) {
    if (const int err = append_tracefs_line(file, line); err != 0)
        return make_error("cannot write '" + line + "' to " + file + ": " + std::strerror(err));
    return {};
}

}  // namespace

TracefsUprobes::~TracefsUprobes() { remove_all(); }

Result<uint64_t> TracefsUprobes::add(const std::string& path, uint64_t file_offset, bool retprobe) {
    if (root_.empty()) {
        auto root = tracefs_root();
        if (!root) return make_error("uprobes need tracefs: " + root.error().message);
        root_ = *root;
    }
    if (path.find_first_of(" \t\n") != std::string::npos)
        return make_error("cannot probe " + path + ": tracefs uprobes take no whitespace in paths");
    // Numbered across the process: `kiln monitor` holds two sets of probes (the recording's
    // and its triggers'), which must not ask tracefs for the same name.
    static std::atomic<uint64_t> next{0};
    const std::string name = "kiln_" + std::to_string(::getpid()) + "/p" + std::to_string(next++);
    char offset[32];
    std::snprintf(offset, sizeof offset, "0x%llx", static_cast<unsigned long long>(file_offset));
    KILN_TRY(append_line(root_ + "/uprobe_events", std::string(retprobe ? "r:" : "p:") + name + " " + path + ":" + offset));
    names_.push_back(name);
    std::ifstream id_file(root_ + "/events/" + name + "/id");
    uint64_t id = 0;
    if (!(id_file >> id)) return make_error("cannot read the id of uprobe " + name + " under " + root_ + "/events");
    return id;
}

void TracefsUprobes::remove_all() {
    for (const auto& name : names_) (void)append_line(root_ + "/uprobe_events", "-:" + name);
    names_.clear();
}

}  // namespace kiln::pmu
