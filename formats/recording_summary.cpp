#include "formats/recording_summary.h"

#include "formats/archived_binary.h"
#include "formats/pid_namespaces.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <unordered_map>

#include "formats/counters.h"
#include "formats/kallsyms_compact.h"
#include "formats/kallsyms_subset.h"
#include "formats/perf_records.h"
#include "formats/perf_sample.h"
#include "formats/sideband.h"
#include "formats/stack_delta.h"

namespace kiln::format {

namespace {

struct EventLayouts {
    std::unordered_map<uint64_t, size_t> index_of_id;
    std::vector<SampleLayout> layouts;
};

EventLayouts layouts_of(const RecordingHeader& h) {
    EventLayouts out;
    for (size_t i = 0; i < h.events.size(); ++i) {
        out.layouts.push_back(SampleLayout::from_attr(h.events[i].perf_attr()));
        for (uint64_t id : h.events[i].ids) out.index_of_id[id] = i;
    }
    return out;
}

class SummaryBuilder {
public:
    static constexpr size_t kSliceBytes = 4 << 20;

    explicit SummaryBuilder(RecordingSummary& s) : s_(s), ev_(layouts_of(s.header)), stacks_(s.header.events) {
        s_.samples_per_event.assign(s.header.events.size(), 0);
    }

    void perf_records(std::span<const uint8_t> payload, uint64_t offset) {
        const std::string where = "chunk at byte " + std::to_string(offset) + ": ";
        auto walk = [&](std::span<const uint8_t> records) {
            Status st = for_each_record(records, [this](const perf_event_header& h, std::span<const uint8_t> rec) {
                record(h, rec);
            });
            if (!st) s_.warnings.push_back(where + st.error().message);
        };
        StackDeltaExpander deltas(stacks_, payload);
        if (!deltas.has_deltas()) return walk(payload);
        // A slice at a time: memory stays bounded however far the chunk expands.
        while (deltas.next(expanded_, kSliceBytes)) walk(expanded_);
        for (const auto& w : deltas.result().warnings()) s_.warnings.push_back(where + w);
    }

    void snapshot(const ProcessSnapshot& snap) {
        for (const auto& p : snap.processes) {
            if (!p.comm.empty()) name(p.pid, snap.time_ns, p.comm);
            for (const auto& m : p.maps)
                if (!m.path.empty() && m.path[0] == '/' && (m.prot & 4)) add_binary(m.path, build_id_hex(m.build_id));
        }
    }

    void build_ids(const BuildIdTable& t) {
        for (const auto& e : t.entries) late_ids_[e.path] = build_id_hex(e.build_id);
    }

    void finish() {
        for (auto& [path, id] : binaries_)
            if (id.empty())
                if (auto it = late_ids_.find(path); it != late_ids_.end()) id = it->second;
        for (const auto& [path, id] : binaries_) s_.binaries.push_back({path, id});
        for (const auto& [pid, p] : procs_) {
            ProcessSummary ps = p;
            ps.name = name_of(pid);
            ps.threads = tids_[pid].size();
            s_.processes.push_back(ps);
        }
        std::sort(s_.processes.begin(), s_.processes.end(), [](const auto& a, const auto& b) {
            return a.samples != b.samples ? a.samples > b.samples : a.pid < b.pid;
        });
    }

private:
    void add_binary(const std::string& path, const std::string& id) {
        auto [it, inserted] = binaries_.emplace(path, id);
        if (!inserted && it->second.empty()) it->second = id;
    }

    // Its own newest name, else the nearest named ancestor's (a forked child that did not exec).
    std::string name_of(int32_t pid) const {
        for (int hops = 0; hops < 64; ++hops) {
            if (auto it = names_.find(pid); it != names_.end()) return it->second.second;
            auto parent = parents_.find(pid);
            if (parent == parents_.end()) break;
            pid = parent->second;
        }
        return "";
    }

    void name(int32_t pid, uint64_t time, std::string comm) {
        auto [it, inserted] = names_.try_emplace(pid, time, comm);
        if (!inserted && time >= it->second.first) it->second = {time, std::move(comm)};
    }

    // The time of a non-sample record (its sample_id trailer), 0 when it has none.
    uint64_t record_time(std::span<const uint8_t> rec) const {
        size_t event = 0;
        if (ev_.layouts.size() != 1) {
            auto it = ev_.index_of_id.find(record_identifier(rec));
            if (it == ev_.index_of_id.end()) return 0;
            event = it->second;
        }
        if (ev_.layouts.empty() || !ev_.layouts[event].sample_id_all) return 0;
        return parse_sample_id(ev_.layouts[event], rec).time;
    }

