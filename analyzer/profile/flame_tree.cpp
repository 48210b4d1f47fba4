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

struct FlameTreeBuilder::Node {
    FrameKind kind = FrameKind::User;
    bool inlined = false;
    int64_t total = 0, self = 0, cold = 0;
    std::map<std::string, std::unique_ptr<Node>> children;

    Node& child(const std::string& name, FrameKind k, bool inl) {
        auto& slot = children[name];
        if (!slot) {
            slot = std::make_unique<Node>();
            slot->kind = k;
            slot->inlined = inl;
        }
        return *slot;
    }

    FlameNode convert(const std::string& name) {
        FlameNode n;
        n.name = name;
        n.kind = kind;
        n.inlined = inlined;
        n.total = total;
        n.self = self;
        n.cold = cold;
        n.children.reserve(children.size());
        for (auto& [child_name, c] : children) n.children.push_back(c->convert(child_name));
        children.clear();
        return n;
    }
};

FlameTreeBuilder::FlameTreeBuilder() : root_(std::make_unique<Node>()) { root_->kind = FrameKind::Synthetic; }
FlameTreeBuilder::~FlameTreeBuilder() = default;

void FlameTreeBuilder::add(const std::vector<FlameFrame>& frames, int64_t value, int64_t cold) {
    Node* node = root_.get();
    node->total += value;
    node->cold += cold;
    for (const FlameFrame& f : frames) {
        node = &node->child(f.name, f.kind, f.inlined);
        node->total += value;
        node->cold += cold;
    }
    node->self += value;
}

FlameNode FlameTreeBuilder::finish() {
    FlameNode n = root_->convert("all");
    root_ = std::make_unique<Node>();
    root_->kind = FrameKind::Synthetic;
    return n;
}

namespace {

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
    FlameTreeBuilder builder;
    std::vector<FlameFrame> frames;
    for (const Sample& s : p.samples) {
        if (value_index >= s.values.size()) continue;
        const int64_t v = s.values[value_index];
        if (v == 0) continue;
        const bool off_cpu = std::any_of(s.locations.begin(), s.locations.end(), [&p](uint32_t li) {
            return li < p.locations.size() && p.locations[li].kind == FrameKind::OffCpu;
        });
        frames.clear();
        frames.push_back({process_frame(s), FrameKind::Synthetic, false});
        // Locations are leaf first; each location's lines innermost first.
        for (auto loc_it = s.locations.rbegin(); loc_it != s.locations.rend(); ++loc_it) {
            if (*loc_it >= p.locations.size()) continue;
            const Location& loc = p.locations[*loc_it];
            for (size_t li = loc.lines.size(); li-- > 0;)
                frames.push_back({frame_display_name(p, loc, li), loc.kind, li + 1 < loc.lines.size()});
        }
        builder.add(frames, v, off_cpu ? v : 0);
    }
    return builder.finish();
}

}  // namespace kiln::analyzer
