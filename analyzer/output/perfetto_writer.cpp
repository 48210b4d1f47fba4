#include "analyzer/output/perfetto_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include "analyzer/output/perfetto_interner.h"
#include "perfetto_trace.pb.h"

namespace kiln::analyzer {

namespace pb = perfetto::protos;

namespace {

// Receives each encoded packet (field 1 of Trace, length-delimited) as it is made.
using PacketSink = std::function<Status(const std::string& bytes)>;

class PacketWriter {
public:
    explicit PacketWriter(PacketSink sink) : sink_(std::move(sink)) {}

    Status put(const pb::TracePacket& p) {
        std::string body;
        if (!p.SerializeToString(&body)) return make_error("cannot encode a trace packet");
        std::string out;
        out.push_back(static_cast<char>((1 << 3) | 2));  // Trace.packet = 1, length-delimited
        uint64_t n = body.size();
        do {
            uint8_t b = n & 0x7f;
            n >>= 7;
            out.push_back(static_cast<char>(n ? b | 0x80 : b));
        } while (n);
        out += body;
        ++packets_;
        return sink_(out);
    }
    size_t packets() const { return packets_; }

private:
    PacketSink sink_;
    size_t packets_ = 0;
};

// A packet of the timeline sequence: the first clears the incremental state, the others need it.
class Sequence {
public:
    explicit Sequence(uint32_t id) : id_(id) {}
    pb::TracePacket packet() {
        pb::TracePacket p;
        p.set_trusted_packet_sequence_id(id_);
        p.set_sequence_flags(first_ ? pb::TracePacket::SEQ_INCREMENTAL_STATE_CLEARED
                                    : pb::TracePacket::SEQ_NEEDS_INCREMENTAL_STATE);
        first_ = false;
        return p;
    }

private:
    uint32_t id_;
    bool first_ = true;
};

void stamp(pb::TracePacket& p, uint64_t time, uint32_t clock) {
    p.set_timestamp(time);
    p.set_timestamp_clock_id(clock);
}

pb::TracePacket clock_snapshot(Sequence& seq, const PerfettoExport& e, uint32_t clock) {
    pb::TracePacket p = seq.packet();
    stamp(p, e.start_time_ns, clock);
    auto* cs = p.mutable_clock_snapshot();
    auto add = [cs](uint32_t id, uint64_t t) {
        auto* c = cs->add_clocks();
        c->set_clock_id(id);
        c->set_timestamp(t);
    };
    add(clock, e.start_time_ns);
    if (clock == pb::BUILTIN_CLOCK_MONOTONIC) add(pb::BUILTIN_CLOCK_BOOTTIME, e.start_time_ns);
    if (e.start_realtime_ns > 0 && clock != pb::BUILTIN_CLOCK_REALTIME) add(pb::BUILTIN_CLOCK_REALTIME, e.start_realtime_ns);
    cs->set_primary_trace_clock(static_cast<pb::BuiltinClock>(clock));
    return p;
}

pb::TracePacket process_tree(Sequence& seq, const PerfettoExport& e, uint32_t clock) {
    pb::TracePacket p = seq.packet();
    stamp(p, e.start_time_ns, clock);
    auto* tree = p.mutable_process_tree();
    for (const auto& proc : e.processes) {
        auto* out = tree->add_processes();
        out->set_pid(proc.pid);
        out->set_ppid(proc.ppid);
        if (!proc.cmdline.empty())
            for (const auto& arg : proc.cmdline) out->add_cmdline(arg);
        else if (!proc.name.empty())
            out->add_cmdline(proc.name);
    }
    for (const auto& t : e.threads) {
        auto* out = tree->add_threads();
        out->set_tid(t.tid);
        out->set_tgid(t.pid);
        if (!t.name.empty()) out->set_name(t.name);
    }
    return p;
}

Status write_tracks(PacketWriter& w, Sequence& seq, const PerfettoExport& e) {
    // Every process an instant or a counter names gets a track, known to the tree or not.
    std::vector<PerfettoProcess> processes = e.processes;
    std::set<int32_t> known;
    for (const auto& proc : processes) known.insert(proc.pid);
    auto need = [&](int32_t pid) {
        if (pid > 0 && known.insert(pid).second) processes.push_back({pid, 0, "", {}});
    };
    for (const auto& in : e.instants) need(in.pid);
    for (const auto& c : e.counters) need(c.pid);
    for (const auto& proc : processes) {
        pb::TracePacket p = seq.packet();
        auto* td = p.mutable_track_descriptor();
        td->set_uuid(perfetto_process_track(proc.pid));
        auto* pd = td->mutable_process();
        pd->set_pid(proc.pid);
        if (!proc.name.empty()) pd->set_process_name(proc.name);
        for (const auto& arg : proc.cmdline) pd->add_cmdline(arg);
        KILN_TRY(w.put(p));
    }
    for (size_t i = 0; i < e.counters.size(); ++i) {
        const PerfettoCounter& c = e.counters[i];
        pb::TracePacket p = seq.packet();
        auto* td = p.mutable_track_descriptor();
        td->set_uuid(perfetto_counter_track(i));
        td->set_name(c.name);
        if (c.pid > 0) td->set_parent_uuid(perfetto_process_track(c.pid));
        auto* cd = td->mutable_counter();
        switch (c.unit) {
            case PerfettoCounterUnit::kCount: cd->set_unit(pb::CounterDescriptor::UNIT_COUNT); break;
            case PerfettoCounterUnit::kBytes: cd->set_unit(pb::CounterDescriptor::UNIT_SIZE_BYTES); break;
            case PerfettoCounterUnit::kNone: break;
        }
        KILN_TRY(w.put(p));
    }
    return Status::success();
}

// Each CPU's scheduler events in time order, as bundles of at most kEventsPerBundle, written as
// each fills: switches and wakes (each in time order) are merged as they go, so memory is a
// bundle per CPU, not an index of every event (tens of millions for minutes of a busy machine).
Status write_sched(PacketWriter& w, Sequence& seq, const PerfettoExport& e) {
    std::map<uint32_t, pb::TracePacket> open;  // CPU -> its bundle being filled
    auto bundle_of = [&](uint32_t cpu) -> pb::FtraceEventBundle* {
        auto [it, added] = open.try_emplace(cpu);
        if (added) {
            it->second = seq.packet();
            it->second.mutable_ftrace_events()->set_cpu(cpu);
        }
        return it->second.mutable_ftrace_events();
    };
    auto full = [&](uint32_t cpu) -> Status {
        auto it = open.find(cpu);
        if (it == open.end() || it->second.ftrace_events().event_size() < static_cast<int>(kEventsPerBundle))
            return Status::success();
        KILN_TRY(w.put(it->second));
        open.erase(it);
        return Status::success();
    };
    size_t si = 0, wi = 0;
    while (si < e.switches.size() || wi < e.wakes.size()) {
        // A switch first when both come at the same time, as before.
        const bool take_switch =
            wi == e.wakes.size() || (si < e.switches.size() && e.switches[si].time <= e.wakes[wi].time);
        if (take_switch) {
            const PerfettoSwitch& s = e.switches[si++];
            auto* ev = bundle_of(s.cpu)->add_event();
            ev->set_timestamp(s.time);
            ev->set_pid(static_cast<uint32_t>(s.prev_pid));
            auto* sw = ev->mutable_sched_switch();
            sw->set_prev_comm(e.names[s.prev_comm]);
            sw->set_prev_pid(s.prev_pid);
            sw->set_prev_prio(s.prev_prio);
            sw->set_prev_state(s.prev_state);
            sw->set_next_comm(e.names[s.next_comm]);
            sw->set_next_pid(s.next_pid);
            sw->set_next_prio(s.next_prio);
            KILN_TRY(full(s.cpu));
        } else {
            const PerfettoWake& k = e.wakes[wi++];
            auto* ev = bundle_of(k.cpu)->add_event();
            ev->set_timestamp(k.time);
            ev->set_pid(static_cast<uint32_t>(k.waker_tid));
            auto fill = [&k, &e](auto* out) {
                out->set_comm(e.names[k.comm]);
                out->set_pid(k.pid);
                out->set_prio(k.prio);
                out->set_success(1);
                if (k.target_cpu >= 0) out->set_target_cpu(k.target_cpu);
            };
            if (k.waking)
                fill(ev->mutable_sched_waking());
            else
                fill(ev->mutable_sched_wakeup());
            KILN_TRY(full(k.cpu));
        }
    }
    for (auto& [cpu, packet] : open) KILN_TRY(w.put(packet));
    return Status::success();
}

Status write_track_events(PacketWriter& w, Sequence& seq, const PerfettoExport& e, uint32_t clock) {
    for (const auto& in : e.instants) {
        pb::TracePacket p = seq.packet();
        stamp(p, in.time, clock);
        auto* te = p.mutable_track_event();
        te->set_type(pb::TrackEvent::TYPE_INSTANT);
        te->set_track_uuid(perfetto_process_track(in.pid));
        te->set_name(in.detail.empty() ? in.name : in.name + " " + in.detail);
        te->add_categories("process");
        KILN_TRY(w.put(p));
    }
    for (size_t i = 0; i < e.counters.size(); ++i) {
        for (const auto& [time, value] : e.counters[i].points) {
            pb::TracePacket p = seq.packet();
            stamp(p, time, clock);
            auto* te = p.mutable_track_event();
            te->set_type(pb::TrackEvent::TYPE_COUNTER);
            te->set_track_uuid(perfetto_counter_track(i));
            te->set_double_counter_value(value);
            KILN_TRY(w.put(p));
        }
    }
    return Status::success();
}

Status write_samples(PacketWriter& w, const PerfettoExport& e, uint32_t clock) {
    Sequence seq(kSamplesSequence);
    PerfettoInterner interner(e);
    for (const PerfettoSample& s : e.samples) {
        pb::TracePacket p = seq.packet();
        stamp(p, s.time, clock);
        pb::InternedData interned;
        const uint64_t stack = interner.stack(s.stack, interned);
        if (interned.ByteSizeLong() > 0) *p.mutable_interned_data() = std::move(interned);
        auto* ps = p.mutable_perf_sample();
        ps->set_cpu(s.cpu);
        ps->set_pid(static_cast<uint32_t>(s.pid));
        ps->set_tid(static_cast<uint32_t>(s.tid));
        if (stack) ps->set_callstack_iid(stack);
        ps->set_cpu_mode(s.kernel ? pb::Profiling::MODE_KERNEL : pb::Profiling::MODE_USER);
        KILN_TRY(w.put(p));
    }
    return Status::success();
}

Status write_trace(const PerfettoExport& e, const PacketSink& sink) {
    const uint32_t clock = perfetto_clock(e.clock_id);
    if (clock == 0)
        return make_error("perfetto: the recording's clock (POSIX clock id " + std::to_string(e.clock_id) +
                          ") has no Perfetto counterpart");
    PacketWriter w(sink);
    Sequence timeline(kTimelineSequence);
    KILN_TRY(w.put(clock_snapshot(timeline, e, clock)));
    KILN_TRY(w.put(process_tree(timeline, e, clock)));
    KILN_TRY(write_tracks(w, timeline, e));
    KILN_TRY(write_sched(w, timeline, e));
    KILN_TRY(write_track_events(w, timeline, e, clock));
    KILN_TRY(write_samples(w, e, clock));
    return Status::success();
}

}  // namespace

uint32_t perfetto_clock(uint32_t posix_clock_id) {
    switch (posix_clock_id) {
        case 0: return pb::BUILTIN_CLOCK_REALTIME;          // CLOCK_REALTIME
        case 1: return pb::BUILTIN_CLOCK_MONOTONIC;         // CLOCK_MONOTONIC
        case 4: return pb::BUILTIN_CLOCK_MONOTONIC_RAW;     // CLOCK_MONOTONIC_RAW
        case 5: return pb::BUILTIN_CLOCK_REALTIME_COARSE;   // CLOCK_REALTIME_COARSE
        case 6: return pb::BUILTIN_CLOCK_MONOTONIC_COARSE;  // CLOCK_MONOTONIC_COARSE
        case 7: return pb::BUILTIN_CLOCK_BOOTTIME;          // CLOCK_BOOTTIME
        default: return 0;
    }
}

Result<std::string> encode_perfetto(const PerfettoExport& e) {
    std::string out;
    KILN_TRY(write_trace(e, [&out](const std::string& bytes) {
        out += bytes;
        return Status::success();
    }));
    return out;
}

Status write_perfetto(const PerfettoExport& e, const std::string& path) {
    const bool to_stdout = path == "-";
    const int fd = to_stdout ? STDOUT_FILENO : ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return make_error("cannot write " + path + ": " + std::strerror(errno));
    std::string buffer;
    auto flush = [&]() -> Status {
        size_t done = 0;
        while (done < buffer.size()) {
            const ssize_t n = ::write(fd, buffer.data() + done, buffer.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return make_error("cannot write " + path + ": " + std::strerror(n < 0 ? errno : EIO));
            done += static_cast<size_t>(n);
        }
        buffer.clear();
        return Status::success();
    };
    Status st = write_trace(e, [&](const std::string& bytes) {
        buffer += bytes;
        return buffer.size() >= (1u << 20) ? flush() : Status::success();
    });
    if (st.ok()) st = flush();
    if (!to_stdout && ::close(fd) != 0 && st.ok()) return make_error("cannot write " + path + ": " + std::strerror(errno));
    if (!st.ok()) return make_error(path + ": " + st.error().message);
    return st;
}

}  // namespace kiln::analyzer
