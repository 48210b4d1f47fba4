// `kiln diff BASE NEW`: what changed between two profiles (recordings or pprof files), with
// significance, as a differential flame graph, a pprof diff, a Markdown/JSON report and a CI
// gate. Exit status: 0 no significant regression past --fail-above (or no gate asked),
// 1 the gate failed, 2 errors.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "analyzer/diff/diff_input.h"
#include "analyzer/diff/diff_outputs.h"
#include "analyzer/diff/differ.h"
#include "analyzer/diff/diff_report.h"
#include "analyzer/output/flame_svg.h"
#include "analyzer/output/pprof_writer.h"
#include "analyzer/report/html_page.h"
#include "analyzer/report/report_document.h"
#include "analyzer/views/view_registry.h"
#include "tools/commands.h"
#include "tools/text_output.h"

namespace kiln::tools {

namespace {

struct DiffArgs {
    std::vector<std::string> positional;  // BASE NEW
    std::vector<std::string> base, now;   // --base F..., --new F...
    std::string view, svg, pprof, report, html, correction = "holm";
    double fail_above = -1;
    double alpha = 0.01;
    double min_share = 1.0;  // percent
    std::string symfs;
    std::vector<std::string> debug_dirs;
    bool no_debuginfod = false;
};

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int fail(const std::string& message) {
    std::fprintf(stderr, "kiln diff: %s\n", message.c_str());
    return 2;
}

Result<std::vector<analyzer::ProfileRun>> load_side(const std::vector<std::string>& paths, const analyzer::LoadOptions& opt) {
    std::vector<analyzer::ProfileRun> runs;
    for (const auto& p : paths) {
        auto r = analyzer::load_run(p, opt);
        if (!r) return r.error();
        for (const auto& w : r->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
        runs.push_back(std::move(*r));
    }
    return runs;
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// The one-line verdict of the HTML page: the gate's, else what the report lists.
std::string verdict_of(const analyzer::DiffResult& d, const analyzer::GateResult* gate) {
    std::vector<analyzer::ReportEntry> regressions, improvements;
    analyzer::classify_changes(d, regressions, improvements);
    std::string out;
    if (gate) {
        out = gate->failed ? "gate failed: " + std::to_string(gate->culprits.size()) +
                                 " function(s) grew significantly beyond the threshold"
                           : "gate passed";
        for (size_t i = 0; gate->failed && i < gate->culprits.size() && i < 5; ++i)
            out += (i ? ", " : " (") + gate->culprits[i]->name + (i + 1 == std::min<size_t>(gate->culprits.size(), 5) ? ")" : "");
        out += "; ";
    }
    out += std::to_string(regressions.size()) + " significant regression(s), " + std::to_string(improvements.size()) +
           " improvement(s)";
    if (!regressions.empty()) out += "; largest: " + regressions.front().function->name;
    return out;
}

// --html PATH: the differential flame graph (NEW's shape) and the significance table in one page.
Status write_html(const DiffArgs& args, const std::vector<analyzer::ProfileRun>& base,
                  const std::vector<analyzer::ProfileRun>& now, const analyzer::DiffResult& d,
                  const analyzer::GateResult* gate) {
    const analyzer::FlameNode tree = analyzer::build_diff_tree(base, now);
    const std::string title = "kiln diff: " + joined(args.base) + " vs " + joined(args.now);
    std::string command = "kiln diff";
    for (const auto& b : args.base) command += " --base " + b;
    for (const auto& n : args.now) command += " --new " + n;
    analyzer::ReportDocument doc("diff", title, joined(args.now), command, 0);
    analyzer::DiffPageInput in;
    in.base_name = joined(args.base);
    in.new_name = joined(args.now);
    in.result = &d;
    in.tree = &tree;
    in.verdict = verdict_of(d, gate);
    doc.set_diff(in);
    auto page = analyzer::render_report_page(title, doc.document());
    if (!page) return page.error();
    return write_text(args.html, *page);
}

int run_diff(DiffArgs args) {
    if (args.positional.size() == 1)
        return fail("give BASE and NEW (or --base F... --new F...); only " + args.positional[0] + " was given");
    if (args.positional.size() == 2) {
        args.base.insert(args.base.begin(), args.positional[0]);
        args.now.insert(args.now.begin(), args.positional[1]);
    }
    if (args.base.empty() || args.now.empty())
        return fail("give BASE and NEW: two recordings or pprof files, or --base F... --new F...");
    analyzer::DiffOptions dopt;
    if (!analyzer::parse_correction(args.correction, dopt.correction))
        return fail("--correction must be holm, bonferroni or bh, not " + args.correction);
    if (!(args.alpha > 0 && args.alpha < 1)) return fail("--alpha must lie between 0 and 1");
    dopt.alpha = args.alpha;
    if (!args.report.empty() && args.report != "-" && !ends_with(args.report, ".md") && !ends_with(args.report, ".json"))
        return fail("--report " + args.report + ": name it .md (Markdown) or .json");

    analyzer::LoadOptions lopt;
    lopt.view = args.view;
    lopt.analyze.locator.symfs = args.symfs;
    for (const auto& d : args.debug_dirs) lopt.analyze.locator.debug_dirs.push_back(d);
    lopt.analyze.locator.use_debuginfod = !args.no_debuginfod;
    auto base = load_side(args.base, lopt);
    if (!base) return fail(base.error().message);
    // Recordings without --view: NEW's recordings get the view BASE's first recording got.
    if (lopt.view.empty() && base->front().view != "pprof") lopt.view = base->front().view;
    auto now = load_side(args.now, lopt);
    if (!now) return fail(now.error().message);

    auto d = analyzer::diff_runs(*base, *now, dopt);
    if (!d) return fail(d.error().message);

    analyzer::GateResult gate;
    analyzer::DiffReportOptions ropt;
    if (args.fail_above >= 0) {
        gate = analyzer::apply_gate(*d, {args.fail_above, args.min_share / 100});
        ropt.gate = &gate;
    }
    std::vector<std::string> written;
    std::ostringstream md;
    analyzer::write_diff_markdown(*d, ropt, md);
    if (!args.report.empty()) {
        std::ostringstream s;
        if (ends_with(args.report, ".json")) analyzer::write_diff_json(*d, ropt, s);
        else s << md.str();
        if (Status st = write_text(args.report, s.str()); !st) return fail(st.error().message);
        if (args.report != "-") written.push_back(args.report);
    }
    if (!args.svg.empty()) {
        analyzer::FlameNode tree = analyzer::build_diff_tree(*base, *now);
        analyzer::FlameSvgOptions o;
        o.title = "kiln differential flame graph";
        o.subtitle = d->type.type + " (" + d->type.unit + ") · NEW's shape (" + std::to_string(d->new_count) +
                     " samples), red grew and blue shrank since BASE (" + std::to_string(d->base_count) + " samples)";
        o.unit = d->type.unit;
        o.differential = true;
        std::ostringstream s;
        analyzer::write_flame_svg(tree, o, s);
        if (Status st = write_text(args.svg, s.str()); !st) return fail(st.error().message);
        if (args.svg != "-") written.push_back(args.svg);
    }
    if (!args.html.empty()) {
        if (Status st = write_html(args, *base, *now, *d, ropt.gate); !st) return fail(st.error().message);
        if (args.html != "-") written.push_back(args.html);
    }
    if (!args.pprof.empty()) {
        if (Status st = analyzer::write_pprof(analyzer::build_diff_pprof(*base, *now), args.pprof); !st)
            return fail(st.error().message);
        if (args.pprof != "-") written.push_back(args.pprof);
    }
    if (args.report != "-") std::fputs(md.str().c_str(), stdout);
    for (const auto& w : written) std::fprintf(stderr, "wrote %s\n", w.c_str());
    if (ropt.gate && gate.failed) {
        std::fprintf(stderr, "kiln diff: gate failed: %zu function(s) grew significantly by more than %g%%\n",
                     gate.culprits.size(), args.fail_above);
        return 1;
    }
    return 0;
}

}  // namespace

Runner add_diff_command(CLI::App& app) {
    auto args = std::make_shared<DiffArgs>();
    CLI::App* cmd = app.add_subcommand("diff", kDiffSummary);
    cmd->add_option("profiles", args->positional, "BASE NEW: recordings or pprof files (any producer's)")
        ->expected(0, 2);
    cmd->add_option("--base", args->base, "More BASE runs (pooled; their spread widens the significance test)");
    cmd->add_option("--new", args->now, "More NEW runs (pooled)");
    cmd->add_option("--view", args->view,
                    "View to build from recordings: " + analyzer::view_name_list() + " (default: BASE's default view)");
    cmd->add_option("--svg", args->svg, "Write a differential flame graph (NEW's shape) to PATH (- for stdout)");
    cmd->add_option("--html", args->html,
                    "Write an HTML page to PATH: the differential flame graph (search, zoom, icicle) and the "
                    "significance table, offline in any browser");
    cmd->add_option("--pprof", args->pprof, "Write a pprof diff (BASE negated, as pprof -diff_base) to PATH");
    cmd->add_option("--report", args->report, "Write the report to PATH: .md (Markdown) or .json; - for Markdown on stdout");
    cmd->add_option("--fail-above", args->fail_above,
                    "Exit 1 when a function with at least --min-share of the total grew significantly by more than "
                    "PCT percent of its base share");
    cmd->add_option("--min-share", args->min_share, "Gate: only functions with at least this total share, in percent "
                                                    "(default 1)");
    cmd->add_option("--alpha", args->alpha, "Significance level after correction (default 0.01)");
    cmd->add_option("--correction", args->correction,
                    "Multiple-comparison correction: holm (default), bonferroni or bh (Benjamini-Hochberg)");
    cmd->add_option("--symfs", args->symfs, "Look for binaries under this root directory too");
    cmd->add_option("--debug-dir", args->debug_dirs, "Extra directory with a .build-id/ tree of debug files");
    cmd->add_flag("--no-debuginfod", args->no_debuginfod, "Do not ask debuginfod servers");
    return [args]() { return run_diff(*args); };
}

}  // namespace kiln::tools
