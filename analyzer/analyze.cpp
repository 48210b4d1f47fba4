#include "analyzer/analyze.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "analyzer/decode/record_stream.h"
#include "analyzer/model/model_records.h"
#include "analyzer/model/process_model.h"
#include "analyzer/profile/flame_tree.h"
#include "analyzer/views/view_registry.h"
#include "formats/perf_records.h"
#include "formats/recording_reader.h"
#include "analyzer/decode/archive_extract.h"

namespace kiln::analyzer {

namespace {

// One view and the analysis it fills.
struct ViewRun {
    View& view;
    Analysis& out;
};

// Feeds the process model with task and mapping records and hands each sample, parsed and
// unwound once, to every view that wants it.
class Session final : public RecordVisitor {
public:
    Session(const format::RecordingHeader& header, const EventTable& events, std::vector<ViewRun> runs,
            const SampleFilter& filter, BinaryLocator& locator, bool libunwind_only)
        : header_(header), events_(events), runs_(std::move(runs)), filter_(filter),
          stacks_(model_, locator, libunwind_only) {
        // Which views want each event is fixed once they are made: found once, not per sample.
        wanting_.resize(events_.size());
        for (size_t e = 0; e < events_.size(); ++e)
            for (auto& r : runs_)
                if (r.view.wants(static_cast<int>(e))) wanting_[e].push_back(&r);
    }

    ProcessModel& model() { return model_; }
    StackBuilder& stacks() { return stacks_; }
    const UnwindHealth& health() const { return stacks_.health(); }

    void snapshot(const format::ProcessSnapshot& snap) override { model_.apply_snapshot(snap); }

    // The newest record time seen: the end of a recording whose recorder was killed.
    uint64_t last_time() const { return last_time_; }

    void record(const perf_event_header& h, std::span<const uint8_t> rec, int event, uint64_t time) override {
        last_time_ = std::max(last_time_, time);
        if (h.type == PERF_RECORD_SAMPLE) {
            sample(rec, event, time);
            return;
        }
        for (auto& r : runs_) r.view.side_record(h, rec, event, time);
        apply_record(model_, h, rec);
        switch (h.type) {
            case PERF_RECORD_LOST:
                if (auto l = format::parse_lost(rec))
                    for (auto& r : runs_) r.out.lost += l->lost;
                break;
            case PERF_RECORD_LOST_SAMPLES:
                if (auto l = format::parse_lost_samples(rec))
                    for (auto& r : runs_) r.out.lost += l->lost;
                break;
            default: break;
        }
    }

private:
    void sample(std::span<const uint8_t> rec, int event, uint64_t time) {
        if (event < 0 || static_cast<size_t>(event) >= wanting_.size() || wanting_[static_cast<size_t>(event)].empty())
            return;
        const std::vector<ViewRun*>& wanting = wanting_[static_cast<size_t>(event)];
        for (ViewRun* r : wanting) ++r->out.samples_seen;
        auto parsed = format::parse_sample(events_.layout(event), rec);
        if (!parsed) {
            for (ViewRun* r : wanting)
                if (r->out.unparsable_samples++ == 0)
                    r->out.warnings.push_back("unparsable sample: " + parsed.error().message);
            return;
        }
        const format::ParsedSample& s = *parsed;
        labels_.pid = static_cast<int32_t>(s.pid);
        labels_.tid = static_cast<int32_t>(s.tid);
        labels_.cpu = static_cast<int32_t>(s.cpu);
        labels_.comm = model_.process_name(labels_.pid);
        labels_.thread_comm = model_.thread_name(labels_.pid, labels_.tid);
        const double t = time >= header_.start_time_ns ? static_cast<double>(time - header_.start_time_ns) / 1e9 : 0.0;
        const bool kept = filter_.keeps(labels_.pid, labels_.tid, labels_.comm, labels_.thread_comm, t);
        stacks_.begin_sample();
        for (ViewRun* r : wanting) {
            if (!kept) {
                r->view.filtered_sample(s, event, labels_, stacks_);
                continue;
            }
            ++r->out.samples_kept;
            r->view.sample(s, event, labels_, stacks_);
        }
    }

