#include "analyzer/output/perfetto_collector.h"

#include "analyzer/decode/archive_extract.h"

#include <map>
#include <optional>
#include <unordered_map>

#include "analyzer/decode/record_stream.h"
#include "analyzer/model/model_records.h"
#include "analyzer/model/process_model.h"
#include "analyzer/output/perfetto_counters.h"
#include "analyzer/output/perfetto_stacks.h"
#include "analyzer/symbolize/address_resolver.h"
#include "analyzer/symbolize/binary_preloader.h"
#include "analyzer/symbolize/jit_symbols.h"
#include "analyzer/symbolize/kernel_symbols.h"
#include "analyzer/unwind/stack_builder.h"
#include "analyzer/views/cpu_view.h"
#include "analyzer/views/sched_tracepoints.h"
#include "formats/perf_records.h"

namespace kiln::analyzer {

namespace {

struct StackHash {
    size_t operator()(const std::vector<RawFrame>& frames) const {
        uint64_t h = 0xcbf29ce484222325ull;
        for (const auto& f : frames) h = (h ^ RawFrameHash()(f)) * 0x100000001b3ull;
        return static_cast<size_t>(h);
    }
};

class Collector final : public RecordVisitor {
public:
    Collector(const format::RecordingHeader& header, const EventTable& events, BinaryLocator& locator,
              BinaryPreloader& binaries, bool libunwind_only)
        : header_(header), events_(events), stacks_(model_, locator, libunwind_only),
          cpu_event_(header.events.size(), false) {
        for (int e : cpu_events(header, events)) cpu_event_[static_cast<size_t>(e)] = true;
        if (SchedTracepoints::recorded(header)) {
            auto found = SchedTracepoints::find(header, "perfetto export");
            if (found)
                sched_ = *found;
            else
                warnings_.push_back("perfetto: no scheduling exported: " + found.error().message);
        }
        stacks_.on_first_frame_in([&binaries, this](uint32_t dso) {
            const Dso& d = model_.dsos()[dso];
            if (d.kind == Dso::Kind::File) binaries.request(d.path, d.build_id);
        });
    }

    ProcessModel& model() { return model_; }
    std::vector<std::string>& warnings() { return warnings_; }

    void snapshot(const format::ProcessSnapshot& snap) override {
        model_.apply_snapshot(snap);
        for (const auto& p : snap.processes) {
            processes_[p.pid] = {p.pid, p.ppid, p.comm, p.cmdline};
            for (size_t i = 0; i < p.tids.size(); ++i)
                threads_[p.tids[i]] = {p.tids[i], p.pid, i < p.thread_comms.size() ? p.thread_comms[i] : p.comm};
        }
    }

    void record(const perf_event_header& h, std::span<const uint8_t> rec, int event, uint64_t time) override {
        if (h.type == PERF_RECORD_SAMPLE) {
            sample(h, rec, event, time);
            return;
        }
        apply_record(model_, h, rec);
        switch (h.type) {
            case PERF_RECORD_COMM:
                if (auto c = format::parse_comm(rec)) comm(*c, time);
                break;
            case PERF_RECORD_FORK:
                if (auto f = format::parse_task(rec)) fork(*f, time);
                break;
            case PERF_RECORD_EXIT:
                if (auto e = format::parse_task(rec); e && e->pid == e->tid)
                    out_.instants.push_back({time, static_cast<int32_t>(e->pid), "exit", ""});
                break;
            case PERF_RECORD_SWITCH: switch_in(rec, event, time); break;
            default: break;
        }
    }

    // Everything but symbolization and counters, moved out.
    PerfettoExport take() { return std::move(out_); }
    const std::vector<std::vector<RawFrame>>& raw_stacks() const { return raw_stacks_; }
    std::vector<PerfettoProcess> processes() const {
        std::vector<PerfettoProcess> out;
        for (const auto& [pid, p] : processes_) out.push_back(p);
        return out;
    }
    std::vector<PerfettoThread> threads() const {
        std::vector<PerfettoThread> out;
        for (const auto& [tid, t] : threads_) out.push_back(t);
        return out;
    }

private:
    std::string thread_name(int32_t tid) const {
        if (tid == 0) return "swapper";
        auto it = threads_.find(tid);
        return it == threads_.end() ? std::string() : it->second.name;
    }