    void record(const perf_event_header& h, std::span<const uint8_t> rec) {
        switch (h.type) {
            case PERF_RECORD_SAMPLE: sample(rec); break;
            case PERF_RECORD_COMM:
                // The main thread's name names the process.
                if (auto c = parse_comm(rec); c && c->pid == c->tid)
                    name(static_cast<int32_t>(c->pid), record_time(rec), std::string(c->comm));
                break;
            case PERF_RECORD_FORK:
                // A new process (not a thread) has no COMM until it execs: its parent's name.
                if (auto t = parse_task(rec); t && t->pid == t->tid && t->pid != t->ppid)
                    parents_[static_cast<int32_t>(t->pid)] = static_cast<int32_t>(t->ppid);
                break;
            case PERF_RECORD_MMAP2: {
                auto m = parse_mmap(rec);
                if (!m || m->filename.empty() || m->filename[0] != '/' || !(m->prot & PROT_EXEC)) break;
                add_binary(std::string(m->filename), m->build_id.empty() ? std::string() : build_id_hex(m->build_id));
                break;
            }
            case PERF_RECORD_LOST:
                if (auto l = parse_lost(rec)) s_.lost += l->lost;
                break;
            case PERF_RECORD_LOST_SAMPLES:
                if (auto l = parse_lost_samples(rec)) s_.lost += l->lost;
                break;
            case PERF_RECORD_THROTTLE: ++s_.throttled; break;
            default: break;
        }
    }

