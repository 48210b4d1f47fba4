#include "analyzer/anomaly/anomaly_flame.h"

#include <string_view>

#include "analyzer/diff/diff_outputs.h"

namespace kiln::analyzer {

namespace {

// A folded key's frames, root first, without its process name (kiln diff's graphs have none).
std::vector<FlameFrame> frames_of(const std::string& key) {
    std::vector<FlameFrame> out;
    for (std::string_view name : functions_of(key)) {
        FlameFrame f;
        f.name = std::string(name);
        if (name.ends_with("_[k]")) f.kind = FrameKind::Kernel;
        f.inlined = name.ends_with("_[i]");
        out.push_back(std::move(f));
    }
    return out;
}

ProfileRun run_of(const AnomalyReport& r, const std::vector<std::pair<uint32_t, double>>& counts, const char* name) {
    ProfileRun run;
    run.source = name;
    run.view = "cpu";
    run.type = {"samples", "count"};
    for (const auto& [key, n] : counts) {
        if (key >= r.keys.size()) continue;
        NamedStack st;
        st.frames = frames_of(r.keys[key]);
        st.value = st.count = static_cast<int64_t>(n);
        run.total_value += st.value;
        run.total_count += st.count;
        run.stacks.push_back(std::move(st));
    }
    return run;
}

}  // namespace

FlameNode anomaly_diff_tree(const AnomalyReport& report, const AnomalyRange& range) {
    return build_diff_tree({run_of(report, report.normal, "normal")}, {run_of(report, range.counts, "range")});
}

}  // namespace kiln::analyzer