    void comm(const format::CommRecord& c, uint64_t time) {
        const auto pid = static_cast<int32_t>(c.pid), tid = static_cast<int32_t>(c.tid);
        threads_[tid] = {tid, pid, std::string(c.comm)};
        auto& p = processes_.try_emplace(pid, PerfettoProcess{pid, 0, "", {}}).first->second;
        if (pid == tid) p.name = std::string(c.comm);
        if (!c.exec) return;
        p.cmdline.clear();  // the snapshot's command line was the old program's
        out_.instants.push_back({time, pid, "exec", std::string(c.comm)});
    }

    void fork(const format::TaskRecord& f, uint64_t time) {
        const auto pid = static_cast<int32_t>(f.pid), tid = static_cast<int32_t>(f.tid);
        const auto ppid = static_cast<int32_t>(f.ppid);
        threads_[tid] = {tid, pid, thread_name(static_cast<int32_t>(f.ptid))};
        if (pid == ppid || pid != tid) return;  // a new thread, not a new process
        auto parent = processes_.find(ppid);
        PerfettoProcess child{pid, ppid, parent == processes_.end() ? "" : parent->second.name,
                              parent == processes_.end() ? std::vector<std::string>{} : parent->second.cmdline};
        processes_[pid] = std::move(child);
        out_.instants.push_back({time, pid, "fork", "from " + std::to_string(ppid)});
    }

    // A per-task recording's switch in (the switch out is the sched_switch sample).
    void switch_in(std::span<const uint8_t> rec, int event, uint64_t time) {
        auto sw = format::parse_switch(rec);
        if (!sw || sw->out || event < 0 || static_cast<size_t>(event) >= events_.size()) return;
        const format::SampleId id = format::parse_sample_id(events_.layout(event), rec);
        if (!id.present) return;
        PerfettoSwitch s;
        s.time = time;
        s.cpu = id.cpu;
        auto last = running_.find(id.cpu);
        // A traced task switched out to this one: its sched_switch sample (a few microseconds
        // earlier) already says so.
        if (last != running_.end() && last->second == static_cast<int32_t>(id.tid)) return;
        s.prev_pid = last == running_.end() ? 0 : last->second;
        s.prev_comm = out_.names.id(thread_name(s.prev_pid));
        s.next_pid = static_cast<int32_t>(id.tid);
        s.next_comm = out_.names.id(thread_name(s.next_pid));
        running_[id.cpu] = s.next_pid;
        out_.switches.push_back(std::move(s));
    }