    const format::RecordingHeader& header_;
    const EventTable& events_;
    std::vector<ViewRun> runs_;
    std::vector<std::vector<ViewRun*>> wanting_;  // per event: the runs whose view wants it
    const SampleFilter& filter_;
    ProcessModel model_;
    StackBuilder stacks_;
    SampleLabels labels_;
    uint64_t last_time_ = 0;
};

// Samples per binary, for the report of binaries that could not be symbolized.
void count_binary_samples(const Profile& p, std::vector<BinaryReport>& reports) {
    std::unordered_map<uint32_t, size_t> by_mapping;
    for (size_t i = 0; i < reports.size(); ++i) by_mapping[reports[i].status.mapping] = i;
    std::unordered_set<uint32_t> seen;
    for (const Sample& s : p.samples) {
        seen.clear();
        for (uint32_t li : s.locations) {
            const uint32_t m = p.locations[li].mapping;
            if (!seen.insert(m).second) continue;
            auto it = by_mapping.find(m);
            if (it != by_mapping.end()) reports[it->second].samples += s.values.empty() ? 0 : s.values[0];
        }
    }
}

// pprof names the profile after its first mapping ("File: ..."): make that the user binary
// with the most samples rather than whichever was resolved first.
void put_main_binary_first(Profile& p, std::vector<BinaryReport>& binaries) {
    const BinaryReport* best = nullptr;
    for (const auto& b : binaries)
        if (!best || b.samples > best->samples) best = &b;
    if (!best || best->status.mapping <= 1) return;
    const uint32_t from = best->status.mapping;  // 1-based ids
    std::swap(p.mappings[0], p.mappings[from - 1]);
    for (auto& loc : p.locations) {
        if (loc.mapping == from)
            loc.mapping = 1;
        else if (loc.mapping == 1)
            loc.mapping = from;
    }
    for (auto& b : binaries) {
        if (b.status.mapping == from)
            b.status.mapping = 1;
        else if (b.status.mapping == 1)
            b.status.mapping = from;
    }
}

// Frames named as the view's profile names them (its samples were added with the
// same raw frames, so the resolver has each one cached and adds nothing to the profile): one
// location per raw frame, its inlined functions as frames of their own, outermost first.
FrameNamer frame_namer(AddressResolver& resolver, const Profile& names) {
    return [&resolver, &names](const RawFrame& f) {
        std::vector<TimelineFrame> out;
        const Location& loc = names.locations[resolver.location(f)];
        for (size_t li = loc.lines.size(); li-- > 0;) {
            const uint32_t fn = loc.lines[li].function;
            const bool known = fn < names.functions.size();
            out.push_back({frame_display_name(names, loc, li), known ? names.functions[fn].file : std::string(),
                           known ? names.functions[fn].start_line : 0});
        }
        return out;
    };
}

StackTimelines finish_timelines(StackTimelineBuilder& builder, AddressResolver& resolver, const Profile& names,
                                uint64_t start_ns, uint64_t end_ns) {
    return builder.finish(start_ns, end_ns, frame_namer(resolver, names));
}

}  // namespace

Result<Analysis> analyze_recording(const std::string& path, const AnalyzeOptions& options) {
    auto reader = format::RecordingReader::open(path);
    if (!reader) return reader.error();
    return analyze_reader(**reader, options);
}

Result<Analysis> analyze_reader(format::RecordingReader& reader, const AnalyzeOptions& options) {
    auto all = analyze_views(reader, options, {options.view});
    if (!all) return all.error();
    return std::move(all->front());
}

Result<std::vector<Analysis>> analyze_views(format::RecordingReader& reader, const AnalyzeOptions& options,
                                            const std::vector<std::string>& view_names) {
    const std::string& path = reader.name();
    const format::RecordingHeader& header = reader.header();
    EventTable events(header);
    std::vector<std::unique_ptr<View>> views;
    for (const auto& name : view_names) {
        auto view = make_view(name, header, events, ViewOptions{options.min_block_ns});
        if (!view) return Error{path + ": " + view.error().message};
        views.push_back(std::move(*view));
    }
    std::vector<Analysis> outs(views.size());
    std::vector<ViewRun> runs;
    for (size_t i = 0; i < views.size(); ++i) runs.push_back({*views[i], outs[i]});
    // Per view, or null: per-thread timelines, per-window counts, and the fanout feeding both.
    std::vector<std::unique_ptr<StackTimelineBuilder>> timelines(views.size());
    std::vector<std::unique_ptr<WindowedStackCounts>> windows(views.size());
    std::vector<SampleFanout> sinks(views.size());
    auto named = [&](const std::vector<std::string>& names, size_t i) {
        return std::find(names.begin(), names.end(), view_names[i]) != names.end();
    };
    for (size_t i = 0; i < views.size(); ++i) {
        if (named(options.timeline_views, i)) {
            timelines[i] = std::make_unique<StackTimelineBuilder>();
            sinks[i].attach(timelines[i].get());
        }
        if (named(options.window_views, i)) {
            windows[i] = std::make_unique<WindowedStackCounts>(header.start_time_ns,
                                                               std::max<uint64_t>(options.window_bucket_ns, 1));
            sinks[i].attach(windows[i].get());
        }
        if (!sinks[i].empty() && !views[i]->feed_timeline(&sinks[i]))
            return Error{path + ": the " + view_names[i] +
                         " view has no timeline: its stacks are not samples taken at a moment (timelines, such "
                         "as --speedscope and the anomalies view, take the cpu, faults or probes view)"};
    }

    // Binaries the recording archived are looked up like those of a debug directory.
    std::vector<std::string> archive_warnings;
    LocatorOptions locator_options = options.locator;
    auto archive = ExtractedArchive::extract_for(reader, locator_options, archive_warnings);
    if (!archive) return archive.error();
    BinaryLocator locator(locator_options);
    BinaryPreloader binaries(locator);
    Session session(header, events, std::move(runs), options.filter, locator, options.libunwind_only);
    session.model().set_vdso_build_id(archive->vdso_build_id());
    session.stacks().on_first_frame_in([&binaries, &model = session.model()](uint32_t dso) {
        const Dso& d = model.dsos()[dso];
        if (d.kind == Dso::Kind::File) binaries.request(d.path, d.build_id);
    });
    if (options.on_stack) session.stacks().observe(options.on_stack);
    auto streamed = stream_recording(reader, session);
    if (!streamed) return streamed.error();
    RecordingSideband& side = streamed->sideband;

    // Symbolization, last: one symbol table and one opened binary each serve every profile.
    ProcessModel& model = session.model();
    model.apply_build_ids(side.build_ids);
    const KernelSymbolTable kernel(std::move(side.kallsyms), side.modules, side.kernel);
    const JitSymbolTable jit(side.perf_maps);
    const uint64_t end_ns = side.has_stats && side.stats.end_time_ns > 0 ? side.stats.end_time_ns : session.last_time();
    std::map<uint32_t, std::string> unwind_binaries;  // the pass's, the same for every view
    for (const auto& [dso, h] : session.health().by_dso)
        unwind_binaries[dso] = dso < model.dsos().size() ? model.dsos()[dso].path : "[unknown]";
    for (size_t i = 0; i < views.size(); ++i) {
        Analysis& out = outs[i];
        View& v = *views[i];
        out.warnings.insert(out.warnings.begin(), streamed->warnings.begin(), streamed->warnings.end());
        out.warnings.insert(out.warnings.end(), archive_warnings.begin(), archive_warnings.end());
        Profile& profile = out.profile;
        AddressResolver resolver(model, kernel, jit, binaries, profile, side.kernel.build_id);
        v.finish(end_ns);
        for (auto& w : v.warnings()) out.warnings.push_back(std::move(w));
        out.distinct_stacks = v.builder().distinct_stacks();
        v.builder().finish(resolver, profile);
        profile.default_sample_type = v.default_sample_type();
        profile.period_type = v.period_type();
        profile.period = v.period();
        profile.time_nanos = static_cast<int64_t>(header.start_realtime_ns);
        if (side.has_stats && side.stats.end_time_ns > header.start_time_ns)
            profile.duration_nanos = static_cast<int64_t>(side.stats.end_time_ns - header.start_time_ns);
        profile.comments.push_back("kiln analyze --view " + v.name() + " " + path);
        profile.comments.push_back("recorded on " + header.hostname + ", Linux " + header.kernel_release + " " +
                                   header.arch);

        for (auto& st : resolver.binaries()) out.binaries.push_back({std::move(st), 0});
        out.unwind = session.health();
        out.unwind_binaries = unwind_binaries;
        count_binary_samples(profile, out.binaries);
        put_main_binary_first(profile, out.binaries);
        if (timelines[i])
            out.timelines = finish_timelines(*timelines[i], resolver, profile, header.start_time_ns, end_ns);
        if (windows[i]) out.windows = windows[i]->finish(frame_namer(resolver, profile));
    }
    return outs;
}

}  // namespace kiln::analyzer
