// Uprobes made through tracefs (uprobe_events), opened as tracepoints. The uprobe PMU cannot
// be inherited: the kernel reads the probed path from attr.config1, a pointer into the
// opener's memory, again when a traced task forks, in the forking task's address space, and
// the fork fails with EFAULT. A tracefs probe is named by an id instead, which children
// inherit like any tracepoint (perf probe works the same way). Probes are removed when the
// owner is destroyed; a recorder killed with SIGKILL leaves them in uprobe_events under
// group kiln_PID (`echo '-:kiln_PID/pN' >> uprobe_events` removes each).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/result.h"

namespace kiln::pmu {

class TracefsUprobes {
public:
    TracefsUprobes() = default;
    ~TracefsUprobes();
    TracefsUprobes(const TracefsUprobes&) = delete;
    TracefsUprobes& operator=(const TracefsUprobes&) = delete;

    // Adds a probe at file_offset of path (a uretprobe when retprobe); returns its
    // tracepoint id for attr.config of a PERF_TYPE_TRACEPOINT event.
    Result<uint64_t> add(const std::string& path, uint64_t file_offset, bool retprobe);
    // Removes every probe added (their events must be closed first).
    void remove_all();

private:
    std::string root_;
    std::vector<std::string> names_;  // "kiln_PID/pN"
};

}  // namespace kiln::pmu
