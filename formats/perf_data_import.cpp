#include "formats/perf_data_import.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <unordered_map>

#include "formats/archived_binary.h"
#include "formats/chunk_writer.h"
#include "formats/kiln_format.h"
#include "formats/perf_offcpu.h"
#include "formats/perf_records.h"
#include "formats/perf_sample.h"
#include "formats/recording_header.h"
#include "formats/recording_stats.h"

namespace kiln::format {

namespace {

// perf's own record types (tools/lib/perf/include/perf/event.h): everything from 64 up is
// perf's, not the kernel's.
constexpr uint32_t kPerfUserTypeStart = 64;
constexpr uint32_t kPerfFinishedRound = kPerfRecordFinishedRound;
// A PERF_RECORDS chunk is closed at the first round end past this many bytes (kiln record's
// chunks are of the same order), or anywhere past the hard limit.
constexpr size_t kChunkTarget = 4 << 20;
constexpr size_t kChunkLimit = 64 << 20;
constexpr int kZstdLevel = 1;  // the file lives in memory while it is read: small, fast

RunningKernelSource& kernel_source() {
    static RunningKernelSource source;
    return source;
}

LocalBuildIdSource& build_id_source() {
    static LocalBuildIdSource source;
    return source;
}

KallsymsFileSource& kallsyms_file_source() {
    static KallsymsFileSource source;
    return source;
}

perf_event_attr attr_of(const std::vector<uint8_t>& bytes) {
    perf_event_attr a{};
    std::memcpy(&a, bytes.data(), std::min(bytes.size(), sizeof a));
    return a;
}

std::vector<uint8_t> with_sample_type(std::vector<uint8_t> bytes, uint64_t sample_type) {
    constexpr size_t at = offsetof(perf_event_attr, sample_type);
    if (bytes.size() >= at + 8) std::memcpy(bytes.data() + at, &sample_type, 8);
    return bytes;
}

bool is_clock_event(const perf_event_attr& a) {
    return a.type == PERF_TYPE_SOFTWARE && (a.config == PERF_COUNT_SW_CPU_CLOCK || a.config == PERF_COUNT_SW_TASK_CLOCK);
}

std::string fallback_name(const perf_event_attr& a) {
    return "perf-event:type=" + std::to_string(a.type) + ",config=" + std::to_string(a.config);
}

// What perf followed: -a, -C, -p and -t on its command line (up to the command's "--"); else
// a command when perf enabled the events at its exec (perf does so only for a command it runs
// and nothing else, without --delay); else system-wide, as perf sched record and the like
// add -a themselves.
RecordingTarget target_of(const std::vector<std::string>& cmdline, const std::vector<PerfDataEvent>& events) {
    for (const auto& w : cmdline) {
        if (w == "--") break;
        if (w == "-a" || w == "--all-cpus" || w == "-C" || w.starts_with("--cpu")) return TargetKind::kSystemWide;
        if (w == "-p" || w.starts_with("--pid")) return TargetKind::kPid;
        if (w == "-t" || w.starts_with("--tid")) return TargetKind::kTid;
    }
    for (const auto& e : events)
        if (attr_of(e.attr).enable_on_exec) return TargetKind::kCommand;
    const bool plain_record = cmdline.size() > 1 && cmdline[1] == "record";
    return plain_record || cmdline.empty() ? TargetKind::kCommand : TargetKind::kSystemWide;
}

std::vector<uint8_t> bytes_of_hex(const std::string& hex) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
        out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
    return out;
}

// How records find their event, and the rewriting kiln's readers need.
class EventIndex {
public:
    explicit EventIndex(const PerfDataInfo& info) {
        for (size_t i = 0; i < info.events.size(); ++i) {
            attrs_.push_back(attr_of(info.events[i].attr));
            layouts_.push_back(SampleLayout::from_attr(attrs_.back()));
            for (uint64_t id : info.events[i].ids) event_of_id_.emplace(id, static_cast<int>(i));
            if (perf_tool_event(info.events[i].name, attrs_.back()) != PerfToolEvent::kNone)
                offcpu_event_ = static_cast<int>(i);
        }
        // kiln reads a record's event from PERF_SAMPLE_IDENTIFIER when there are several.
        add_identifier_ = layouts_.size() > 1 && !(layouts_[0].sample_type & PERF_SAMPLE_IDENTIFIER);
    }
    bool adds_identifier() const { return add_identifier_; }
    size_t size() const { return layouts_.size(); }
    const perf_event_attr& attr(int e) const { return attrs_[static_cast<size_t>(e)]; }

