// Lookups shared by kiln's own event tables (software_events.h, hardware_events.h), whose
// entries have a name and an alias (nullptr when none).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::pmu {

template <typename Event>
std::optional<Event> find_by_name_or_alias(const std::vector<Event>& table, std::string_view name) {
    for (const auto& e : table)
        if (name == e.name || (e.alias != nullptr && name == e.alias)) return e;
    return std::nullopt;
}

// "name" or "name OR alias", as `kiln list` shows an entry.
template <typename Event>
std::string name_or_alias(const Event& e) {
    return e.alias != nullptr ? std::string(e.name) + " OR " + e.alias : std::string(e.name);
}

}  // namespace kiln::pmu