    void sample(const perf_event_header& h, std::span<const uint8_t> rec, int event, uint64_t time) {
        if (event < 0 || static_cast<size_t>(event) >= cpu_event_.size()) return;
        const bool is_switch = sched_ && event == sched_->switch_event();
        const bool is_wake = sched_ && event == sched_->wake_event();
        const bool is_cpu = cpu_event_[static_cast<size_t>(event)];
        if (!is_switch && !is_wake && !is_cpu) return;
        auto parsed = format::parse_sample(events_.layout(event), rec);
        if (!parsed) {
            if (unparsable_++ == 0) warnings_.push_back("perfetto: unparsable sample: " + parsed.error().message);
            return;
        }
        const format::ParsedSample& s = *parsed;
        if (is_switch) {
            if (auto f = sched_->parse_switch(s.raw)) {
                running_[s.cpu] = f->next_tid;
                out_.switches.push_back({time, s.cpu, f->prev_tid, out_.names.id(thread_name(f->prev_tid)), f->prev_prio,
                                         f->prev_state, f->next_tid, out_.names.id(thread_name(f->next_tid)), f->next_prio});
            }
        }
        if (is_wake) {
            if (auto w = sched_->parse_wake(s.raw))
                out_.wakes.push_back({time, s.cpu, static_cast<int32_t>(s.tid), w->pid, out_.names.id(thread_name(w->pid)), w->prio,
                                      w->target_cpu, sched_->wake_is_waking()});
        }
        if (!is_cpu) return;
        const perf_event_attr& a = events_.attr(event);
        stacks_.begin_sample();
        frames_.clear();
        stacks_.frames(s, a.sample_regs_user, stack_mode(a, header_.events[static_cast<size_t>(event)].name), frames_);
        auto [it, added] = stack_ids_.try_emplace(frames_, static_cast<uint32_t>(raw_stacks_.size()));
        if (added) raw_stacks_.push_back(frames_);
        const bool kernel = (h.misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL;
        out_.samples.push_back({time, s.cpu, static_cast<int32_t>(s.pid), static_cast<int32_t>(s.tid), it->second, kernel});
    }

    const format::RecordingHeader& header_;
    const EventTable& events_;
    ProcessModel model_;
    StackBuilder stacks_;
    std::vector<bool> cpu_event_;
    std::optional<SchedTracepoints> sched_;
    std::map<int32_t, PerfettoProcess> processes_;
    std::map<int32_t, PerfettoThread> threads_;
    std::unordered_map<uint32_t, int32_t> running_;  // CPU -> the task last switched in
    std::vector<RawFrame> frames_;
    std::unordered_map<std::vector<RawFrame>, uint32_t, StackHash> stack_ids_;
    std::vector<std::vector<RawFrame>> raw_stacks_;
    PerfettoExport out_;
    std::vector<std::string> warnings_;
    uint64_t unparsable_ = 0;
};

}  // namespace

Result<PerfettoExport> collect_perfetto(format::RecordingReader& reader, const PerfettoOptions& options) {
    const format::RecordingHeader& header = reader.header();
    EventTable events(header);
    std::vector<std::string> archive_warnings;
    LocatorOptions locator_options = options.locator;
    auto archive = ExtractedArchive::extract_for(reader, locator_options, archive_warnings);
    if (!archive) return Error{reader.name() + ": " + archive.error().message};
    BinaryLocator locator(locator_options);
    BinaryPreloader binaries(locator);
    Collector collector(header, events, locator, binaries, options.libunwind_only);
    collector.model().set_vdso_build_id(archive->vdso_build_id());
    auto streamed = stream_recording(reader, collector);
    if (!streamed) return Error{reader.name() + ": " + streamed.error().message};
    RecordingSideband& side = streamed->sideband;

    PerfettoExport out = collector.take();
    out.clock_id = static_cast<uint32_t>(header.clock_id);
    out.start_time_ns = header.start_time_ns;
    out.start_realtime_ns = header.start_realtime_ns;
    out.processes = collector.processes();
    out.threads = collector.threads();
    out.counters = perfetto_counters(side.counters, side.counter_ticks_per_second);
    out.warnings = streamed->warnings;
    for (auto& w : collector.warnings()) out.warnings.push_back(std::move(w));
    for (auto& w : archive_warnings) out.warnings.push_back(std::move(w));

    // Symbolization, last, as analyze_views does it.
    ProcessModel& model = collector.model();
    model.apply_build_ids(side.build_ids);
    const KernelSymbolTable kernel(std::move(side.kallsyms), side.modules, side.kernel);
    const JitSymbolTable jit(side.perf_maps);
    Profile profile;  // holds the resolved mappings, functions and locations
    AddressResolver resolver(model, kernel, jit, binaries, profile, side.kernel.build_id);
    PerfettoStackNamer namer(resolver, profile, out);
    out.stacks.reserve(collector.raw_stacks().size());
    for (const auto& raw : collector.raw_stacks()) out.stacks.push_back(namer.stack(raw));
    return out;
}

}  // namespace kiln::analyzer
