#include "tools/analyze_timeline.h"

#include <cstdio>
#include <sstream>

#include "analyzer/output/timeline_csv.h"
#include "analyzer/output/timeline_json.h"
#include "analyzer/output/timeline_svg.h"
#include "analyzer/output/timeline_text.h"
#include "analyzer/timeline/timeline_builder.h"
#include "analyzer/views/sample_filter.h"
#include "formats/recording_reader.h"
#include "tools/text_output.h"

namespace kiln::tools {

namespace {

// Flags to options; an error message (exit 2) when one is malformed.
Result<analyzer::TimelineOptions> timeline_options(const std::string& window, const std::string& time) {
    analyzer::TimelineOptions o;
    if (!window.empty()) {
        auto ns = analyzer::parse_duration_ns(window, "--window");
        if (!ns) return ns.error();
        if (*ns == 0) return make_error("--window: '" + window + "' is no time; give a duration such as 100ms or 1s");
        o.window_ns = *ns;
    }
    if (!time.empty()) {
        analyzer::SampleFilter range;
        KILN_TRY(analyzer::parse_time_range(time, range));
        o.start_s = range.start_s;
        o.end_s = range.end_s;
    }
    return o;
}

Status write_files(const analyzer::Timeline& t, const std::string& file, const std::string& json,
                   const std::string& csv, const std::string& svg, std::vector<std::string>& written) {
    if (!json.empty())
        KILN_TRY(write_stream_to(json, [&](std::ostream& o) { analyzer::write_timeline_json(t, o); }, written));
    if (!csv.empty()) KILN_TRY(write_stream_to(csv, [&](std::ostream& o) { analyzer::write_timeline_csv(t, o); }, written));
    if (!svg.empty()) {
        analyzer::TimelineSvgOptions o;
        o.subtitle = file;
        KILN_TRY(write_stream_to(svg, [&](std::ostream& out) { analyzer::write_timeline_svg(t, o, out); }, written));
    }
    return Status::success();
}

}  // namespace

int run_timeline(const TimelineArgs& args) {
    auto options = timeline_options(args.window, args.time);
    if (!options) {
        std::fprintf(stderr, "kiln analyze: %s\n", options.error().message.c_str());
        return 2;
    }
    auto reader = format::RecordingReader::open(args.file);
    if (!reader) {
        std::fprintf(stderr, "kiln analyze: %s\n", reader.error().message.c_str());
        return 1;
    }
    auto built = analyzer::build_timeline(**reader, *options);
    if (!built) {
        std::fprintf(stderr, "kiln analyze: %s\n", built.error().message.c_str());
        return 1;
    }
    for (const auto& w : built->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    const analyzer::Timeline& t = built->timeline;
    std::fprintf(stderr, "kiln analyze: timeline view: %zu windows, %zu series%s\n", t.windows.count, t.series.size(),
                 built->has_counters ? "" : " (no counters in this recording: sample series only)");
    std::vector<std::string> written;
    if (Status st = write_files(t, args.file, args.json, args.csv, args.svg, written); !st) {
        std::fprintf(stderr, "kiln analyze: %s\n", st.error().message.c_str());
        return 1;
    }
    if (args.json.empty() && args.csv.empty() && args.svg.empty()) {
        std::ostringstream s;
        analyzer::write_timeline_text(t, s);
        std::fputs(s.str().c_str(), stdout);
    }
    for (const auto& w : written)
        if (w != "-") std::fprintf(stderr, "wrote %s\n", w.c_str());
    return 0;
}

std::string write_timeline_files(const std::string& file, const std::string& window, const std::string& time,
                                 const std::string& dir, std::vector<std::string>& written) {
    auto options = timeline_options(window, time);
    if (!options) return options.error().message;
    auto reader = format::RecordingReader::open(file);
    if (!reader) return reader.error().message;
    auto built = analyzer::build_timeline(**reader, *options);
    if (!built || !built->has_counters) return "";  // the profile views are what this recording holds
    const std::string base = dir + "/timeline";
    Status st = write_files(built->timeline, file, base + ".json", base + ".csv", base + ".svg", written);
    return st ? "" : st.error().message;
}

}  // namespace kiln::tools
