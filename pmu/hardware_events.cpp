#include "pmu/hardware_events.h"

#include "pmu/named_events.h"

namespace kiln::pmu {

const std::vector<HardwareEvent>& generic_hardware_events() {
    static const std::vector<HardwareEvent> events = {
        {"cycles", "cpu-cycles", PERF_COUNT_HW_CPU_CYCLES},
        {"instructions", nullptr, PERF_COUNT_HW_INSTRUCTIONS},
        {"cache-references", nullptr, PERF_COUNT_HW_CACHE_REFERENCES},
        {"cache-misses", nullptr, PERF_COUNT_HW_CACHE_MISSES},
        {"branch-instructions", "branches", PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
        {"branch-misses", nullptr, PERF_COUNT_HW_BRANCH_MISSES},
        {"bus-cycles", nullptr, PERF_COUNT_HW_BUS_CYCLES},
        {"ref-cycles", nullptr, PERF_COUNT_HW_REF_CPU_CYCLES},
        {"stalled-cycles-frontend", nullptr, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND},
        {"stalled-cycles-backend", nullptr, PERF_COUNT_HW_STALLED_CYCLES_BACKEND},
    };
    return events;
}

std::optional<HardwareEvent> find_generic_hardware_event(std::string_view name) {
    return find_by_name_or_alias(generic_hardware_events(), name);
}

}  // namespace kiln::pmu