    // The record's event id and event index (-1 unknown), read with perf's layout.
    std::pair<uint64_t, int> event_of(std::span<const uint8_t> rec) const {
        if (layouts_.size() == 1) return {0, 0};
        const SampleLayout& first = layouts_[0];
        uint64_t id = 0;
        perf_event_header h;
        std::memcpy(&h, rec.data(), sizeof h);
        if (first.sample_type & PERF_SAMPLE_IDENTIFIER) {
            id = record_identifier(rec);
        } else if (h.type == PERF_RECORD_SAMPLE) {
            // Without IDENTIFIER perf gives every event one layout: the first one's finds ID.
            if (auto s = parse_sample(first, rec)) id = s->id;
        } else {
            id = parse_sample_id(first, rec).id;
        }
        auto it = event_of_id_.find(id);
        return {id, it == event_of_id_.end() ? -1 : it->second};
    }
    const SampleLayout& layout(int e) const { return layouts_[static_cast<size_t>(e)]; }
    // perf record --off-cpu's offcpu-time event (formats/perf_offcpu.h, either layout), or -1.
    int offcpu_event() const { return offcpu_event_; }

private:
    std::vector<perf_event_attr> attrs_;
    std::vector<SampleLayout> layouts_;
    std::unordered_map<uint64_t, int> event_of_id_;
    bool add_identifier_ = false;
    int offcpu_event_ = -1;
};

// One pass over the records: times and counts for the header and STATS.
struct RecordSummary {
    uint64_t first_time = std::numeric_limits<uint64_t>::max(), last_time = 0;
    RecordingStats stats;
    std::set<std::string> mapped_files;  // executable file mappings without a build-id in their record
    uint64_t offcpu_samples = 0;         // perf record --off-cpu's, whose times are made up
};

uint64_t time_of(const EventIndex& events, std::span<const uint8_t> rec, const perf_event_header& h) {
    const int e = events.event_of(rec).second;
    if (e < 0) return 0;
    if (h.type == PERF_RECORD_SAMPLE) {
        auto s = parse_sample(events.layout(e), rec);
        return s ? s->time : 0;
    }
    return parse_sample_id(events.layout(e), rec).time;
}

Result<RecordSummary> summarize_records(const PerfDataReader& in, const EventIndex& events,
                                        std::vector<std::string>& warnings) {
    RecordSummary out;
    KILN_TRY(in.for_each_record(
        [&](std::span<const uint8_t> rec) {
            perf_event_header h;
            std::memcpy(&h, rec.data(), sizeof h);
            if (h.type >= kPerfUserTypeStart) return true;
            if (h.type == PERF_RECORD_SAMPLE) {
                ++out.stats.samples;
                const uint64_t t = time_of(events, rec, h);
                if (events.offcpu_event() >= 0 && is_perf_offcpu_time(t) &&
                    events.event_of(rec).second == events.offcpu_event()) {
                    ++out.offcpu_samples;  // its time is perf's made-up one: not the recording's span
                    return true;
                }
                if (t) {
                    out.first_time = std::min(out.first_time, t);
                    out.last_time = std::max(out.last_time, t);
                }
            } else if (h.type == PERF_RECORD_LOST && rec.size() >= sizeof h + 16) {
                uint64_t lost;
                std::memcpy(&lost, rec.data() + sizeof h + 8, 8);
                out.stats.lost_records += lost;
                ++out.stats.lost_events;
            } else if (h.type == PERF_RECORD_LOST_SAMPLES && rec.size() >= sizeof h + 8) {
                uint64_t lost;
                std::memcpy(&lost, rec.data() + sizeof h, 8);
                out.stats.lost_samples += lost;
            } else if (h.type == PERF_RECORD_MMAP || h.type == PERF_RECORD_MMAP2) {
                if (auto m = parse_mmap(rec); m && m->build_id.empty() && (m->prot & PROT_EXEC) &&
                                                 m->filename.starts_with("/"))
                    out.mapped_files.emplace(m->filename);
            } else if (h.type == PERF_RECORD_THROTTLE) {
                ++out.stats.throttles;
            } else if (h.type == PERF_RECORD_UNTHROTTLE) {
                ++out.stats.unthrottles;
            }
            return true;
        },
        warnings));
    if (out.first_time == std::numeric_limits<uint64_t>::max()) out.first_time = 0;
    return out;
}

RecordingHeader make_header(const PerfDataReader& in, const EventIndex& events, const RecordSummary& summary) {
    const PerfDataInfo& info = in.info();
    RecordingHeader h;
    // What wrote the file; `kiln info` says "perf.data" files are imported.
    h.kiln_version = "perf.data" + (info.perf_version.empty() ? std::string() : " (perf " + info.perf_version + ")");
    h.hostname = info.hostname;
    h.kernel_release = info.os_release;
    h.arch = info.arch;
    h.clock_id = info.clock_id.value_or(1);
    h.start_time_ns = summary.first_time;
    if (info.clock_wall_ns && info.clock_clockid_ns && summary.first_time)
        h.start_realtime_ns = *info.clock_wall_ns + summary.first_time - *info.clock_clockid_ns;
    h.cpu_count = info.cpus_online ? info.cpus_online : info.cpus_available;
    h.target = target_of(info.cmdline, info.events);
    h.command_line = info.cmdline;
    for (size_t i = 0; i < info.events.size(); ++i) {
        const PerfDataEvent& pe = info.events[i];
        const perf_event_attr& a = events.attr(static_cast<int>(i));
        EventDescription e;
        e.name = pe.name.empty() ? fallback_name(a) : pe.name;
        e.attr = events.adds_identifier() ? with_sample_type(pe.attr, a.sample_type | PERF_SAMPLE_IDENTIFIER) : pe.attr;
        e.ids = pe.ids;
        e.is_clock = is_clock_event(a);
        if (a.type == PERF_TYPE_TRACEPOINT) {
            auto f = info.tracepoint_formats.find(a.config);
            if (f != info.tracepoint_formats.end()) e.tracepoint_format = f->second;
        }
        h.events.push_back(std::move(e));
    }
    return h;
}

Status write_kernel_chunks(ChunkWriter& w, const RunningKernel& kernel) {
    KILN_TRY(w.write_chunk(ChunkType::kKernelInfo, encode(kernel.image)));
    KILN_TRY(w.write_chunk(ChunkType::kKallsymsFolded, kernel.kallsyms_folded));
    KILN_TRY(w.write_chunk(ChunkType::kModules, encode(kernel.modules)));
    return Status::success();
}

// The kernel symbols perf's build-id cache holds for the recorded kernel; why not, else.
Result<RunningKernel> cached_kernel(const std::string& build_id, const std::string& release) {
    const std::string dir = perf_build_id_cache_dir();
    if (dir.empty()) return make_error("no perf build-id cache ($PERF_BUILDID_DIR and $HOME are unset)");
    const std::string path = dir + "/[kernel.kallsyms]/" + build_id + "/kallsyms";
    if (::access(path.c_str(), R_OK) != 0) return make_error(path + " is not there");
    if (!kallsyms_file_source()) return make_error(path + " cannot be read by this program");
    auto kernel = kallsyms_file_source()(path);
    if (!kernel) return kernel.error();
    kernel->image.release = release;
    kernel->image.build_id = bytes_of_hex(build_id);
    return kernel;
}

// perf record keeps the vdso in its build-id cache ([vdso]/BUILD-ID/vdso): that copy, as a
// BINARY chunk like a kiln recording's own, names and unwinds [vdso] frames.
Status write_cached_vdso(ChunkWriter& w, const PerfDataInfo& info, const std::string& name, std::vector<std::string>& notes) {
    constexpr std::streamsize kMaxVdsoBytes = 1 << 20;
    for (const auto& b : info.build_ids) {
        if (b.filename != kVdsoBinaryPath) continue;
        const std::string dir = perf_build_id_cache_dir();
        const std::string path = dir + "/[vdso]/" + b.build_id + "/vdso";
        std::ifstream in(path, std::ios::binary);
        std::vector<uint8_t> bytes(static_cast<size_t>(kMaxVdsoBytes) + 1);
        if (!dir.empty() && in) in.read(reinterpret_cast<char*>(bytes.data()), kMaxVdsoBytes + 1);
        const std::streamsize got = dir.empty() ? 0 : in.gcount();
        if (got <= 0 || got > kMaxVdsoBytes) {
            notes.push_back(name + ": [vdso] frames are not named: perf's build-id cache has no vdso of build-id " +
                            b.build_id + " (" + path + ")");
            return Status::success();
        }
        bytes.resize(static_cast<size_t>(got));
        return w.write_chunk(ChunkType::kBinary, encode_archived_binary(bytes_of_hex(b.build_id), kVdsoBinaryPath, bytes));
    }
    return Status::success();
}

// The kernel symbols of the machine reading the file when its kernel is the one the file was
// recorded on, else those of perf's build-id cache; else kernel frames stay unnamed.
Status write_kernel_sideband(ChunkWriter& w, const PerfDataInfo& info, const std::string& name,
                             std::vector<std::string>& notes) {
    std::string recorded;
    for (const auto& b : info.build_ids)
        if (b.filename == "[kernel.kallsyms]") recorded = b.build_id;
    std::string why_not_running;
    if (!kernel_source()) {
        why_not_running = "no kernel symbols are available to this reader";
    } else if (auto kernel = kernel_source()(); !kernel) {
        why_not_running = kernel.error().message;
    } else {
        const std::string running = build_id_hex(kernel->image.build_id);
        const bool same = recorded.empty() ? !info.os_release.empty() && info.os_release == kernel->image.release
                                           : recorded == running;
        if (same) {
            if (recorded.empty())
                notes.push_back(name + ": the file names no kernel build-id; kernel frames are named from this "
                                       "machine's kernel, of the same release " + kernel->image.release);
            return write_kernel_chunks(w, *kernel);
        }
        why_not_running = "the file was recorded on kernel " +
                          (recorded.empty() ? info.os_release : "build-id " + recorded) + ", this machine runs " +
                          kernel->image.release + " (build-id " + running + ")";
    }
    if (recorded.empty()) {
        notes.push_back(name + ": kernel frames are not named: " + why_not_running);
        return Status::success();
    }
    auto cached = cached_kernel(recorded, info.os_release);
    if (!cached) {
        notes.push_back(name + ": kernel frames are not named: " + why_not_running +
                        "; perf.data holds no kernel symbols and perf's build-id cache has none for it (" +
                        cached.error().message + "; `perf archive` on the recording machine packs them)");
        return Status::success();
    }
    notes.push_back(name + ": kernel frames are named from perf's build-id cache (" + perf_build_id_cache_dir() +
                    "/[kernel.kallsyms]/" + recorded + "/kallsyms): " + why_not_running);
    return write_kernel_chunks(w, *cached);
}

// The data section's kernel records as PERF_RECORDS chunks.
class RecordsWriter {
public:
    // end_time: the last real time of the recording, given to perf's off-CPU samples.
    RecordsWriter(ChunkWriter& w, const EventIndex& events, uint64_t end_time)
        : w_(w), events_(events), end_time_(end_time) {}

