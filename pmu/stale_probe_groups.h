// Uprobes a recorder killed with SIGKILL left in tracefs (pmu/tracefs_uprobes.h names them
// kiln_PID/pN). A later kiln run removes the groups whose recorder is no longer running, and
// only those: a group's recorder counts as running while /proc/PID exists with a comm starting
// with "kiln". The kernel refuses (EBUSY) to remove a probe that an open event still uses, so a
// running recorder of another pid namespace, which names its group after its own pid, keeps its
// probes even when its pid means another process here.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "formats/result.h"

namespace kiln::pmu {

// The probes of each kiln_PID group in uprobe_events' text ("p:kiln_12/p0 /lib/libc.so.6:0x9e90"
// lines), as "kiln_12/p0" names by pid.
std::map<int, std::vector<std::string>> kiln_probe_groups(std::string_view uprobe_events);

// True when pid is a running kiln process (see above).
bool kiln_process_running(int pid);

struct ProbeCleanup {
    std::map<int, size_t> removed;        // dead recorder's pid → probes removed
    std::vector<std::string> failures;    // "kiln_12/p0: Device or resource busy"
    size_t kept_running = 0;              // groups of recorders still running
    size_t in_use = 0;                    // probes of other groups that open events still use (EBUSY)
};

// Removes the groups of recorders that are not running (running(pid) false). An error only when
// tracefs or its uprobe_events cannot be read (no tracefs, no permission).
Result<ProbeCleanup> remove_stale_probe_groups(const std::function<bool(int)>& running = kiln_process_running);

// One line for the user per dead recorder ("removed 2 uprobes left in tracefs by kiln record
// pid 1234, which is no longer running"), then one per failure.
std::vector<std::string> describe(const ProbeCleanup& c);

}  // namespace kiln::pmu
