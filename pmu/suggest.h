// "Did you mean" for event names: the closest candidates by edit distance.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::pmu {

// Edits (insert, delete, substitute, swap adjacent letters) from a to b, case ignored.
size_t edit_distance(std::string_view a, std::string_view b);
// Up to max_results candidates within a distance that scales with the name's length,
// closest first.
std::vector<std::string> closest_names(std::string_view name, const std::vector<std::string>& candidates,
                                       size_t max_results = 3);

}  // namespace kiln::pmu
