#include "tools/analyze_anomalies.h"

#include <cstdio>
#include <optional>
#include <sstream>

#include "analyzer/anomaly/anomaly_flame.h"
#include "analyzer/anomaly/anomaly_report.h"
#include "analyzer/anomaly/counter_anomalies.h"
#include "analyzer/timeline/timeline_builder.h"
#include "analyzer/output/flame_svg.h"
#include "analyzer/output/timeline_svg.h"
#include "analyzer/output/anomaly_writer.h"
#include "formats/recording_reader.h"
#include "tools/text_output.h"

namespace kiln::tools {

namespace {

int bad_flag(const std::string& message) {
    std::fprintf(stderr, "kiln analyze: %s\n", message.c_str());
    return 2;
}

Status write_report(const analyzer::AnomalyReport& r, const std::string& path, const std::string& title, bool markdown) {
    std::ostringstream s;
    if (markdown)
        analyzer::write_anomalies_markdown(r, title, s);
    else
        analyzer::write_anomalies_json(r, s);
    return write_text(path, s.str());
}

bool ends_with(const std::string& s, const char* tail) {
    const std::string t(tail);
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

// The cpu view's per-bucket stacks of file: the one-pass analysis with the window counts on.
Result<analyzer::WindowedStacks> windowed_stacks(const std::string& file, const analyzer::AnalyzeOptions& options,
                                                 std::string& warnings_of) {
    auto reader = format::RecordingReader::open(file);
    if (!reader) return reader.error();
    analyzer::AnalyzeOptions opt = options;
    opt.window_views = {"cpu"};
    auto analyses = analyzer::analyze_views(**reader, opt, {"cpu"});
    if (!analyses) return analyses.error();
    analyzer::Analysis& a = analyses->front();
    for (const auto& w : a.warnings) std::fprintf(stderr, "warning: %s%s\n", warnings_of.c_str(), w.c_str());
    if (!a.windows || a.windows->samples == 0)
        return Error{file + ": no CPU samples to look for anomalies in" +
                     (a.samples_seen ? " (the filters kept none)" : "")};
    return std::move(*a.windows);
}

}  // namespace

int run_anomalies(const AnomalyArgs& args) {
    analyzer::AnomalyOptions options;
    if (!args.window.empty()) {
        auto ns = analyzer::parse_duration_ns(args.window, "--window");
        if (!ns || *ns == 0) return bad_flag("--window: '" + args.window + "' is not a duration such as 500ms or 1s");
        options.window_ns = *ns;
    }
    if (!args.sensitivity.empty() && !analyzer::parse_sensitivity(args.sensitivity, options.sensitivity))
        return bad_flag("--sensitivity " + args.sensitivity + ": expected low, normal or high");
    if (!args.baseline_time.empty()) {
        analyzer::SampleFilter range;
        if (Status st = analyzer::parse_time_range(args.baseline_time, range); !st)
            return bad_flag("--baseline-time: " + st.error().message);
        options.baseline_s = {range.start_s.value_or(0.0), range.end_s.value_or(1e18)};
    }
    if (!args.baseline_file.empty() && !args.baseline_time.empty())
        return bad_flag("--baseline and --baseline-time: give one of them");
    if (!args.report.empty() && !ends_with(args.report, ".md") && !ends_with(args.report, ".json") && args.report != "-")
        return bad_flag("--report " + args.report + ": name a .md or .json file, or - for Markdown on stdout");
    auto reader = format::RecordingReader::open(args.file);
    if (!reader) {
        std::fprintf(stderr, "kiln analyze: %s\n", reader.error().message.c_str());
        return 1;
    }
    analyzer::AnalyzeOptions opt = args.analyze;
    opt.window_views = {"cpu"};
    auto analyses = analyzer::analyze_views(**reader, opt, {"cpu"});
    if (!analyses) {
        std::fprintf(stderr, "kiln analyze: %s\n", analyses.error().message.c_str());
        return 1;
    }
    analyzer::Analysis& a = analyses->front();
    for (const auto& w : a.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (!a.windows || a.windows->samples == 0) {
        std::fprintf(stderr, "kiln analyze: %s: no CPU samples to look for anomalies in%s\n", args.file.c_str(),
                     a.samples_seen ? " (the filters kept none)" : "");
        return 1;
    }
    if (!args.baseline_file.empty()) {
        // The baseline is another run: its pids and times mean nothing here; names still do.
        analyzer::AnalyzeOptions b = args.analyze;
        b.filter = {};
        b.filter.comms = args.analyze.filter.comms;
        std::string prefix = "baseline " + args.baseline_file + ": ";
        auto stacks = windowed_stacks(args.baseline_file, b, prefix);
        if (!stacks) {
            std::fprintf(stderr, "kiln analyze: --baseline %s\n", stacks.error().message.c_str());
            return 1;
        }
        options.baseline_recording = std::move(*stacks);
    }
    const auto& header = (*reader)->header();
    const uint64_t end_ns = a.profile.duration_nanos > 0 ? header.start_time_ns + static_cast<uint64_t>(a.profile.duration_nanos)
                                                         : a.windows->start_ns + a.windows->bucket_end() * a.windows->bucket_ns;
    analyzer::AnomalyReport report = analyzer::find_anomalies(std::move(*a.windows), end_ns, options);
    // The counters and per-window event counts over the same windows (a second pass): run
    // queue, CPU, pressure, syscalls, faults. A recording without them has stacks only.
    std::optional<analyzer::Timeline> timeline;
    if (auto again = format::RecordingReader::open(args.file)) {
        analyzer::TimelineOptions t;
        t.window_ns = report.window_ns;
        t.per_process = false;  // the machine's series and the largest processes' RSS are judged
        t.rss_processes = analyzer::kAnomalyRssProcesses;
        if (auto built = analyzer::build_timeline(**again, t)) {
            analyzer::add_counter_anomalies(report, built->timeline, options.sensitivity);
            timeline = std::move(built->timeline);
        }
    }
    std::vector<std::string> written;
    Status st = Status::success();
    if (!args.json.empty()) {
        st = write_report(report, args.json, args.file, false);
        if (st) written.push_back(args.json);
    }
    if (st && !args.report.empty()) {
        st = write_report(report, args.report, args.file, !ends_with(args.report, ".json"));
        if (st) written.push_back(args.report);
    }
    if (st && !args.out_dir.empty()) {
        st = write_report(report, args.out_dir + "/anomalies.json", args.file, false);
        if (st) st = write_report(report, args.out_dir + "/anomalies.md", args.file, true);
        if (st) written.insert(written.end(), {args.out_dir + "/anomalies.json", args.out_dir + "/anomalies.md"});
        // The timeline of the same windows with every range shaded and numbered.
        if (st && timeline) {
            analyzer::TimelineSvgOptions o;
            o.title = "kiln timeline with the anomalous ranges";
            o.subtitle = args.file;
            for (size_t i = 0; i < report.ranges.size(); ++i) {
                const auto& r = report.ranges[i];
                const auto& kind = report.kinds[static_cast<size_t>(r.kind - 1)];
                o.marks.push_back({r.start_s, r.end_s, "range " + std::to_string(i + 1) + ", kind " +
                                                           std::to_string(r.kind) + ": " + kind.label});
            }
            for (const auto& c : report.counters)
                o.marks.push_back({c.start_s, c.end_s, c.series + " out of its usual level"});
            std::ostringstream svg;
            analyzer::write_timeline_svg(*timeline, o, svg);
            const std::string path = args.out_dir + "/anomalies-timeline.svg";
            st = write_text(path, svg.str());
            if (st) written.push_back(path);
        }
        // A differential flame graph per range: its stacks, coloured against the normal windows.
        for (size_t i = 0; st && i < report.ranges.size(); ++i) {
            const analyzer::AnomalyRange& range = report.ranges[i];
            analyzer::FlameSvgOptions o;
            char title[160];
            std::snprintf(title, sizeof title, "anomalous range %zu: %.3f-%.3f s (kind %d)", i + 1, range.start_s,
                          range.end_s, range.kind);
            o.title = title;
            o.subtitle = "the range's stacks (width), red grew and blue shrank against the normal windows · " + args.file;
            o.unit = "samples";
            o.differential = true;
            std::ostringstream svg;
            analyzer::write_flame_svg(analyzer::anomaly_diff_tree(report, range), o, svg);
            const std::string path = args.out_dir + "/anomaly-" + std::to_string(i + 1) + ".svg";
            st = write_text(path, svg.str());
            if (st) written.push_back(path);
        }
    }
    if (!st) {
        std::fprintf(stderr, "kiln analyze: %s\n", st.error().message.c_str());
        return 1;
    }
    const bool to_stdout = args.json == "-" || args.report == "-";
    if (!to_stdout) {
        std::ostringstream s;
        analyzer::write_anomalies_text(report, s);
        std::fputs(s.str().c_str(), stdout);
    }
    for (const auto& w : written)
        if (w != "-") std::fprintf(stderr, "wrote %s\n", w.c_str());
    return 0;
}

}  // namespace kiln::tools
