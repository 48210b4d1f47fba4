// libFuzzer target: any bytes through the analyzer's pipeline (time ordering, process model,
// callchains, kernel/JIT symbol tables, profile building, folded output, per-thread stack
// timelines and their speedscope JSON), and through the
// timeline (COUNTERS snapshots, sample and off-CPU series, its text, JSON, CSV and SVG), through
// the sched, syscalls and portrait views (tracepoint payloads decoded through the formats the
// input stores, their reports and writers), and through the Perfetto export (its own pass, and
// the trace encoded in memory), and through the anomalies view (windows of the cpu view's
// stacks, the detector, kinds, reports), and through the inuse view (allocator probes, the
// allocation sampler's batches). It must never
// crash, hang or read out of bounds. Binaries are only looked for at the paths the input
// names (and must match its build-ids); no debug directories, no debuginfod.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <vector>

#include "analyzer/analyze.h"
#include "analyzer/anomaly/anomaly_report.h"
#include "analyzer/output/anomaly_writer.h"
#include "analyzer/output/perfetto_collector.h"
#include "analyzer/output/perfetto_writer.h"
#include "analyzer/output/timeline_csv.h"
#include "analyzer/output/trace_report_json.h"
#include "analyzer/output/trace_report_text.h"
#include "analyzer/sched/trace_pass.h"
#include "analyzer/output/timeline_json.h"
#include "analyzer/output/timeline_svg.h"
#include "analyzer/output/timeline_text.h"
#include "analyzer/timeline/timeline_builder.h"
#include "analyzer/output/folded_writer.h"
#include "analyzer/output/speedscope_writer.h"
#include "analyzer/profile/flame_tree.h"
#include "formats/recording_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> bytes(data, data + size);
    auto timeline_reader = kiln::format::RecordingReader::from_source(kiln::format::memory_source(bytes), "fuzz");
    if (timeline_reader.ok()) {
        // 30-day windows: a mutated timestamp can stretch a torn recording to centuries, and
        // the outputs of up to a million windows of dozens of series (processes, the busiest
        // threads) take many seconds to write (bounded, linear in windows x series, but past
        // -timeout); the arithmetic is the same for any window, and 2^64 ns make 7117 of these.
        kiln::analyzer::TimelineOptions topt;
        topt.window_ns = 30ull * 24 * 3600 * 1'000'000'000;
        auto t = kiln::analyzer::build_timeline(**timeline_reader, topt);
        if (t.ok()) {
            std::ostringstream out;
            kiln::analyzer::write_timeline_text(t->timeline, out);
            kiln::analyzer::write_timeline_json(t->timeline, out);
            kiln::analyzer::write_timeline_csv(t->timeline, out);
            kiln::analyzer::write_timeline_svg(t->timeline, {}, out);
        }
    }
    auto trace_reader = kiln::format::RecordingReader::from_source(kiln::format::memory_source(bytes), "fuzz");
    if (trace_reader.ok()) {
        kiln::analyzer::TracePassOptions topt;
        topt.trace.last_syscalls = 4;
        auto pass = kiln::analyzer::run_trace_pass(**trace_reader, kiln::analyzer::TraceView::kPortrait, topt);
        if (pass.ok()) {
            const auto in = pass->input((*trace_reader)->header(), {});
            std::ostringstream out;
            const auto sched = kiln::analyzer::build_sched_report(in);
            const auto syscalls = kiln::analyzer::build_syscalls_report(in);
            const auto portrait = kiln::analyzer::build_portrait_report(in);
            kiln::analyzer::write_sched_text(sched, out);
            kiln::analyzer::write_sched_json(sched, out);
            kiln::analyzer::write_sched_csv(sched, out);
            kiln::analyzer::write_syscalls_text(syscalls, out);
            kiln::analyzer::write_syscalls_json(syscalls, out);
            kiln::analyzer::write_syscalls_csv(syscalls, out);
            kiln::analyzer::write_portrait_text(portrait, out);
            kiln::analyzer::write_portrait_json(portrait, out);
            kiln::analyzer::write_portrait_csv(portrait, out);
        }
    }
    kiln::analyzer::PerfettoOptions popt;
    popt.locator.debug_dirs.clear();
    popt.locator.use_debuginfod = false;
    popt.locator.symfs = "/nonexistent-kiln-fuzz-root";
    auto perfetto_reader = kiln::format::RecordingReader::from_source(kiln::format::memory_source(bytes), "fuzz");
    if (perfetto_reader.ok()) {
        auto e = kiln::analyzer::collect_perfetto(**perfetto_reader, popt);
        if (e.ok()) (void)kiln::analyzer::encode_perfetto(*e);
    }
    // The inuse view: allocator probes, and the allocation sampler's batches in stack copies.
    auto alloc_reader = kiln::format::RecordingReader::from_source(kiln::format::memory_source(bytes), "fuzz");
    if (alloc_reader.ok()) {
        kiln::analyzer::AnalyzeOptions aopt;
        aopt.locator.debug_dirs.clear();
        aopt.locator.use_debuginfod = false;
        aopt.locator.symfs = "/nonexistent-kiln-fuzz-root";
        aopt.view = "inuse";
        (void)kiln::analyzer::analyze_reader(**alloc_reader, aopt);
    }
    auto reader = kiln::format::RecordingReader::from_source(kiln::format::memory_source(std::move(bytes)), "fuzz");
    if (!reader.ok()) return 0;
    kiln::analyzer::AnalyzeOptions opt;
    opt.locator.debug_dirs.clear();
    opt.locator.use_debuginfod = false;
    opt.locator.symfs = "/nonexistent-kiln-fuzz-root";
    opt.timeline_views = {opt.view};
    opt.window_views = {"cpu"};  // and the anomalies view's windows, when the view is cpu
    auto a = kiln::analyzer::analyze_reader(**reader, opt);
    if (a.ok() && a->windows) {
        const uint64_t end = a->windows->start_ns + a->windows->bucket_end() * a->windows->bucket_ns;
        const auto report = kiln::analyzer::find_anomalies(std::move(*a->windows), end, {});
        std::ostringstream out;
        kiln::analyzer::write_anomalies_json(report, out);
        kiln::analyzer::write_anomalies_text(report, out);
        kiln::analyzer::write_anomalies_markdown(report, "fuzz", out);
    }
    if (a.ok() && !a->profile.sample_types.empty()) {
        std::ostringstream out;
        kiln::analyzer::write_folded(kiln::analyzer::build_flame_tree(a->profile, 1 % a->profile.sample_types.size()),
                                     out);
    }
    if (a.ok() && a->timelines) {
        std::ostringstream out;
        kiln::analyzer::write_speedscope(*a->timelines, {"fuzz", "kiln"}, out);
    }
    return 0;
}
