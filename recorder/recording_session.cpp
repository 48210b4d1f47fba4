#include "recorder/recording_session.h"

#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <set>

#include "formats/archived_binary.h"
#include "formats/cache_dirs.h"
#include "formats/sideband.h"
#include "pmu/stale_probe_groups.h"
#include "recorder/binary_archive.h"
#include "recorder/mem_events.h"
#include "recorder/ring_sizing.h"
#include "recorder/sideband/sideband_collect.h"
#include "recorder/sideband/vdso_image.h"
#include "recorder/targets.h"
#include "recorder/trace_events.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.0.0"
#endif

namespace kiln::recorder {

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

namespace {

uint64_t realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

Result<Target> resolve_target(const RecordOptions& opt) {
    Target t;
    t.events.cpus = opt.cpus.empty() ? online_cpus() : opt.cpus;
    if (opt.system_wide || (!opt.cpus.empty() && opt.pids.empty() && opt.tids.empty() && opt.command.empty())) {
        t.events.system_wide = true;
        t.kind = format::TargetKind::kSystemWide;
        return t;
    }
    if (!opt.pids.empty()) {
        t.kind = format::TargetKind::kPid;
        for (int pid : opt.pids) {
            auto tids = threads_of(pid);
            if (!tids) return tids.error();
            t.events.tasks.insert(t.events.tasks.end(), tids->begin(), tids->end());
            t.snapshot_pids.push_back(pid);
            t.watch_pids.push_back(pid);
        }
        return t;
    }
    if (!opt.tids.empty()) {
        t.kind = format::TargetKind::kTid;
        t.events.per_thread = true;
        for (int tid : opt.tids) {
            auto tgid = tgid_of(tid);
            if (!tgid) return tgid.error();
            t.events.tasks.push_back(tid);
            if (std::find(t.snapshot_pids.begin(), t.snapshot_pids.end(), *tgid) == t.snapshot_pids.end())
                t.snapshot_pids.push_back(*tgid);
            t.watch_pids.push_back(tid);
        }
        return t;
    }
    if (!opt.command.empty()) {
        t.kind = format::TargetKind::kCommand;
        t.events.enable_on_exec = true;
        return t;
    }
    return make_error("nothing to record: give a command after --, -p PID, -t TID or -a");
}

Result<std::vector<pmu::ResolvedEvent>> resolve_events(const RecordOptions& opt,
                                                      const std::function<void(const std::string&)>& note) {
    std::vector<std::string> specs = opt.events.empty() && !opt.mem.any() ? std::vector<std::string>{"cycles"} : opt.events;
    if (opt.off_cpu)
        for (const char* ev : kOffCpuEvents)
            if (std::find(specs.begin(), specs.end(), ev) == specs.end()) specs.push_back(ev);
    std::vector<pmu::ResolvedEvent> out;
    for (const auto& s : specs) {
        auto ev = pmu::resolve_event(s);
        if (!ev) return ev.error();
        if (!ev->note.empty()) note(ev->note);
        out.push_back(std::move(*ev));
    }
    auto traced = trace_events(opt);
    if (!traced) return traced.error();
    for (auto& ev : *traced)
        if (std::none_of(out.begin(), out.end(), [&ev](const pmu::ResolvedEvent& o) { return o.name == ev.name; }))
            out.push_back(std::move(ev));
    if (opt.mem.any()) {
        std::string libc;
        if (opt.mem.malloc) {
            auto found = opt.mem.sample_mean ? alloc_sampler_path() : target_libc(opt);
            if (!found) return found.error();
            libc = *found;
        }
        auto mem = mem_events(opt, libc);
        if (!mem) return mem.error();
        for (auto& ev : *mem)
            if (std::none_of(out.begin(), out.end(), [&ev](const pmu::ResolvedEvent& o) { return o.name == ev.name; }))
                out.push_back(std::move(ev));
    }
    return out;
}

format::RecordingHeader make_header(const RecordOptions& opt, const Target& target,
                                    const EventSet& events, uint64_t start_ns, uint64_t start_realtime_ns) {
    format::RecordingHeader h;
    h.kiln_version = KILN_VERSION;
    utsname u{};
    if (uname(&u) == 0) {
        h.hostname = u.nodename;
        h.kernel_release = u.release;
        h.arch = u.machine;
    }
    h.clock_id = CLOCK_MONOTONIC;
    h.start_time_ns = start_ns;
    h.start_realtime_ns = start_realtime_ns;
    h.cpu_count = static_cast<uint32_t>(online_cpus().size());
    h.page_size = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
    h.target = target.kind;
    h.command_line = opt.kiln_argv;
    h.events = events.describe();
    return h;
}

// A [vdso] mapping of a process in the snapshot.
struct VdsoMapping {
    uint32_t pid;
    uint64_t start, end;
};

// Returns the snapshot's [vdso] mappings, for DrainLoop::note_vdso.
std::vector<VdsoMapping> submit_process_snapshot(ChunkPipeline& pipeline, const Target& target,
                                                 const std::function<void(const std::string&)>& note,
                                                 sideband::BinaryCapture& capture, sideband::PidNamespaceWatch& namespaces) {
    std::vector<VdsoMapping> vdso;
    Result<format::ProcessSnapshot> snap =
        target.events.system_wide ? snapshot_all_processes() : snapshot_processes(target.snapshot_pids);
    if (!snap) {
        note("process snapshot incomplete: " + snap.error().message);
        return vdso;
    }
    for (const auto& p : snap->processes) {
        namespaces.observe(p.pid);
        for (const auto& m : p.maps) {
            if (m.prot & PROT_EXEC) capture.offer(p.pid, m.start, m.end, m.path, m.build_id);
            if (m.path == format::kVdsoBinaryPath) vdso.push_back({static_cast<uint32_t>(p.pid), m.start, m.end});
        }
    }
    pipeline.submit_sideband(format::ChunkType::kProcSnapshot, format::encode(*snap));
    return vdso;
}

}  // namespace

Result<std::unique_ptr<RecordingSession>> RecordingSession::open(const RecordOptions& opt, const Note& note) {
    if (opt.frequency && opt.period) return make_error("-F and -c are exclusive: choose a frequency or a period");
    if (opt.call_graph == CallGraph::kDwarf &&
        (opt.dwarf_stack_bytes == 0 || opt.dwarf_stack_bytes > kMaxDwarfStackBytes || opt.dwarf_stack_bytes % 8 != 0))
        return make_error("-g dwarf,BYTES: BYTES must be a multiple of 8 between 8 and " +
                          std::to_string(kMaxDwarfStackBytes));
    if (opt.call_graph == CallGraph::kFramePointer && (opt.fp_stack_bytes > 4096 || opt.fp_stack_bytes % 8 != 0))
        return make_error("-g fp,BYTES: BYTES must be a multiple of 8 between 0 and 4096");
    // Uprobes of recorders killed with SIGKILL stay in tracefs until someone removes them; a
    // run without access to tracefs has nothing to say about them.
    if (auto cleaned = pmu::remove_stale_probe_groups())
        for (const auto& line : pmu::describe(*cleaned)) note(line);
    std::unique_ptr<RecordingSession> s(new RecordingSession());
    s->opt_ = opt;
    s->note_ = note;
    auto events = resolve_events(opt, note);
    if (!events) return events.error();
    s->resolved_ = std::move(*events);
    auto target = resolve_target(opt);
    if (!target) return target.error();
    s->target_ = std::move(*target);
    return s;
}

RecordingSession::~RecordingSession() {
    if (!stopped_ && pipeline_) stop(0);
    if (pipeline_) (void)pipeline_->finish();
}

Status RecordingSession::start(ChunkSink& sink,
                               const std::function<Status(const format::RecordingHeader&)>& write_header) {
    const RecordOptions& opt = opt_;
    if (!opt.command.empty()) {
        std::vector<std::string> env;
        if (opt.mem.malloc && opt.mem.sample_mean) {
            auto sampler = alloc_sampler_path();
            if (!sampler) return sampler.error();
            env = alloc_sampler_environment(*sampler, opt.mem.sample_mean, opt.call_graph == CallGraph::kFramePointer);
        }
        auto pid = launcher_.prepare(opt.command, /*stdout_to_stderr=*/opt.output == "-", env);
        if (!pid) return pid.error();
        if (target_.kind == format::TargetKind::kCommand) target_.events.tasks = {*pid};
    }
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const auto every_occurrence = static_cast<size_t>(std::count_if(resolved_.begin(), resolved_.end(), [](const auto& ev) {
        return ev.kind == pmu::EventKind::kTracepoint || ev.kind == pmu::EventKind::kUprobe;
    }));
    ring_pages_ = ring_data_pages(opt, resolved_.size(), every_occurrence, page);
    rings_.reserve(target_.events.cpus.size());
    auto map_ring = [&](int fd, int cpu) {
        rings_.emplace_back();
        return rings_.back().map(fd, ring_pages_, cpu);
    };
    if (auto st = event_set_.open(resolved_, opt, target_.events, map_ring, tracefs_probes_); !st) {
        launcher_.abandon();
        return st.error();
    }

    // Chunks of at most 2 MiB raw: small enough that the analyzer decompresses each into a
    // cache-resident buffer (8 MiB chunks cost it a third more CPU per sample in page faults
    // and cache misses), big enough for zstd to find the repeats between stack copies. The
    // pool holds at least a ring's worth per CPU so the writer can lag briefly.
    const size_t buffer_bytes = std::clamp<size_t>(ring_pages_ * page, 1 << 20, 2 << 20);
    const size_t buffer_count = std::max<size_t>(4 + rings_.size(), 2 * rings_.size() * ring_pages_ * page / buffer_bytes);
    pipeline_ = std::make_unique<ChunkPipeline>(sink, buffer_bytes, buffer_count);
    // Its worker thread starts here, before the -a --syscalls filter lists kiln's own threads.
    capture_ = std::make_unique<sideband::BinaryCapture>(format::kiln_cache_dir(), opt.archive);

    // Kernel symbols do not change with the target: read them before the clock starts. They
    // wait in the pipeline's queue until the header is written.
    kernel_symbols_.submit(*pipeline_, opt.zstd_level, opt.archive, note_);

    // The clock starts before the events are enabled: start() returns only once the command
    // has exec'd, and its first samples (the dynamic loader's) come before that return.
    const uint64_t started_ns = monotonic_ns();
    const uint64_t started_realtime_ns = realtime_ns();
    if (auto st = target_.events.enable_on_exec ? launcher_.start() : event_set_.enable(); !st) return st.error();
    if (target_.events.system_wide && !opt.command.empty())
        if (auto st = launcher_.start(); !st) return st.error();
    child_ = launcher_.pid();
    header_ = make_header(opt, target_, event_set_, started_ns, started_realtime_ns);
    if (auto st = write_header(header_); !st) return st.error();
    pipeline_->start();
    // After the header, so its snapshots fall inside the recording; stopped before STATS.
    if (opt.counter_interval_ns > 0) {
        CounterSettings cs;
        cs.interval_ns = opt.counter_interval_ns;
        cs.proc_interval_ns = opt.proc_interval_ns;
        cs.all_processes = target_.events.system_wide;
        cs.pids = target_.snapshot_pids;
        if (launcher_.pid() > 0) cs.pids.push_back(launcher_.pid());
        counters_.emplace(*pipeline_, std::move(cs));
        counters_->start();
    }
    // -a --syscalls would record kiln's own reads of /proc and writes of chunks: a filter
    // leaves out its threads, all started by now (the kernel takes one filter per event, so
    // the few calls that started them are recorded).
    if (opt.syscalls && target_.events.system_wide) {
        auto own = threads_of(getpid());
        if (!own) return own.error();
        if (auto st = event_set_.set_filter(is_syscall_event, exclude_threads_filter(*own)); !st) return st.error();
    }
    // Snapshots after enabling: anything mapped from now on arrives as MMAP2 records.
    std::vector<VdsoMapping> snapshot_vdso;
    if (!target_.snapshot_pids.empty() || target_.events.system_wide)
        snapshot_vdso = submit_process_snapshot(*pipeline_, target_, note_, *capture_, pid_namespaces_);

    drain_ = std::make_unique<DrainLoop>(rings_, *pipeline_);
    for (const auto& v : snapshot_vdso) drain_->note_vdso(v.pid, v.start, v.end);
    drain_->on_exec_mapping([this](const format::MmapRecord& m) {
        capture_->offer(static_cast<int>(m.pid), m.addr, m.addr + m.len, m.filename, m.build_id);
    });
    drain_->encode_deltas_of(event_set_.describe());
    // The children of target processes are followed by the counters too, as by the events.
    const bool follow_children = counters_ && !target_.events.system_wide;
    drain_->on_new_process([this, follow_children](int pid) {
        pid_namespaces_.observe(pid);
        if (follow_children) counters_->add_process(pid);
    });
    return {};
}

bool RecordingSession::reap_child() {
    if (child_ <= 0) return false;
    int st = 0;
    if (::waitpid(child_, &st, WNOHANG) != child_) return false;
    child_status_ = st;
    child_ = -1;
    return true;
}

void RecordingSession::stop(int forward_signal) {
    if (stopped_) return;
    stopped_ = true;
    event_set_.disable();
    if (child_ > 0) {
        // A command kiln started gets the signal kiln got; at the end of -d it gets SIGTERM.
        ::kill(child_, forward_signal != 0 ? forward_signal : SIGTERM);
        int st = 0;
        if (::waitpid(child_, &st, 0) == child_) child_status_ = st;
        child_ = -1;
    }
    if (drain_ && !halted_) {
        drain_->drain_all();
        drain_->flush();
    }
    if (counters_) counters_->stop();
    if (capture_) note_capture(capture_->finish());
    // The recording's end: what comes after (the end's sideband, --archive) takes time that
    // is not the recording's, and blocks still open are counted up to here.
    stopped_at_ns_ = monotonic_ns();
}

// What the binary capture did, in a note or two (sideband/binary_capture.h).
void RecordingSession::note_capture(const sideband::BinaryCapture::Stats& s) const {
    if (s.copied > 0)
        note_("copied " + std::to_string(s.copied) + (s.copied == 1 ? " binary" : " binaries") + " (" +
              std::to_string((s.bytes + (1 << 19)) >> 20) +
              " MiB) that this machine's paths do not show (another mount namespace, or deleted) into the build-id "
              "cache " + capture_->cache_dir() + "/.build-id");
    const size_t shown = std::min<size_t>(s.failures.size(), 3);
    for (size_t i = 0; i < shown; ++i) note_("cannot keep a binary for symbolization: " + s.failures[i]);
    if (s.failures.size() > shown)
        note_("cannot keep " + std::to_string(s.failures.size() - shown) + " more binaries for symbolization");
}

void RecordingSession::halt() {
    if (stopped_ || halted_) return;
    halted_ = true;
    event_set_.disable();
    if (counters_) counters_->stop();
}

format::RecordingStats RecordingSession::stats() const {
    format::RecordingStats stats;
    const auto& c = drain_->counters();
    stats.end_time_ns = stopped_at_ns_ != 0 ? stopped_at_ns_ : monotonic_ns();
    stats.samples = c.samples;
    stats.lost_records = c.lost_records;
    stats.lost_events = c.lost_events;
    stats.lost_samples = c.lost_samples;
    stats.throttles = c.throttles;
    stats.unthrottles = c.unthrottles;
    stats.raw_bytes = c.bytes;
    stats.exit_status = child_status_;
    return stats;
}

// Build-ids the kernel did not put in MMAP2 records, read from the files now; perf maps of
// every process seen.
EndSideband RecordingSession::end_sideband() const {
    EndSideband out;
    std::set<std::string> done;
    for (const auto& [pid, path] : drain_->files_without_build_id()) {
        if (!done.insert(path).second) continue;
        auto id = read_build_id(path);
        if (!id) {
            // The file may be gone from our view but live in the process's mount namespace.
            id = read_build_id("/proc/" + std::to_string(pid) + "/root" + path);
        }
        if (id && !id->empty())
            out.build_ids.entries.push_back({-1, path, std::move(*id)});
        else
            ++out.build_id_failures;
    }
    std::set<int> pids = drain_->pids_seen();
    pids.insert(target_.snapshot_pids.begin(), target_.snapshot_pids.end());
    if (launcher_.pid() > 0) pids.insert(launcher_.pid());
    for (int pid : pids)
        if (auto map = read_perf_map(pid)) out.perf_maps.push_back(std::move(*map));
    out.pid_namespaces = pid_namespaces_.pids();
    out.kernel_symbols_touched = kernel_symbols_.touched(drain_->kernel_addresses());
    // The vdso image, so that [vdso] frames are named and unwound: a few KiB, the same for every
    // 64-bit process of this boot (recorder/sideband/vdso_image.h), kept only when a sample
    // fell in it.
    if (drain_->vdso_touched()) {
        if (auto vdso = sideband::read_own_vdso())
            out.vdso = format::encode_archived_binary(vdso->build_id, format::kVdsoBinaryPath, vdso->bytes);
        else
            note_("vdso not recorded, its frames will show as [vdso]: " + vdso.error().message);
    }
    return out;
}

std::vector<std::pair<format::ChunkType, std::vector<uint8_t>>> EndSideband::chunks() const {
    std::vector<std::pair<format::ChunkType, std::vector<uint8_t>>> out;
    if (!build_ids.entries.empty()) out.emplace_back(format::ChunkType::kBuildIds, format::encode(build_ids));
    for (const auto& m : perf_maps) out.emplace_back(format::ChunkType::kPerfMap, format::encode(m));
    if (!pid_namespaces.empty())
        out.emplace_back(format::ChunkType::kPidNamespaces, format::encode_pid_namespaces(pid_namespaces));
    if (kernel_symbols_touched) out.emplace_back(format::ChunkType::kKallsymsTouched, *kernel_symbols_touched);
    if (vdso) out.emplace_back(format::ChunkType::kBinary, *vdso);
    return out;
}

void RecordingSession::submit_archive() {
    if (!capture_) return;
    const ArchiveSummary a = archive_binaries(capture_->offered(), capture_->cache_dir(), opt_.archive_max_bytes,
                                              [this](std::vector<uint8_t> payload) {
                                                  pipeline_->submit_sideband(format::ChunkType::kBinary, std::move(payload));
                                              });
    note_("archived " + std::to_string(a.files) + (a.files == 1 ? " binary" : " binaries") + " (" +
          std::to_string((a.bytes + (1 << 19)) >> 20) + " MiB before compression) in the recording");
    const size_t shown = std::min<size_t>(a.left_out.size(), 3);
    for (size_t i = 0; i < shown; ++i) note_("not archived: " + a.left_out[i]);
    if (a.left_out.size() > shown) note_(std::to_string(a.left_out.size() - shown) + " more binaries not archived");
}

uint64_t RecordingSession::submit_end_sideband() {
    EndSideband end = end_sideband();
    for (auto& [type, payload] : end.chunks()) pipeline_->submit_sideband(type, std::move(payload));
    return end.build_id_failures;
}

}  // namespace kiln::recorder
