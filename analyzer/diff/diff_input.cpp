#include "analyzer/diff/diff_input.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

#include "analyzer/diff/pprof_reader.h"
#include "formats/recording_reader.h"

namespace kiln::analyzer {

std::string normalize_function_name(const std::string& name) {
    static const std::regex clone(R"(\.(constprop|isra|part|cold|lto_priv|llvm|localalias)(\.[0-9]+)*$)");
    std::string out = name;
    for (;;) {
        std::string next = std::regex_replace(out, clone, "");
        if (next == out) return out;
        out = std::move(next);
    }
}

namespace {

// The sample type that counts samples, if the profile has one.
int count_type(const Profile& p) {
    const auto& def = p.sample_types[static_cast<size_t>(p.default_sample_type)];
    if (def.unit == "count") return p.default_sample_type;
    for (size_t i = 0; i < p.sample_types.size(); ++i)
        if (p.sample_types[i].unit == "count" && (p.sample_types[i].type == "samples" || p.sample_types[i].type == "sample"))
            return static_cast<int>(i);
    return -1;
}

std::string frame_name(const Profile& p, const Location& loc, size_t li) {
    const Line& line = loc.lines[li];
    std::string name = normalize_function_name(
        line.function < p.functions.size() ? p.functions[line.function].name : "[unknown]");
    if (loc.kind == FrameKind::Kernel) return name + "_[k]";
    if (loc.kind == FrameKind::Jit) return name + "_[j]";
    return name;
}

}  // namespace

ProfileRun run_from_profile(const Profile& p, const std::string& source, const std::string& view) {
    ProfileRun run;
    run.source = source;
    run.view = view;
    if (p.sample_types.empty()) return run;
    const auto value_index = static_cast<size_t>(p.default_sample_type);
    run.type = p.sample_types[value_index];
    const int counts = count_type(p);
    run.counts_exact = counts >= 0;
    for (const Sample& s : p.samples) {
        if (value_index >= s.values.size() || s.values[value_index] <= 0) continue;
        NamedStack st;
        st.value = s.values[value_index];
        st.count = counts >= 0 && static_cast<size_t>(counts) < s.values.size() ? s.values[static_cast<size_t>(counts)] : 1;
        // Locations are leaf first; each location's lines innermost first.
        for (auto it = s.locations.rbegin(); it != s.locations.rend(); ++it) {
            if (*it >= p.locations.size()) continue;
            const Location& loc = p.locations[*it];
            for (size_t li = loc.lines.size(); li-- > 0;)
                st.frames.push_back({frame_name(p, loc, li), loc.kind, li + 1 < loc.lines.size()});
        }
        run.total_value += st.value;
        run.total_count += st.count;
        run.stacks.push_back(std::move(st));
    }
    if (!run.counts_exact && run.total_value > 0) {
        // Each distinct stack stands for at least one sample: spread that many over the values.
        const double n = static_cast<double>(run.stacks.size());
        run.total_count = 0;
        for (auto& st : run.stacks) {
            st.count = static_cast<int64_t>(n * static_cast<double>(st.value) / static_cast<double>(run.total_value) + 0.5);
            run.total_count += st.count;
        }
    }
    return run;
}

Result<ProfileRun> load_run(const std::string& path, const LoadOptions& options) {
    std::vector<uint8_t> head;
    {
        std::ifstream f(path, std::ios::binary);
        if (!f) return make_error("cannot open " + path + ": " + std::strerror(errno));
        char buf[2] = {0, 0};
        f.read(buf, 2);
        head.assign(buf, buf + f.gcount());
    }
    ProfileRun run;
    if (looks_gzipped(head)) {
        auto p = read_pprof(path);
        if (!p) return p.error();
        run = run_from_profile(*p, path, "pprof");
    } else {
        auto reader = format::RecordingReader::open(path);
        if (!reader) {
            // Not a recording: maybe an uncompressed pprof file.
            auto p = read_pprof(path);
            if (!p)
                return make_error(path + ": neither a kiln recording (" + reader.error().message +
                                  ") nor a pprof profile (" + p.error().message + ")");
            run = run_from_profile(*p, path, "pprof");
        } else {
            AnalyzeOptions opt = options.analyze;
            opt.view = options.view.empty() ? default_view((*reader)->header()) : options.view;
            auto a = analyze_reader(**reader, opt);
            if (!a) return make_error(path + ": " + a.error().message);
            run = run_from_profile(a->profile, path, opt.view);
            for (const auto& w : a->warnings) run.warnings.push_back(path + ": " + w);
            for (const auto& b : a->binaries) {
                if (!b.status.damage.empty())
                    run.warnings.push_back(path + ": " + b.status.path + ": the file found is damaged: " + b.status.damage);
                if (!b.status.problem.empty())
                    run.warnings.push_back(path + ": " + b.status.path + ": " + b.status.problem + "; " +
                                           std::to_string(b.samples) +
                                           " samples show its frames by address, which do not match by name");
            }
        }
    }
    if (run.total_value <= 0)
        return make_error(path + ": the profile is empty (no samples with a " +
                          (run.type.type.empty() ? std::string("value") : run.type.type) + " value)");
    return run;
}

}  // namespace kiln::analyzer