    Status add(std::span<const uint8_t> rec) {
        perf_event_header h;
        std::memcpy(&h, rec.data(), sizeof h);
        if (h.type == kPerfFinishedRound) {
            append_header(kRecordRoundEnd, 0, sizeof(perf_event_header));
            if (buffer_.size() >= kChunkTarget) return flush();
            return Status::success();
        }
        if (h.type >= kPerfUserTypeStart) return Status::success();
        const auto [id, event] = events_.event_of(rec);
        const size_t before = buffer_.size();
        if (h.type == PERF_RECORD_SAMPLE && event >= 0 &&
            (events_.layout(event).sample_type & PERF_SAMPLE_STACK_USER)) {
            // The unused tail of a DWARF stack copy dropped, as kiln record does.
            buffer_.resize(before + rec.size());
            const size_t n = copy_trimmed_sample(events_.layout(event), rec, buffer_.data() + before);
            buffer_.resize(before + n);
        } else {
            buffer_.insert(buffer_.end(), rec.begin(), rec.end());
        }
        if (h.type == PERF_RECORD_SAMPLE && event >= 0 && event == events_.offcpu_event())
            set_offcpu_time(before, events_.layout(event));
        if (events_.adds_identifier()) add_identifier(before, h.type == PERF_RECORD_SAMPLE, id);
        if (buffer_.size() >= kChunkLimit) return flush();
        return Status::success();
    }

