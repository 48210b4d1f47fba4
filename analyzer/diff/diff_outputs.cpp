#include "analyzer/diff/diff_outputs.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace kiln::analyzer {

namespace {

// Children are sorted by name (FlameTreeBuilder's order).
FlameNode* find_child(FlameNode& n, const std::string& name) {
    auto it = std::lower_bound(n.children.begin(), n.children.end(), name,
                               [](const FlameNode& c, const std::string& key) { return c.name < key; });
    return it != n.children.end() && it->name == name ? &*it : nullptr;
}

}  // namespace

FlameNode build_diff_tree(const std::vector<ProfileRun>& base, const std::vector<ProfileRun>& now) {
    FlameTreeBuilder builder;
    for (const ProfileRun& r : now)
        for (const NamedStack& st : r.stacks) builder.add(st.frames, st.value);
    FlameNode root = builder.finish();
    for (const ProfileRun& r : base) {
        for (const NamedStack& st : r.stacks) {
            FlameNode* node = &root;
            node->base += st.value;
            for (const FlameFrame& f : st.frames) {
                node = find_child(*node, f.name);
                if (!node) break;
                node->base += st.value;
            }
        }
    }
    return root;
}

Profile build_diff_pprof(const std::vector<ProfileRun>& base, const std::vector<ProfileRun>& now) {
    Profile p;
    const ProfileRun& ref = now.front();
    p.sample_types = {ref.type};
    p.default_sample_type = 0;
    p.period_type = ref.type;
    p.comments = {"kiln diff: NEW minus BASE scaled to NEW's total (pprof -diff_base convention)"};
    std::unordered_map<std::string, uint32_t> location_of;
    auto location = [&](const FlameFrame& f) {
        auto [it, inserted] = location_of.try_emplace(f.name, static_cast<uint32_t>(p.locations.size()));
        if (inserted) {
            p.functions.push_back({f.name, f.name, "", 0});
            Location loc;
            loc.kind = f.kind;
            loc.lines = {{static_cast<uint32_t>(p.functions.size() - 1), 0}};
            p.locations.push_back(std::move(loc));
        }
        return it->second;
    };
    int64_t base_total = 0, new_total = 0;
    for (const ProfileRun& r : base) base_total += r.total_value;
    for (const ProfileRun& r : now) new_total += r.total_value;
    const double scale = base_total > 0 ? static_cast<double>(new_total) / static_cast<double>(base_total) : 0;
    auto add = [&](const NamedStack& st, int64_t value, bool is_base) {
        if (value == 0) return;
        Sample s;
        for (auto it = st.frames.rbegin(); it != st.frames.rend(); ++it) s.locations.push_back(location(*it));
        s.values = {value};
        if (is_base) s.labels.push_back({"pprof::base", "true", 0});
        p.samples.push_back(std::move(s));
    };
    for (const ProfileRun& r : now)
        for (const NamedStack& st : r.stacks) add(st, st.value, false);
    for (const ProfileRun& r : base)
        for (const NamedStack& st : r.stacks)
            // At most NEW's total, which fits in 64 bits; as a double it may round up to 2^63.
            add(st, -static_cast<int64_t>(std::llround(std::min(static_cast<double>(st.value) * scale, 0x1.fffffffffffffp62))),
                true);
    return p;
}

}  // namespace kiln::analyzer
