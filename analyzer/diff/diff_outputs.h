// What `kiln diff` draws and exports besides its report: the differential flame tree (NEW's
// shape, each frame also carrying its BASE value) and a pprof diff profile.
#pragma once

#include <vector>

#include "analyzer/diff/diff_input.h"
#include "analyzer/profile/flame_tree.h"
#include "analyzer/profile/profile.h"

namespace kiln::analyzer {

// NEW's runs merged by name (root "all", no process frames); each node's `base` is the value
// of the same path (root to that frame) in BASE's runs, 0 where BASE never had it. Paths only
// BASE has are not in the tree: the graph has NEW's shape.
FlameNode build_diff_tree(const std::vector<ProfileRun>& base, const std::vector<ProfileRun>& now);

// pprof's diff convention (`go tool pprof -diff_base`): NEW's stacks with their values and
// BASE's stacks with values negated and labelled pprof::base=true, so pprof shows the change
// per function. BASE is first scaled to NEW's total (as pprof -normalize does), so values
// are change of share expressed in NEW's units. One sample type: the compared one. Frames
// are the matched names (one location per name, no addresses).
Profile build_diff_pprof(const std::vector<ProfileRun>& base, const std::vector<ProfileRun>& now);

}  // namespace kiln::analyzer