    Status flush() {
        if (buffer_.empty()) return Status::success();
        Status st = w_.write_chunk(ChunkType::kPerfRecords, buffer_);
        buffer_.clear();
        return st;
    }

private:
    void append_header(uint32_t type, uint16_t misc, uint16_t size) {
        perf_event_header h{type, misc, size};
        const auto* p = reinterpret_cast<const uint8_t*>(&h);
        buffer_.insert(buffer_.end(), p, p + sizeof h);
    }

    // perf's off-CPU samples carry made-up times past any real one ((~0 << 32) + n) so that they
    // sort last; they stand for the whole recording, and get its end time: kiln's time-based
    // readers (spans, --time, timelines) then see a time inside the recording.
    void set_offcpu_time(size_t at, const SampleLayout& layout) {
        const auto offset = sample_time_offset(layout);
        if (!offset || at + *offset + 8 > buffer_.size()) return;
        uint64_t t;
        std::memcpy(&t, buffer_.data() + at + *offset, 8);
        if (is_perf_offcpu_time(t)) std::memcpy(buffer_.data() + at + *offset, &end_time_, 8);
    }

    // The record at buffer_[at...] gets PERF_SAMPLE_IDENTIFIER: right after the header for a
    // sample, last for any other record (the end of its sample_id trailer).
    void add_identifier(size_t at, bool sample, uint64_t id) {
        perf_event_header h;
        std::memcpy(&h, buffer_.data() + at, sizeof h);
        if (h.size > std::numeric_limits<uint16_t>::max() - 8) return;  // cannot grow: left as is
        const auto* p = reinterpret_cast<const uint8_t*>(&id);
        const size_t where = sample ? at + sizeof h : buffer_.size();
        buffer_.insert(buffer_.begin() + static_cast<std::ptrdiff_t>(where), p, p + 8);
        h.size = static_cast<uint16_t>(h.size + 8);
        std::memcpy(buffer_.data() + at, &h, sizeof h);
    }

