// perf's software events by the names perf uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace kiln::pmu {

struct SoftwareEvent {
    const char* name;
    const char* alias;        // nullptr when none
    uint64_t config;          // PERF_COUNT_SW_*
    const char* description;
};

const std::vector<SoftwareEvent>& software_events();
std::optional<SoftwareEvent> find_software_event(std::string_view name);

}  // namespace kiln::pmu
