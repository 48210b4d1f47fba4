// `kiln analyze FILE`: symbolized profiles of a recording as flame graphs, pprof, folded
// stacks and a top table.
#include <malloc.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "analyzer/analyze.h"
#include "analyzer/output/flame_svg.h"
#include "analyzer/output/folded_writer.h"
#include "analyzer/output/pprof_writer.h"
#include "analyzer/output/speedscope_writer.h"
#include "analyzer/output/top_table.h"
#include "analyzer/profile/flame_tree.h"
#include "analyzer/views/view_registry.h"
#include "formats/recording_reader.h"
#include "tools/analyze_perfetto.h"
#include "tools/analyze_timeline.h"
#include "tools/analyze_trace_views.h"
#include "tools/analyze_anomalies.h"
#include "tools/analyze_html.h"
#include "tools/commands.h"
#include "tools/text_output.h"
#include "tools/unwind_report.h"

namespace kiln::tools {

namespace {

// Gives the heap's free memory back to the kernel (malloc_trim): between passes over the
// recording, so that one pass's freed memory does not stay resident through the next.
void release_freed_memory() { ::malloc_trim(0); }

struct AnalyzeArgs {
    std::string file;
    std::string view;  // empty: the recording's default view (the first it has data for)
    std::string folded, svg, pprof, speedscope, out_dir, time, min_block;
    std::string window, json, csv;  // the timeline's (json and csv: sched, syscalls, portrait too)
    size_t last = 0;                // syscalls: each thread's last N calls
    std::string sensitivity, baseline_time, baseline_file, report;  // anomalies
    std::string perfetto;           // --perfetto PATH
    std::string html;               // --html PATH: the HTML report
    size_t top = 0;
    bool top_given = false;
    std::vector<int32_t> pids, tids;
    std::vector<std::string> comms;
    std::string symfs;
    std::vector<std::string> debug_dirs;
    bool no_debuginfod = false;
    bool libunwind_only = false;
};

std::string svg_subtitle(const analyzer::Analysis& a, const std::string& view, const std::string& file) {
    const auto& type = a.profile.sample_types.at(static_cast<size_t>(a.profile.default_sample_type));
    std::ostringstream s;
    s << view << " (" << type.type << ", " << type.unit << ") · " << a.samples_kept << " samples · " << file;
    return s.str();
}

Status write_outputs(const analyzer::Analysis& a, const AnalyzeArgs& args, const std::string& view,
                     const std::string& folded, const std::string& svg, const std::string& pprof,
                     std::vector<std::string>& written) {
    const size_t value = static_cast<size_t>(a.profile.default_sample_type);
    if (!folded.empty() || !svg.empty()) {
        analyzer::FlameNode tree = analyzer::build_flame_tree(a.profile, value);
        if (!folded.empty()) {
            std::ostringstream s;
            analyzer::write_folded(tree, s);
            KILN_TRY(write_text(folded, s.str()));
            written.push_back(folded);
        }
        if (!svg.empty()) {
            analyzer::FlameSvgOptions o;
            o.title = "kiln " + view + " flame graph";
            o.subtitle = svg_subtitle(a, view, args.file);
            o.unit = a.profile.sample_types[value].unit;
            std::ostringstream s;
            analyzer::write_flame_svg(tree, o, s);
            KILN_TRY(write_text(svg, s.str()));
            written.push_back(svg);
        }
    }
    if (!pprof.empty()) {
        KILN_TRY(analyzer::write_pprof(a.profile, pprof));
        written.push_back(pprof);
    }
    return Status::success();
}

// The view's summary and warnings. With several views of one pass (-o DIR), what belongs to
// the pass (losses, unwinding, the recording's warnings) is said once, with the first.
void report(const analyzer::Analysis& a, const std::string& view, bool first_view,
            std::set<std::string>& warned) {
    for (const auto& w : a.warnings)
        if (warned.insert(w).second) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::fprintf(stderr, "kiln analyze: %s view: %llu samples", view.c_str(),
                 static_cast<unsigned long long>(a.samples_kept));
    if (a.samples_kept != a.samples_seen)
        std::fprintf(stderr, " (of %llu; the rest filtered out)", static_cast<unsigned long long>(a.samples_seen));
    std::fprintf(stderr, ", %zu distinct stacks\n", a.distinct_stacks);
    if (first_view && a.lost)
        std::fprintf(stderr, "warning: %llu samples were lost while recording\n", static_cast<unsigned long long>(a.lost));
    if (first_view) print_unwind_report(unwind_summary(a));
    int64_t total = 0;
    for (const auto& s : a.profile.samples) total += s.values.empty() ? 0 : s.values[0];
    for (const auto& b : a.binaries) {
        if (!b.status.damage.empty()) {
            const std::string where = b.status.found_at == b.status.path ? "" : " (found at " + b.status.found_at + ")";
            std::fprintf(stderr, "warning: %s%s is damaged: %s; its frames may be unnamed or its stacks cut short\n",
                         b.status.path.c_str(), where.c_str(), b.status.damage.c_str());
        }
        if (b.status.problem.empty()) continue;
        const double pct = total ? 100.0 * static_cast<double>(b.samples) / static_cast<double>(total) : 0.0;
        std::fprintf(stderr, "warning: %s: %s; %lld samples (%.1f%%) show its frames as %s+0xOFFSET\n",
                     b.status.path.c_str(), b.status.problem.c_str(), static_cast<long long>(b.samples), pct,
                     b.status.path.substr(b.status.path.rfind('/') + 1).c_str());
    }
}

analyzer::PerfettoOptions perfetto_options(const AnalyzeArgs& args) {
    analyzer::PerfettoOptions o;
    o.locator.symfs = args.symfs;
    for (const auto& d : args.debug_dirs) o.locator.debug_dirs.push_back(d);
    o.locator.use_debuginfod = !args.no_debuginfod;
    o.libunwind_only = args.libunwind_only;
    return o;
}

// --perfetto PATH; true when written (or not asked for).
bool write_perfetto_option(const AnalyzeArgs& args) {
    if (args.perfetto.empty()) return true;
    if (!args.pids.empty() || !args.tids.empty() || !args.comms.empty() || !args.time.empty())
        std::fprintf(stderr, "kiln analyze: note: --pid, --tid, --comm and --time do not apply to --perfetto (the "
                             "trace holds the whole recording; Perfetto filters it)\n");
    std::vector<std::string> written;
    if (std::string err = write_perfetto_trace(args.file, perfetto_options(args), args.perfetto, false, written);
        !err.empty()) {
        std::fprintf(stderr, "kiln analyze: %s\n", err.c_str());
        return false;
    }
    for (const auto& w : written) std::fprintf(stderr, "wrote %s\n", w.c_str());
    return true;
}

// The timeline is a report of series, not a profile: its own builder and writers.
int run_timeline_view(const AnalyzeArgs& args) {
    const char* profile_only = !args.folded.empty() ? "--folded"
                               : !args.pprof.empty() ? "--pprof"
                               : !args.speedscope.empty() ? "--speedscope"
                               : args.top_given      ? "--top"
                               : !args.min_block.empty() ? "--min-block"
                               : !args.pids.empty() || !args.tids.empty() || !args.comms.empty() ? "--pid/--tid/--comm"
                                                                                                 : nullptr;
    if (profile_only) {
        std::fprintf(stderr,
                     "kiln analyze: %s applies to the profile views, not to --view timeline (which takes --window, "
                     "--time, --json, --csv and --svg)\n",
                     profile_only);
        return 2;
    }
    return run_timeline({args.file, args.window, args.time, args.json, args.csv, args.svg});
}

// The view's per-thread timelines as speedscope's evented JSON, named after the file written
// (speedscope titles its page with the name).
Status write_timelines(const analyzer::Analysis& a, const std::string& view, const std::string& path,
                       std::vector<std::string>& written) {
    if (!a.timelines) return make_error("no timelines of the " + view + " view were collected");
    analyzer::SpeedscopeOptions o;
    o.name = path == "-" ? view + " view of the recording" : path.substr(path.rfind('/') + 1);
    o.exporter = "kiln analyze --view " + view;
    KILN_TRY(analyzer::write_speedscope(*a.timelines, o, path));
    written.push_back(path);
    return Status::success();
}

// sched, syscalls and portrait are reports of rows: the trace pass and its writers.
int run_trace_view_command(const AnalyzeArgs& args) {
    const char* not_here = !args.folded.empty() ? "--folded"
                           : !args.pprof.empty() ? "--pprof"
                           : !args.svg.empty()   ? "--svg"
                           : !args.speedscope.empty() ? "--speedscope"
                           : args.top_given      ? "--top"
                           : !args.window.empty() ? "--window"
                           : !args.min_block.empty() ? "--min-block"
                           : args.last && args.view != "syscalls" ? "--last"
                                                                  : nullptr;
    if (not_here) {
        std::fprintf(stderr,
                     "kiln analyze: %s does not apply to --view %s (which takes --time, --pid, --tid, --comm, --json "
                     "and --csv%s)\n",
                     not_here, args.view.c_str(), args.view == "syscalls" ? ", --last" : "");
        return 2;
    }
    TraceViewArgs t;
    t.file = args.file;
    t.view = args.view;
    t.json = args.json;
    t.csv = args.csv;
    t.last = args.last;
    t.filter.pids = args.pids;
    t.filter.tids = args.tids;
    t.filter.comms = args.comms;
    if (!args.time.empty())
        if (Status st = analyzer::parse_time_range(args.time, t.filter); !st) {
            std::fprintf(stderr, "kiln analyze: %s\n", st.error().message.c_str());
            return 2;
        }
    return run_trace_view(t);
}

// The filters, binary lookup and unwinding flags as AnalyzeOptions; an error (exit 2) when
// --time or --min-block is malformed.
Result<analyzer::AnalyzeOptions> analyze_options(const AnalyzeArgs& args) {
    analyzer::AnalyzeOptions opt;
    opt.filter.pids = args.pids;
    opt.filter.tids = args.tids;
    opt.filter.comms = args.comms;
    if (!args.time.empty()) KILN_TRY(analyzer::parse_time_range(args.time, opt.filter));
    if (!args.min_block.empty()) {
        auto ns = analyzer::parse_duration_ns(args.min_block, "--min-block");
        if (!ns) return ns.error();
        opt.min_block_ns = *ns;
    }
    opt.locator.symfs = args.symfs;
    for (const auto& d : args.debug_dirs) opt.locator.debug_dirs.push_back(d);
    opt.locator.use_debuginfod = !args.no_debuginfod;
    opt.libunwind_only = args.libunwind_only;
    return opt;
}

// The anomalies view: the cpu view's samples per window, judged by the stack detector.
int run_anomalies_command(const AnalyzeArgs& args) {
    const char* not_here = !args.folded.empty() ? "--folded"
                           : !args.pprof.empty() ? "--pprof"
                           : !args.svg.empty()   ? "--svg"
                           : !args.speedscope.empty() ? "--speedscope"
                           : args.top_given      ? "--top"
                           : !args.csv.empty()   ? "--csv"
                           : args.last           ? "--last"
                           : !args.min_block.empty() ? "--min-block"
                                                     : nullptr;
    if (not_here) {
        std::fprintf(stderr,
                     "kiln analyze: %s does not apply to --view anomalies (which takes --window, --sensitivity, "
                     "--baseline, --baseline-time, --report, --json, -o DIR and the sample filters)\n",
                     not_here);
        return 2;
    }
    AnomalyArgs a;
    a.file = args.file;
    a.window = args.window;
    a.sensitivity = args.sensitivity;
    a.baseline_time = args.baseline_time;
    a.baseline_file = args.baseline_file;
    a.json = args.json;
    a.report = args.report;
    a.out_dir = args.out_dir;
    auto options = analyze_options(args);
    if (!options) {
        std::fprintf(stderr, "kiln analyze: %s\n", options.error().message.c_str());
        return 2;
    }
    a.analyze = std::move(*options);
    return run_anomalies(a);
}

// --html PATH or DIR/report.html: the HTML report, a pass of its own with the profile filters.
bool write_html_option(const AnalyzeArgs& args, const std::string& path, std::vector<std::string>& written) {
    HtmlReportArgs h;
    h.file = args.file;
    h.path = path;
    h.command = "kiln analyze " + args.file;
    for (int32_t p : args.pids) h.command += " --pid " + std::to_string(p);
    for (int32_t t : args.tids) h.command += " --tid " + std::to_string(t);
    for (const auto& c : args.comms) h.command += " --comm " + c;
    if (!args.time.empty()) h.command += " --time " + args.time;
    if (!args.min_block.empty()) h.command += " --min-block " + args.min_block;
    auto options = analyze_options(args);
    if (!options) {
        std::fprintf(stderr, "kiln analyze: %s\n", options.error().message.c_str());
        return false;
    }
    h.analyze = std::move(*options);
    if (std::string err = write_html_report(h, written); !err.empty()) {
        std::fprintf(stderr, "kiln analyze: --html: %s\n", err.c_str());
        return false;
    }
    return true;
}

int run_analyze(const AnalyzeArgs& args) {
    if (!args.html.empty() && (args.view == "timeline" || is_trace_view(args.view))) {
        std::fprintf(stderr, "kiln analyze: --html writes the whole report (every view, the timeline); give it "
                             "without --view %s\n", args.view.c_str());
        return 2;
    }
    if (args.view == "anomalies" && !args.html.empty()) {
        std::fprintf(stderr, "kiln analyze: --html writes the whole report, the anomalous ranges with the rest; give "
                             "it without --view anomalies\n");
        return 2;
    }
    if (args.view == "anomalies") return run_anomalies_command(args);
    if (!args.sensitivity.empty() || !args.baseline_time.empty() || !args.baseline_file.empty() || !args.report.empty()) {
        std::fprintf(stderr, "kiln analyze: --sensitivity, --baseline, --baseline-time and --report belong to --view anomalies\n");
        return 2;
    }
    // --perfetto is a pass of its own; alone (no other output asked for), it is all that runs.
    const bool other_output = !args.folded.empty() || !args.svg.empty() || !args.pprof.empty() ||
                              !args.speedscope.empty() || !args.out_dir.empty() || !args.json.empty() ||
                              !args.csv.empty() || args.top_given || args.last;
    if (!args.perfetto.empty() && !other_output && args.html.empty()) return write_perfetto_option(args) ? 0 : 1;
    // --html alone (with --perfetto or not) is its own pass: the profile views are not written.
    if (!args.html.empty() && !other_output) {
        std::vector<std::string> written;
        if (!write_html_option(args, args.html, written) || !write_perfetto_option(args)) return 1;
        for (const auto& w : written)
            if (w != "-") std::fprintf(stderr, "wrote %s\n", w.c_str());
        return 0;
    }
    if (args.view == "timeline" && args.out_dir.empty()) {
        if (!write_perfetto_option(args)) return 1;
        return run_timeline_view(args);
    }
    if (is_trace_view(args.view) && args.out_dir.empty()) {
        if (!write_perfetto_option(args)) return 1;
        return run_trace_view_command(args);
    }
    if (args.last) {
        std::fprintf(stderr, "kiln analyze: --last belongs to --view syscalls\n");
        return 2;
    }
    if ((!args.window.empty() && args.out_dir.empty()) || !args.json.empty() || !args.csv.empty()) {
        std::fprintf(stderr, "kiln analyze: --window belongs to --view timeline (also to -o DIR's timeline files); "
                             "--json and --csv to the timeline, sched, syscalls and portrait views\n");
        return 2;
    }
    if (!args.window.empty()) {  // a bad --window fails before the long pass of -o DIR
        if (auto ns = analyzer::parse_duration_ns(args.window, "--window"); !ns || *ns == 0) {
            std::fprintf(stderr, "kiln analyze: --window: '%s' is not a duration such as 100ms or 1s\n",
                         args.window.c_str());
            return 2;
        }
    }
    auto options = analyze_options(args);
    if (!options) {
        std::fprintf(stderr, "kiln analyze: %s\n", options.error().message.c_str());
        return 2;
    }
    analyzer::AnalyzeOptions opt = std::move(*options);

    auto reader = format::RecordingReader::open(args.file);
    if (!reader) {
        std::fprintf(stderr, "kiln analyze: %s\n", reader.error().message.c_str());
        return 1;
    }
    std::vector<std::string> views{args.view};
    if (!args.out_dir.empty() || args.view.empty()) {
        if (args.out_dir.empty()) {
            views = {analyzer::default_view((*reader)->header())};
        } else {
            views = analyzer::available_views((*reader)->header());
            if (views.empty()) {
                std::fprintf(stderr, "kiln analyze: %s: no view applies to the events of this recording\n",
                             args.file.c_str());
                return 1;
            }
            if (mkdir(args.out_dir.c_str(), 0755) != 0 && errno != EEXIST) {
                std::fprintf(stderr, "kiln analyze: cannot create %s: %s\n", args.out_dir.c_str(),
                             std::strerror(errno));
                return 1;
            }
        }
    }
    // Timelines: of the view asked for with --speedscope, and of the cpu view for DIR/cpu.speedscope.json.
    std::string speedscope_view;
    if (!args.speedscope.empty()) {
        if (args.view == "timeline") {
            std::fprintf(stderr, "kiln analyze: --speedscope writes a profile view (cpu, faults or probes), not the "
                                 "timeline report\n");
            return 2;
        }
        speedscope_view = args.view.empty() ? analyzer::default_view((*reader)->header()) : args.view;
        if (std::find(views.begin(), views.end(), speedscope_view) == views.end()) views.push_back(speedscope_view);
        opt.timeline_views.push_back(speedscope_view);
    }
    if (!args.out_dir.empty() && std::find(views.begin(), views.end(), "cpu") != views.end())
        opt.timeline_views.push_back("cpu");
    const bool any_output = !args.folded.empty() || !args.svg.empty() || !args.pprof.empty() ||
                            !args.speedscope.empty() || !args.out_dir.empty();
    std::vector<std::string> written;
    std::set<std::string> warned;
    // Every view in one pass over the recording (decoded and unwound once).
    auto analyses = analyzer::analyze_views(**reader, opt, views);
    if (!analyses) {
        std::fprintf(stderr, "kiln analyze: %s\n", analyses.error().message.c_str());
        return 1;
    }
    for (size_t i = 0; i < views.size(); ++i) {
        const std::string& view = views[i];
        const analyzer::Analysis* a = &(*analyses)[i];
        report(*a, view, i == 0, warned);
        Status st = write_outputs(*a, args, view, args.folded, args.svg, args.pprof, written);
        if (st && view == speedscope_view) st = write_timelines(*a, view, args.speedscope, written);
        if (st && !args.out_dir.empty()) {
            const std::string base = args.out_dir + "/" + view;
            st = write_outputs(*a, args, view, base + ".folded", base + ".svg", base + ".pb.gz", written);
            if (st && view == "cpu") st = write_timelines(*a, view, base + ".speedscope.json", written);
        }
        if (!st) {
            std::fprintf(stderr, "kiln analyze: %s\n", st.error().message.c_str());
            return 1;
        }
        if (args.top_given || !any_output) {
            std::ostringstream s;
            analyzer::write_top(a->profile, static_cast<size_t>(a->profile.default_sample_type),
                                args.top_given ? args.top : 20, s);
            std::fputs(s.str().c_str(), stdout);
        }
    }
    // The passes below read the recording again, each on its own: what the views held is not
    // needed any more, and the memory goes back to the kernel (kiln-analyze keeps freed memory
    // otherwise; see kiln_analyze_main.cpp), so the peak is the largest pass, not their sum.
    analyses->clear();
    analyses->shrink_to_fit();
    release_freed_memory();
    if (!args.out_dir.empty()) {  // and the timeline, when the recording holds counters
        if (std::string err = write_timeline_files(args.file, args.window, args.time, args.out_dir, written);
            !err.empty()) {
            std::fprintf(stderr, "kiln analyze: %s\n", err.c_str());
            return 1;
        }
        release_freed_memory();
        // and sched/syscalls/portrait JSON, when it holds scheduler or syscall events
        if (std::string err = write_trace_view_files(args.file, opt.filter, args.out_dir, written); !err.empty()) {
            std::fprintf(stderr, "kiln analyze: %s\n", err.c_str());
            return 1;
        }
        release_freed_memory();
        // and the HTML report
        if (!write_html_option(args, args.out_dir + "/report.html", written)) return 1;
        release_freed_memory();
        // and a Perfetto trace, when the recording holds switches or counters
        if (std::string err = write_perfetto_trace(args.file, perfetto_options(args),
                                                   args.out_dir + "/trace.perfetto-trace", true, written);
            !err.empty()) {
            std::fprintf(stderr, "kiln analyze: %s\n", err.c_str());
            return 1;
        }
    }
    if (!args.html.empty() && !write_html_option(args, args.html, written)) return 1;
    if (!write_perfetto_option(args)) return 1;
    for (const auto& w : written)
        if (w != "-") std::fprintf(stderr, "wrote %s\n", w.c_str());
    return 0;
}

// "cpu, alloc, ... or wakeup", from the view registry.
std::string view_choices() {
    std::string out;
    std::vector<std::string_view> names;
    for (const auto& v : analyzer::view_registry()) names.push_back(v.name);
    for (const auto& v : analyzer::report_view_registry()) names.push_back(v.name);
    for (size_t i = 0; i < names.size(); ++i) (out += i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") += names[i];
    return out;
}

// The views with what each shows, its unit and how to record for it, for --help.
std::string views_help() {
    size_t width = 0;
    for (const auto& v : analyzer::view_registry()) width = std::max(width, v.name.size());
    for (const auto& v : analyzer::report_view_registry()) width = std::max(width, v.name.size());
    const std::string indent(2 + width + 2, ' ');
    std::string out = "Views (--view NAME; -o DIR writes each one the recording has data for):\n";
    for (const auto& v : analyzer::view_registry()) {
        out += "  " + std::string(v.name) + std::string(width + 2 - v.name.size(), ' ') + std::string(v.description) +
               "\n";
        out += indent + "value: " + std::string(v.unit) + "; record with: " +
               std::string(analyzer::how_to_record(v.needs)) + "\n";
    }
    for (const auto& v : analyzer::report_view_registry()) {
        out += "  " + std::string(v.name) + std::string(width + 2 - v.name.size(), ' ') + std::string(v.description) +
               "\n";
        out += indent + "value: " + std::string(v.unit) + "; record with: " + std::string(v.how_to_record) + "\n";
    }
    out += "\nThe timeline (--view timeline, --window DURATION, default 100ms; windows start at --time's start):\n"
           "  counters that accumulate (CPU ticks, PSI stall time, I/O bytes) are differenced between\n"
           "  consecutive snapshots and spread evenly over the time between them; a window gets the\n"
           "  time-weighted share. Gauges (load.running = procs_running, load.blocked, load.1min, RSS)\n"
           "  take the last snapshot taken before the window ends. The kernel updates load.1min only\n"
           "  every 5 s. samples, process.PID.oncpu (ns, clock events; the 64 busiest), faults, syscalls (entered, with\n"
           "  --syscalls) and offcpu (ns blocked,\n"
           "  sched_switch) come from the samples in each window. t_s is seconds from the recording's start.\n";
    return out;
}

}  // namespace

Runner add_analyze_command(CLI::App& app) {
    auto args = std::make_shared<AnalyzeArgs>();
    CLI::App* cmd = app.add_subcommand("analyze", kAnalyzeSummary);
    cmd->add_option("file", args->file, "Recording written by kiln record")->required();
    cmd->add_option("--view", args->view,
                    "View to build: " + view_choices() + " (default: the first of these the recording supports, "
                    "else cpu; see Views below)");
    cmd->add_option("--min-block", args->min_block,
                    "offcpu, hotcold, wakeup: leave out blocks shorter than DURATION (e.g. 1ms, 500us)");
    cmd->add_option("--folded", args->folded, "Write folded stacks to PATH (- for stdout)");
    cmd->add_option("--svg", args->svg, "Write an SVG flame graph (timeline: a chart of its series) to PATH (- for stdout)");
    cmd->add_option("--window", args->window, "timeline: window length (DURATION, e.g. 100ms, 1s; default 100ms)");
    cmd->add_option("--json", args->json, "timeline, sched, syscalls, portrait: write the view as JSON to PATH (- for stdout)");
    cmd->add_option("--csv", args->csv, "timeline, sched, syscalls, portrait: write the view as CSV to PATH (- for stdout)");
    cmd->add_option("--sensitivity", args->sensitivity, "anomalies: low, normal (default) or high");
    cmd->add_option("--baseline", args->baseline_file,
                    "anomalies: judge every window against recording FILE (a normal run) instead of the recording's past");
    cmd->add_option("--baseline-time", args->baseline_time,
                    "anomalies: judge every window against the windows in A,B (seconds) instead of the recording's past");
    cmd->add_option("--report", args->report, "anomalies: write the report to P.md (Markdown), P.json, or - (Markdown on stdout)");
    cmd->add_option("--last", args->last, "syscalls: list each thread's last N syscalls with arguments, return value and duration");
    cmd->add_option("--pprof", args->pprof, "Write a gzipped pprof profile to PATH (- for stdout)");
    cmd->add_option("--speedscope", args->speedscope,
                    "Write speedscope's evented JSON to PATH (- for stdout): a timeline per thread of the view's "
                    "stacks (cpu, faults or probes), ns from the recording's start; open it at "
                    "https://www.speedscope.app or with `speedscope PATH`, Time Order shows when each stack ran");
    cmd->add_option("--perfetto", args->perfetto,
                    "Write a Perfetto trace to PATH (- for stdout): scheduling per CPU, process tree, counters, "
                    "fork/exec/exit, CPU samples with stacks; open it in ui.perfetto.dev");
    cmd->add_option("--html", args->html,
                    "Write the HTML report to PATH (- for stdout): one offline page with the sub-second heat map "
                    "(drag a range to see its flame graph), counter charts, every view's flame graph with search, "
                    "zoom and icicle mode, the anomalous ranges, the top table, unwinding and the summary");
    cmd->add_option("--top", args->top, "Print the N functions with the highest self value")
        ->each([args](const std::string&) { args->top_given = true; });
    cmd->add_option("-o,--output-dir", args->out_dir, "Write every view this recording supports (svg, pprof, folded; "
                    "cpu.speedscope.json; timeline.json/csv/svg with counters; sched/syscalls/portrait.json with "
                    "--sched/--syscalls; trace.perfetto-trace with switches or counters; report.html) to DIR");
    cmd->add_option("--pid", args->pids, "Only samples of these processes")->delimiter(',');
    cmd->add_option("--tid", args->tids, "Only samples of these threads")->delimiter(',');
    cmd->add_option("--comm", args->comms, "Only samples of processes or threads with this name")->delimiter(',');
    cmd->add_option("--time", args->time, "Only samples in START,END (seconds from the start of the recording)");
    cmd->add_option("--symfs", args->symfs, "Look for binaries under this root directory too");
    cmd->add_option("--debug-dir", args->debug_dirs, "Extra directory with a .build-id/ tree of debug files");
    cmd->add_flag("--no-debuginfod", args->no_debuginfod, "Do not ask debuginfod servers even if DEBUGINFOD_URLS is set");
    cmd->add_flag("--libunwind-only", args->libunwind_only,
                  "Unwind -g dwarf stacks with libunwind alone, without kiln's cached-CFI fast path (slower; "
                  "for checking that both give the same stacks)");
    cmd->footer(views_help());
    return [args]() { return run_analyze(*args); };
}

}  // namespace kiln::tools
