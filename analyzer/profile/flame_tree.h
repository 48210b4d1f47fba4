// A merged call tree, root first, as flame graphs draw it. Built from a Profile by
// analyzer/profile/flame_tree.cpp (inlined functions become frames of their own, kernel
// frames get the _[k] suffix, the process name is the first frame under the root).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/profile/profile.h"

namespace kiln::analyzer {

struct FlameNode {
    std::string name;               // what the frame shows ("main", "do_syscall_64_[k]")
    FrameKind kind = FrameKind::User;
    bool inlined = false;           // this frame was inlined into its parent
    int64_t total = 0;              // value of this node and everything under it
    int64_t self = 0;               // value of stacks that end here
    std::vector<FlameNode> children;  // sorted by name
};

// Root node is named "all"; its total is the profile's total for the chosen value.
}  // namespace kiln::analyzer
