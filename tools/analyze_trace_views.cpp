#include "tools/analyze_trace_views.h"

#include <cstdio>
#include <functional>
#include <sstream>

#include "analyzer/output/trace_report_json.h"
#include "analyzer/output/trace_report_text.h"
#include "analyzer/sched/trace_pass.h"
#include "formats/recording_reader.h"
#include "tools/text_output.h"

namespace kiln::tools {

namespace {

using analyzer::TraceView;

TraceView view_of(const std::string& name) {
    return name == "sched" ? TraceView::kSched : name == "syscalls" ? TraceView::kSyscalls : TraceView::kPortrait;
}

struct Writers {
    std::function<void(std::ostream&)> text, json, csv;
};

Writers writers_for(TraceView view, const analyzer::TracePass& pass, const format::RecordingHeader& header,
                    const analyzer::SampleFilter& rows) {
    const analyzer::TraceReportInput in = pass.input(header, rows);
    switch (view) {
        case TraceView::kSched: {
            auto r = std::make_shared<analyzer::SchedReport>(analyzer::build_sched_report(in));
            return {[r](std::ostream& o) { analyzer::write_sched_text(*r, o); },
                    [r](std::ostream& o) { analyzer::write_sched_json(*r, o); },
                    [r](std::ostream& o) { analyzer::write_sched_csv(*r, o); }};
        }
        case TraceView::kSyscalls: {
            auto r = std::make_shared<analyzer::SyscallsReport>(analyzer::build_syscalls_report(in));
            return {[r](std::ostream& o) { analyzer::write_syscalls_text(*r, o); },
                    [r](std::ostream& o) { analyzer::write_syscalls_json(*r, o); },
                    [r](std::ostream& o) { analyzer::write_syscalls_csv(*r, o); }};
        }
        case TraceView::kPortrait: break;
    }
    auto r = std::make_shared<analyzer::PortraitReport>(analyzer::build_portrait_report(in));
    return {[r](std::ostream& o) { analyzer::write_portrait_text(*r, o); },
            [r](std::ostream& o) { analyzer::write_portrait_json(*r, o); },
            [r](std::ostream& o) { analyzer::write_portrait_csv(*r, o); }};
}


}  // namespace

bool is_trace_view(const std::string& view) { return view == "sched" || view == "syscalls" || view == "portrait"; }

int run_trace_view(const TraceViewArgs& args) {
    auto reader = format::RecordingReader::open(args.file);
    if (!reader) {
        std::fprintf(stderr, "kiln analyze: %s\n", reader.error().message.c_str());
        return 1;
    }
    analyzer::TracePassOptions options;
    options.filter = args.filter;
    options.trace.last_syscalls = args.view == "syscalls" ? args.last : 0;
    const TraceView view = view_of(args.view);
    auto pass = analyzer::run_trace_pass(**reader, view, options);
    if (!pass) {
        std::fprintf(stderr, "kiln analyze: %s\n", pass.error().message.c_str());
        return 1;
    }
    for (const auto& w : pass->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    const Writers w = writers_for(view, *pass, (*reader)->header(), args.filter);
    std::vector<std::string> written;
    Status st = Status::success();
    if (!args.json.empty()) st = write_stream_to(args.json, w.json, written);
    if (st && !args.csv.empty()) st = write_stream_to(args.csv, w.csv, written);
    if (!st) {
        std::fprintf(stderr, "kiln analyze: %s\n", st.error().message.c_str());
        return 1;
    }
    if (args.json.empty() && args.csv.empty()) {
        std::ostringstream s;
        w.text(s);
        std::fputs(s.str().c_str(), stdout);
    }
    for (const auto& p : written)
        if (p != "-") std::fprintf(stderr, "wrote %s\n", p.c_str());
    return 0;
}

std::string write_trace_view_files(const std::string& file, const analyzer::SampleFilter& filter,
                                   const std::string& dir, std::vector<std::string>& written) {
    auto reader = format::RecordingReader::open(file);
    if (!reader) return reader.error().message;
    analyzer::TracePassOptions options;
    options.filter = filter;
    // One pass serves the three: portrait asks for nothing the others lack.
    auto pass = analyzer::run_trace_pass(**reader, TraceView::kPortrait, options);
    if (!pass) return "";  // nothing the portrait could use: the profile views are what it holds
    const auto& c = *pass->collector;
    if (!c.has_sched() && !c.has_syscalls()) return "";
    for (const TraceView v : {TraceView::kSched, TraceView::kSyscalls, TraceView::kPortrait}) {
        if ((v == TraceView::kSched && !c.has_sched()) || (v == TraceView::kSyscalls && !c.has_syscalls())) continue;
        const char* name = v == TraceView::kSched ? "sched" : v == TraceView::kSyscalls ? "syscalls" : "portrait";
        const Writers w = writers_for(v, *pass, (*reader)->header(), filter);
        if (Status st = write_stream_to(dir + "/" + name + ".json", w.json, written); !st) return st.error().message;
    }
    return "";
}

}  // namespace kiln::tools
