// A range's differential flame graph: the range's stacks (its shape) coloured by the change of
// each frame's share against the normal windows, as `kiln diff` draws NEW against BASE.
#pragma once

#include "analyzer/anomaly/anomaly_report.h"
#include "analyzer/profile/flame_tree.h"

namespace kiln::analyzer {

FlameNode anomaly_diff_tree(const AnomalyReport& report, const AnomalyRange& range);

}  // namespace kiln::analyzer
