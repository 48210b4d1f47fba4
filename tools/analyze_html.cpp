#include "tools/analyze_html.h"

#include <algorithm>
#include <cstdio>

#include "analyzer/anomaly/anomaly_report.h"
#include "analyzer/anomaly/counter_anomalies.h"
#include "analyzer/profile/flame_tree.h"
#include "analyzer/report/html_page.h"
#include "analyzer/report/report_document.h"
#include "analyzer/timeline/timeline_builder.h"
#include "analyzer/views/view_registry.h"
#include "formats/recording_reader.h"
#include "formats/recording_summary.h"
#include "tools/recording_info.h"
#include "tools/text_output.h"
#include "tools/unwind_report.h"

namespace kiln::tools {

namespace {

// The views whose samples are taken at a moment, so the heat map and a chosen range apply.
constexpr const char* kTimedViews[] = {"cpu", "faults", "probes"};
// The counter charts hold at most this many points per series (the window grows with length).
constexpr uint64_t kMaxCounterPoints = 3000;

std::string unit_of(const analyzer::Analysis& a) {
    const auto& types = a.profile.sample_types;
    const size_t i = static_cast<size_t>(a.profile.default_sample_type);
    return i < types.size() ? types[i].unit : "count";
}

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

std::string write_html_report(const HtmlReportArgs& args, std::vector<std::string>& written) {
    auto reader = format::RecordingReader::open(args.file);
    if (!reader) return reader.error().message;
    const auto& header = (*reader)->header();
    std::vector<std::string> views = analyzer::available_views(header);
    if (views.empty()) return args.file + ": no view applies to the events of this recording";
    std::string timed;
    for (const char* v : kTimedViews)
        if (timed.empty() && std::find(views.begin(), views.end(), v) != views.end()) timed = v;
    analyzer::AnalyzeOptions opt = args.analyze;
    if (!timed.empty()) opt.window_views = {timed};
    auto analyses = analyzer::analyze_views(**reader, opt, views);
    if (!analyses) return analyses.error().message;

    const analyzer::Analysis& first = analyses->front();
    const double duration_s = static_cast<double>(first.profile.duration_nanos) / 1e9;
    analyzer::ReportDocument doc("analyze", "kiln report: " + base_name(args.file), args.file, args.command, duration_s);
    std::vector<std::string> warnings;
    for (const auto& a : *analyses)
        for (const auto& w : a.warnings)
            if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(w);
    if (first.lost) warnings.push_back(std::to_string(first.lost) + " samples were lost while recording");
    for (size_t i = 0; i < views.size(); ++i) {
        const analyzer::Analysis& a = (*analyses)[i];
        const auto* info = analyzer::find_view(views[i]);
        const size_t value = static_cast<size_t>(a.profile.default_sample_type);
        doc.add_view(views[i], info ? std::string(info->description) : "", unit_of(a),
                     analyzer::build_flame_tree(a.profile, value));
    }
    if (auto unwind = unwind_summary(first); unwind.stacks > 0) doc.set_unwind(unwind);

    // The heat map's cells, and the anomalies view's ranges from the same per-bucket stacks.
    uint64_t counter_window_ns = 0;
    std::optional<analyzer::AnomalyReport> anomalies;
    for (size_t i = 0; i < views.size(); ++i) {
        analyzer::Analysis& a = (*analyses)[i];
        if (views[i] != timed || !a.windows) continue;
        doc.set_timeline(timed, *a.windows);
        if (timed == "cpu" && a.windows->samples > 0) {
            const uint64_t end_ns =
                a.profile.duration_nanos > 0 ? header.start_time_ns + static_cast<uint64_t>(a.profile.duration_nanos)
                                             : a.windows->start_ns + a.windows->bucket_end() * a.windows->bucket_ns;
            anomalies = analyzer::find_anomalies(std::move(*a.windows), end_ns, {});
            counter_window_ns = anomalies->window_ns;
        }
    }
    // The counter series (a pass of their own): at the anomalies' windows when judged, so a
    // counter range and its chart agree.
    if (auto again = format::RecordingReader::open(args.file)) {
        analyzer::TimelineOptions t;
        const uint64_t length_ns = static_cast<uint64_t>(std::max<int64_t>(first.profile.duration_nanos, 0));
        t.window_ns = counter_window_ns ? counter_window_ns
                                        : std::max(analyzer::kDefaultTimelineWindowNs, length_ns / kMaxCounterPoints);
        t.per_process = false;
        t.rss_processes = analyzer::kAnomalyRssProcesses;
        if (auto built = analyzer::build_timeline(**again, t); built && built->has_counters) {
            if (anomalies) analyzer::add_counter_anomalies(*anomalies, built->timeline, anomalies->sensitivity);
            doc.set_counters(built->timeline);
        }
    }
    if (anomalies) doc.set_anomalies(*anomalies);

    if (auto again = format::RecordingReader::open(args.file)) {
        if (auto summary = format::summarize(**again)) {
            doc.set_info(recording_info_rows(*summary, (*again)->version_major(), (*again)->version_minor()));
            for (const auto& w : summary->warnings)
                if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(w);
        }
    }
    for (const auto& w : warnings) doc.add_warning(w);

    auto page = analyzer::render_report_page("kiln report: " + base_name(args.file), doc.document());
    if (!page) return page.error().message;
    if (Status st = write_text(args.path, *page); !st) return st.error().message;
    written.push_back(args.path);
    return "";
}

}  // namespace kiln::tools
