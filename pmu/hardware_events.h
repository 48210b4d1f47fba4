// perf's generic hardware events (PERF_TYPE_HARDWARE) by the names perf and libpfm4 use,
// resolved without libpfm4 (see pfm_library.h for why it is loaded only when needed).
#pragma once

#include <linux/perf_event.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace kiln::pmu {

struct HardwareEvent {
    const char* name;
    const char* alias;  // nullptr when none
    uint64_t config;    // PERF_COUNT_HW_*
};

// In the order `kiln list` shows them.
const std::vector<HardwareEvent>& generic_hardware_events();
std::optional<HardwareEvent> find_generic_hardware_event(std::string_view name);

}  // namespace kiln::pmu
