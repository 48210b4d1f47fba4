#include "pmu/software_events.h"

#include <linux/perf_event.h>

#include "pmu/named_events.h"

namespace kiln::pmu {

const std::vector<SoftwareEvent>& software_events() {
    static const std::vector<SoftwareEvent> events = {
        {"cpu-clock", nullptr, PERF_COUNT_SW_CPU_CLOCK, "per-CPU high-resolution timer (ns)"},
        {"task-clock", nullptr, PERF_COUNT_SW_TASK_CLOCK, "per-task CPU time (ns)"},
        {"page-faults", "faults", PERF_COUNT_SW_PAGE_FAULTS, "page faults"},
        {"context-switches", "cs", PERF_COUNT_SW_CONTEXT_SWITCHES, "context switches"},
        {"cpu-migrations", "migrations", PERF_COUNT_SW_CPU_MIGRATIONS, "migrations between CPUs"},
        {"minor-faults", nullptr, PERF_COUNT_SW_PAGE_FAULTS_MIN, "page faults served without I/O"},
        {"major-faults", nullptr, PERF_COUNT_SW_PAGE_FAULTS_MAJ, "page faults that needed I/O"},
        {"alignment-faults", nullptr, PERF_COUNT_SW_ALIGNMENT_FAULTS, "unaligned accesses fixed by the kernel"},
        {"emulation-faults", nullptr, PERF_COUNT_SW_EMULATION_FAULTS, "instructions emulated by the kernel"},
        {"dummy", nullptr, PERF_COUNT_SW_DUMMY, "no samples; sideband records only"},
    };
    return events;
}

std::optional<SoftwareEvent> find_software_event(std::string_view name) {
    return find_by_name_or_alias(software_events(), name);
}

}  // namespace kiln::pmu
