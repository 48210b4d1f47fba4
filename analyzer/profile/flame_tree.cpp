#include "analyzer/profile/flame_tree.h"

#include <algorithm>
#include <map>
#include <memory>

namespace kiln::analyzer {

std::string frame_display_name(const Profile& p, const Location& loc, size_t line_index) {
    const Line& line = loc.lines[line_index];
    std::string name = line.function < p.functions.size() ? p.functions[line.function].name : "[unknown]";
    if (loc.kind == FrameKind::Kernel) return name + "_[k]";
    if (loc.kind == FrameKind::Jit) return name + "_[j]";
    if (line_index + 1 < loc.lines.size()) return name + "_[i]";
    return name;
}

namespace {

// Building node: children found by name while merging; converted to sorted FlameNodes.
struct BuildNode {
    FrameKind kind = FrameKind::User;
    bool inlined = false;
    int64_t total = 0, self = 0, cold = 0;
    std::map<std::string, std::unique_ptr<BuildNode>> children;

    BuildNode& child(const std::string& name, FrameKind k, bool inl) {
        auto& slot = children[name];
        if (!slot) {
            slot = std::make_unique<BuildNode>();
            slot->kind = k;
            slot->inlined = inl;
        }
        return *slot;
    }
};

FlameNode convert(const std::string& name, BuildNode& b) {
    FlameNode n;
    n.name = name;
    n.kind = b.kind;
    n.inlined = b.inlined;
    n.total = b.total;
    n.self = b.self;
    n.cold = b.cold;
    n.children.reserve(b.children.size());
    for (auto& [child_name, child] : b.children) n.children.push_back(convert(child_name, *child));
    b.children.clear();
    return n;
}

std::string process_frame(const Sample& s) {
    std::string pid;
    for (const auto& l : s.labels) {
        if (l.key == "comm" && !l.str.empty()) return l.str;
        if (l.key == "pid") pid = std::to_string(l.num);
    }
    return pid.empty() ? "[unknown]" : "[pid " + pid + "]";
}

}  // namespace

FlameNode build_flame_tree(const Profile& p, size_t value_index) {
    BuildNode root;
    root.kind = FrameKind::Synthetic;
    for (const Sample& s : p.samples) {
        if (value_index >= s.values.size()) continue;
        const int64_t v = s.values[value_index];
        if (v == 0) continue;
        const bool off_cpu = std::any_of(s.locations.begin(), s.locations.end(), [&p](uint32_t li) {
            return li < p.locations.size() && p.locations[li].kind == FrameKind::OffCpu;
        });
        const int64_t cold = off_cpu ? v : 0;
        root.total += v;
        root.cold += cold;
        BuildNode* node = &root.child(process_frame(s), FrameKind::Synthetic, false);
        node->total += v;
        node->cold += cold;
        // Locations are leaf first; each location's lines innermost first.
        for (auto loc_it = s.locations.rbegin(); loc_it != s.locations.rend(); ++loc_it) {
            if (*loc_it >= p.locations.size()) continue;
            const Location& loc = p.locations[*loc_it];
            for (size_t li = loc.lines.size(); li-- > 0;) {
                node = &node->child(frame_display_name(p, loc, li), loc.kind, li + 1 < loc.lines.size());
                node->total += v;
                node->cold += cold;
            }
        }
        node->self += v;
    }
    return convert("all", root);
}

}  // namespace kiln::analyzer
