// Folded stacks ("frame;frame;leaf VALUE", root first), the input format of FlameGraph,
// speedscope and inferno. Lines are sorted, so output is stable for golden tests.
#pragma once

#include <ostream>

#include "analyzer/profile/flame_tree.h"

namespace kiln::analyzer {

void write_folded(const FlameNode& root, std::ostream& out);

}  // namespace kiln::analyzer
