// A merged call tree, root first, as flame graphs draw it. Built from a Profile by
// analyzer/profile/flame_tree.cpp (inlined functions become frames of their own, kernel
// frames get the _[k] suffix, the process name is the first frame under the root).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
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
    int64_t cold = 0;               // the part of total from off-CPU stacks (a FrameKind::OffCpu frame)
    int64_t base = 0;               // differential graphs: this frame's value in the base profile
    std::vector<FlameNode> children;  // sorted by name
};

// Root node is named "all"; its total is the profile's total for the chosen value.
}  // namespace kiln::analyzer

namespace kiln::analyzer {

// Frame names as folded output and flame graphs show them: kernel frames end in _[k],
// inlined ones in _[i], JIT ones in _[j] (FlameGraph's conventions).
std::string frame_display_name(const Profile& p, const Location& loc, size_t line_index);

// One frame of a stack handed to FlameTreeBuilder.
struct FlameFrame {
    std::string name;
    FrameKind kind = FrameKind::User;
    bool inlined = false;
};

// Merges stacks (root first) into a tree whose children are found by name. build_flame_tree
// uses it for profiles; the differential graph (analyzer/diff/) for name-keyed stacks.
class FlameTreeBuilder {
public:
    FlameTreeBuilder();
    ~FlameTreeBuilder();
    FlameTreeBuilder(const FlameTreeBuilder&) = delete;
    FlameTreeBuilder& operator=(const FlameTreeBuilder&) = delete;
    // Adds value (cold of it off-CPU) along frames, root first; the last frame gets the self value.
    void add(const std::vector<FlameFrame>& frames, int64_t value, int64_t cold = 0);
    // The merged tree under a root named "all"; the builder is empty afterwards.
    FlameNode finish();

private:
    struct Node;
    std::unique_ptr<Node> root_;
};

// Merges the profile's samples into a tree for the value at value_index, with the process
// name (label "comm") as the first frame under the root "all".
FlameNode build_flame_tree(const Profile& p, size_t value_index);

}  // namespace kiln::analyzer