    void sample(std::span<const uint8_t> rec) {
        // One event: every sample is its own, with or without an identifier (perf.data's
        // single-event files have none).
        size_t event = 0;
        if (ev_.layouts.size() != 1) {
            auto it = ev_.index_of_id.find(record_identifier(rec));
            if (it == ev_.index_of_id.end()) {
                ++unknown_ids_;
                return;
            }
            event = it->second;
        }
        auto parsed = parse_sample(ev_.layouts[event], rec);
        if (!parsed) {
            if (bad_samples_++ == 0) s_.warnings.push_back("unparsable sample: " + parsed.error().message);
            return;
        }
        ++s_.samples;
        ++s_.samples_per_event[event];
        auto& p = procs_[static_cast<int32_t>(parsed->pid)];
        p.pid = static_cast<int32_t>(parsed->pid);
        ++p.samples;
        tids_[p.pid].insert(static_cast<int32_t>(parsed->tid));
        if (s_.first_sample_ns == 0 || parsed->time < s_.first_sample_ns) s_.first_sample_ns = parsed->time;
        s_.last_sample_ns = std::max(s_.last_sample_ns, parsed->time);
        if (!parsed->stack.empty()) {
            ++s_.samples_with_stack;
            s_.stack_bytes += parsed->stack.size();
        }
        if (parsed->callchain_size() > 0) ++s_.samples_with_callchain;
    }

public:
    uint64_t unknown_ids_ = 0;
    uint64_t bad_samples_ = 0;

private:
    RecordingSummary& s_;
    EventLayouts ev_;
    StackLayouts stacks_;
    std::vector<uint8_t> expanded_;  // a records chunk with its stack deltas expanded
    std::map<int32_t, ProcessSummary> procs_;
    std::map<int32_t, std::set<int32_t>> tids_;
    // The newest name of each process, by the time of the record that gave it: records of one
    // round are stored CPU by CPU, so `sh -c "exec prog"` may store prog's COMM before sh's.
    std::map<int32_t, std::pair<uint64_t, std::string>> names_;
    std::map<int32_t, int32_t> parents_;  // process -> the process that forked it
    std::map<std::string, std::string> binaries_;
    std::map<std::string, std::string> late_ids_;
};

}  // namespace

Result<RecordingSummary> summarize(RecordingReader& reader) {
    RecordingSummary s;
    s.header = reader.header();
    SummaryBuilder b(s);
    std::set<int32_t> counter_pids;
    PidNamespaceMap namespace_pids;
    for (;;) {
        auto chunk = reader.next();
        if (!chunk) return chunk.error();
        if (!chunk->has_value()) break;
        const Chunk& c = **chunk;
        ++s.chunks;
        switch (c.type) {
            case ChunkType::kPerfRecords: b.perf_records(c.data, c.file_offset); break;
            case ChunkType::kProcSnapshot: {
                auto snap = decode_process_snapshot(c.data);
                if (snap) b.snapshot(*snap);
                else s.warnings.push_back(snap.error().message);
                break;
            }
            case ChunkType::kBuildIds: {
                auto t = decode_build_ids(c.data);
                if (t) b.build_ids(*t);
                else s.warnings.push_back(t.error().message);
                break;
            }
            case ChunkType::kKallsyms:
            case ChunkType::kKallsymsCompact:
            case ChunkType::kKallsymsFolded:
            case ChunkType::kKallsymsTouched: {
                // A whole table wins over the symbols the samples hit (as in the analyzer).
                const bool whole = is_whole_kallsyms_chunk(c.type);
                if (!whole && s.kernel_symbols_whole) break;
                // Counted as they stream by: a summary needs no 100k+ symbols' strings.
                uint64_t count = 0;
                Status k = for_each_kernel_symbol(c.type, c.data, [&count](const KernelSymbolView&) { ++count; });
                if (k) {
                    s.kernel_symbols = count;
                    s.kernel_symbols_whole = whole;
                } else {
                    s.warnings.push_back(k.error().message);
                }
                break;
            }
            case ChunkType::kKallsymsRef: {
                auto ref = decode_kallsyms_ref(c.data);
                if (ref) s.kernel_symbols_referenced = std::max<uint64_t>(ref->count, 1);
                else s.warnings.push_back(ref.error().message);
                break;
            }
            case ChunkType::kPerfMap: ++s.perf_maps; break;
            case ChunkType::kPidNamespaces: {
                auto ns = decode_pid_namespaces(c.data);
                if (ns) namespace_pids.insert(ns->begin(), ns->end());
                else s.warnings.push_back(ns.error().message);
                break;
            }
            case ChunkType::kBinary: {
                auto bin = decode_archived_binary(c.data);
                if (!bin) {
                    s.warnings.push_back(bin.error().message);
                    break;
                }
                if (bin->path == kVdsoBinaryPath) {
                    s.vdso_build_id = build_id_hex(bin->build_id);
                    break;
                }
                ++s.archived_binaries;
                s.archived_bytes += bin->bytes.size();
                break;
            }
            case ChunkType::kCounters: {
                auto cc = decode_counter_chunk(c.data);
                if (!cc) {
                    s.warnings.push_back(cc.error().message);
                    break;
                }
                CounterSummary& cs = s.counters ? *s.counters : s.counters.emplace();
                cs.interval_ns = cc->interval_ns;
                cs.snapshots += cc->snapshots.size();
                for (const auto& snap : cc->snapshots) {
                    cs.max_procs_running = std::max(cs.max_procs_running, snap.machine.procs_running);
                    for (const auto& p : snap.processes) counter_pids.insert(p.pid);
                }
                cs.processes = counter_pids.size();
                break;
            }
            case ChunkType::kStats: {
                auto st = decode_recording_stats(c.data);
                if (st) s.stats = *st;
                else s.warnings.push_back(st.error().message);
                break;
            }
            default: break;
        }
    }
    b.finish();
    for (auto& p : s.processes)
        if (auto it = namespace_pids.find(p.pid); it != namespace_pids.end()) p.namespace_pids = it->second;
    if (b.unknown_ids_ > 0)
        s.warnings.push_back(std::to_string(b.unknown_ids_) + " samples carry an event id the header does not list");
    for (const auto& w : reader.warnings()) s.warnings.push_back(w);
    s.torn = reader.torn();
    if (s.stats) {
        s.duration_ns = s.stats->end_time_ns > s.header.start_time_ns ? s.stats->end_time_ns - s.header.start_time_ns : 0;
        s.lost = std::max(s.lost, s.stats->lost_records + s.stats->lost_samples);
    } else {
        s.warnings.push_back(reader.name() +
                             ": the recording has no end summary (the recorder was killed, stopped by a write error, "
                             "or the file was cut); using what was written");
        s.duration_ns = s.last_sample_ns > s.header.start_time_ns ? s.last_sample_ns - s.header.start_time_ns : 0;
    }
    return s;
}

Result<RecordingSummary> summarize_file(const std::string& path) {
    auto reader = RecordingReader::open(path);
    if (!reader) return reader.error();
    return summarize(**reader);
}

}  // namespace kiln::format