    ChunkWriter& w_;
    const EventIndex& events_;
    uint64_t end_time_;
    std::vector<uint8_t> buffer_;
};

}  // namespace

void set_running_kernel_source(RunningKernelSource source) { kernel_source() = std::move(source); }
void set_local_build_id_source(LocalBuildIdSource source) { build_id_source() = std::move(source); }
void set_kallsyms_file_source(KallsymsFileSource source) { kallsyms_file_source() = std::move(source); }

std::string perf_build_id_cache_dir() {
    if (const char* dir = std::getenv("PERF_BUILDID_DIR"); dir && *dir) return dir;
    if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.debug";
    return "";
}

Status import_perf_data(const PerfDataReader& in, int fd, const std::string& name, std::vector<std::string>& notes) {
    const PerfDataInfo& info = in.info();
    if (info.events.empty()) return make_error(name + ": the perf.data file describes no events");
    for (const auto& w : info.warnings) notes.push_back(name + ": " + w);
    EventIndex events(info);
    if (info.has_branch_stack)
        notes.push_back(name + ": branch stacks (perf record -b) are not read; samples with them are left out");
    std::vector<std::string> read_warnings;
    auto summary = summarize_records(in, events, read_warnings);
    if (!summary) return make_error(name + ": " + summary.error().message);

    ChunkWriter w(fd, name + " (imported)", kZstdLevel);
    KILN_TRY(w.write_preamble());
    KILN_TRY(w.write_chunk(ChunkType::kHeader, encode(make_header(in, events, *summary))));
    KILN_TRY(write_kernel_sideband(w, info, name, notes));
    RecordsWriter records(w, events, summary->last_time);
    Status written = Status::success();
    read_warnings.clear();
    KILN_TRY(in.for_each_record(
        [&](std::span<const uint8_t> rec) {
            written = records.add(rec);
            return written.ok();
        },
        read_warnings));
    KILN_TRY(written);
    KILN_TRY(records.flush());
    for (const auto& warning : read_warnings) notes.push_back(name + ": " + warning);
    if (summary->offcpu_samples)
        notes.push_back(name + ": " + std::to_string(summary->offcpu_samples) +
                        " offcpu-time samples (perf record --off-cpu) hold each thread's off-CPU time per stack, "
                        "summed over the recording; they are placed at its end");

    BuildIdTable ids;
    std::set<std::string> listed;
    for (const auto& b : info.build_ids) {
        if (b.filename.empty() || b.filename.front() == '[') continue;  // [kernel.kallsyms], [vdso] ...
        ids.entries.push_back({-1, b.filename, bytes_of_hex(b.build_id)});
        listed.insert(b.filename);
    }
    size_t local = 0;
    for (const auto& path : summary->mapped_files) {
        if (listed.count(path) || !build_id_source()) continue;
        if (auto id = build_id_source()(path); !id.empty()) {
            ids.entries.push_back({-1, path, std::move(id)});
            ++local;
        }
    }
    if (local)
        notes.push_back(name + ": the build-ids of " + std::to_string(local) +
                        " mapped files perf did not list (no sample ended in them) are those of this machine's copies");
    if (!ids.entries.empty()) KILN_TRY(w.write_chunk(ChunkType::kBuildIds, encode(ids)));
    KILN_TRY(write_cached_vdso(w, info, name, notes));
    RecordingStats stats = summary->stats;
    stats.end_time_ns = summary->last_time;
    stats.stop_reason = static_cast<uint32_t>(StopReason::kUnknown);
    KILN_TRY(w.write_chunk(ChunkType::kStats, encode(stats)));
    return Status::success();
}

}  // namespace kiln::format
