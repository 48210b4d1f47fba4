#include "recorder/recorder.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>

#include "formats/chunk_writer.h"
#include "formats/recording_header.h"
#include "formats/sideband.h"
#include "recorder/command_launcher.h"
#include "recorder/counter_thread.h"
#include "recorder/drain_loop.h"
#include "recorder/event_set.h"
#include "recorder/fd_guard.h"
#include "recorder/mem_events.h"
#include "recorder/trace_events.h"
#include "recorder/output_file.h"
#include "recorder/ring_sizing.h"
#include "recorder/sideband/compressed_payload_cache.h"
#include "recorder/sideband/kernel_symbols_generation.h"
#include "recorder/sideband/sideband_collect.h"
#include "recorder/targets.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.0.0"
#endif

namespace kiln::recorder {

namespace {

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Blocks the signals the loop handles and reads them from a signalfd instead; restores the
// old mask on exit.
class SignalCatcher {
public:
    SignalCatcher() {
        sigset_t set;
        sigemptyset(&set);
        for (int s : {SIGINT, SIGTERM, SIGCHLD, SIGHUP}) sigaddset(&set, s);
        sigprocmask(SIG_BLOCK, &set, &old_);
        fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        ::signal(SIGPIPE, SIG_IGN);
    }
    ~SignalCatcher() {
        if (fd_ >= 0) ::close(fd_);
        sigprocmask(SIG_SETMASK, &old_, nullptr);
    }
    SignalCatcher(const SignalCatcher&) = delete;
    SignalCatcher& operator=(const SignalCatcher&) = delete;
    int fd() const { return fd_; }

private:
    sigset_t old_;
    int fd_ = -1;
};

struct Target {
    EventTarget events;
    std::vector<int> snapshot_pids;  // processes already running that need a /proc snapshot
    std::vector<int> watch_pids;     // recording ends when all of these are gone
    format::TargetKind kind = format::TargetKind::kUnknown;
};

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
            auto found = target_libc(opt);
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
                                    const EventSet& events, uint64_t start_ns) {
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
    h.start_realtime_ns = realtime_ns();
    h.cpu_count = static_cast<uint32_t>(online_cpus().size());
    h.page_size = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
    h.target = target.kind;
    h.command_line = opt.kiln_argv;
    h.events = events.describe();
    return h;
}

// The kernel symbols' chunk, taken compressed from the cache (compressed_payload_cache.h):
// without reading /proc/kallsyms at all while its generation stays the one cached, or after
// reading it when it gives the payload cached; otherwise compressed by the writer thread as any
// chunk, which then fills the cache.
class KernelSymbolsSubmitter {
public:
    KernelSymbolsSubmitter(ChunkPipeline& pipeline, int zstd_level) : pipeline_(pipeline), level_(zstd_level) {
        const std::string dir = sideband::default_cache_dir();
        if (zstd_level > 0 && !dir.empty()) cache_.emplace(dir + "/kernel-symbols.zst");
        // Before /proc/kallsyms is read: a module or BPF program that comes meanwhile then
        // makes the next recording read it again, never reuse symbols older than its key.
        if (cache_) generation_ = sideband::kernel_symbols_generation().value_or(0);
    }

    // True when the cached symbols of this generation were submitted, with the kernel image
    // of their text range.
    bool submit_cached() {
        if (!cache_) return false;
        auto hit = cache_->find_generation(generation_, level_);
        if (!hit) return false;
        KallsymsPayload range;
        range.text_start = hit->info.extra[0];
        range.text_end = hit->info.extra[1];
        if (auto image = read_kernel_image(range))
            pipeline_.submit_sideband(format::ChunkType::kKernelInfo, format::encode(*image));
        pipeline_.submit_compressed_sideband(kType, hit->info.raw_size, std::move(hit->frame));
        return true;
    }

    void submit(KallsymsPayload syms) {
        if (!cache_ || syms.payload.empty()) {
            pipeline_.submit_sideband(kType, std::move(syms.payload));
            return;
        }
        const sideband::CachedPayloadInfo info{syms.payload.size(), sideband::payload_hash(syms.payload), level_,
                                               generation_, {syms.text_start, syms.text_end}};
        if (auto frame = cache_->find(info.raw_size, info.raw_hash, level_)) {
            // The same symbols under another generation (a BPF program came and went): keep
            // the frame, with the generation it is now known for (with none, the file as is).
            if (generation_ != 0) (void)cache_->store(info, *frame);
            pipeline_.submit_compressed_sideband(kType, syms.payload.size(), std::move(*frame));
            return;
        }
        pipeline_.submit_sideband(kType, std::move(syms.payload),
                                  [cache = *cache_, info](std::span<const uint8_t> stored, format::Compression how) {
                                      if (how == format::Compression::kZstd) (void)cache.store(info, stored);
                                  });
    }

private:
    static constexpr auto kType = format::ChunkType::kKallsymsFolded;
    ChunkPipeline& pipeline_;
    int level_;
    std::optional<sideband::CompressedPayloadCache> cache_;
    uint64_t generation_ = 0;
};

// Kernel symbols, modules and the kernel image: without them kernel frames cannot be named
// on another machine. Failures are notes, not errors: user-space analysis still works.
void submit_kernel_sideband(ChunkPipeline& pipeline, int zstd_level,
                            const std::function<void(const std::string&)>& note) {
    KernelSymbolsSubmitter symbols(pipeline, zstd_level);
    if (!symbols.submit_cached()) {
        auto syms = read_kallsyms_payload();
        if (syms) {
            auto image = read_kernel_image(*syms);
            if (image) pipeline.submit_sideband(format::ChunkType::kKernelInfo, format::encode(*image));
            symbols.submit(std::move(*syms));
        } else {
            note("kernel symbols not recorded: " + syms.error().message);
        }
    }
    auto mods = read_modules();
    if (mods) pipeline.submit_sideband(format::ChunkType::kModules, format::encode(*mods));
}

void submit_process_snapshot(ChunkPipeline& pipeline, const Target& target,
                             const std::function<void(const std::string&)>& note) {
    Result<format::ProcessSnapshot> snap =
        target.events.system_wide ? snapshot_all_processes() : snapshot_processes(target.snapshot_pids);
    if (!snap) {
        note("process snapshot incomplete: " + snap.error().message);
        return;
    }
    pipeline.submit_sideband(format::ChunkType::kProcSnapshot, format::encode(*snap));
}

// Build-ids the kernel did not put in MMAP2 records, read from the files now; perf maps of
// every process seen.
uint64_t submit_end_sideband(ChunkPipeline& pipeline, const DrainLoop& drain, const Target& target,
                             pid_t command_pid) {
    format::BuildIdTable table;
    uint64_t failures = 0;
    std::set<std::string> done;
    for (const auto& [pid, path] : drain.files_without_build_id()) {
        if (!done.insert(path).second) continue;
        auto id = read_build_id(path);
        if (!id) {
            // The file may be gone from our view but live in the process's mount namespace.
            id = read_build_id("/proc/" + std::to_string(pid) + "/root" + path);
        }
        if (id && !id->empty())
            table.entries.push_back({-1, path, std::move(*id)});
        else
            ++failures;
    }
    if (!table.entries.empty()) pipeline.submit_sideband(format::ChunkType::kBuildIds, format::encode(table));

    std::set<int> pids = drain.pids_seen();
    pids.insert(target.snapshot_pids.begin(), target.snapshot_pids.end());
    if (command_pid > 0) pids.insert(command_pid);
    for (int pid : pids) {
        auto map = read_perf_map(pid);
        if (map) pipeline.submit_sideband(format::ChunkType::kPerfMap, format::encode(*map));
    }
    return failures;
}

}  // namespace

Result<RecordSummary> record(const RecordOptions& opt, const std::function<void(const std::string&)>& note) {
    if (opt.frequency && opt.period) return make_error("-F and -c are exclusive: choose a frequency or a period");
    if (opt.call_graph == CallGraph::kDwarf &&
        (opt.dwarf_stack_bytes == 0 || opt.dwarf_stack_bytes > kMaxDwarfStackBytes || opt.dwarf_stack_bytes % 8 != 0))
        return make_error("-g dwarf,BYTES: BYTES must be a multiple of 8 between 8 and " +
                          std::to_string(kMaxDwarfStackBytes));
    auto events = resolve_events(opt, note);
    if (!events) return events.error();
    auto target = resolve_target(opt);
    if (!target) return target.error();

    auto out_fd = create_output_file(opt.output);
    if (!out_fd) return out_fd.error();
    FdGuard out_guard{*out_fd};

    SignalCatcher signals;
    CommandLauncher launcher;
    if (!opt.command.empty()) {
        auto pid = launcher.prepare(opt.command);
        if (!pid) return pid.error();
        if (target->kind == format::TargetKind::kCommand) target->events.tasks = {*pid};
    }

    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const auto every_occurrence = static_cast<size_t>(std::count_if(events->begin(), events->end(), [](const auto& ev) {
        return ev.kind == pmu::EventKind::kTracepoint || ev.kind == pmu::EventKind::kUprobe;
    }));
    const size_t pages = ring_data_pages(opt, events->size(), every_occurrence, page);
    pmu::TracefsUprobes tracefs_probes;  // removed last: after the rings and fds that use them
    std::vector<RingBuffer> rings;
    rings.reserve(target->events.cpus.size());
    EventSet event_set;
    auto map_ring = [&](int fd, int cpu) {
        rings.emplace_back();
        return rings.back().map(fd, pages, cpu);
    };
    if (auto s = event_set.open(*events, opt, target->events, map_ring, tracefs_probes); !s) {
        launcher.abandon();
        return s.error();
    }

    format::ChunkWriter writer(*out_fd, opt.output, opt.zstd_level);
    // Chunks of at most 2 MiB raw: small enough that the analyzer decompresses each into a
    // cache-resident buffer (8 MiB chunks cost it a third more CPU per sample in page faults
    // and cache misses), big enough for zstd to find the repeats between stack copies. The
    // pool holds at least a ring's worth per CPU so the writer can lag briefly.
    const size_t buffer_bytes = std::clamp<size_t>(pages * page, 1 << 20, 2 << 20);
    const size_t buffer_count = std::max<size_t>(4 + rings.size(), 2 * rings.size() * pages * page / buffer_bytes);
    ChunkPipeline pipeline(writer, buffer_bytes, buffer_count);

    // Kernel symbols do not change with the target: read them before the clock starts. They
    // wait in the pipeline's queue until the header is written.
    submit_kernel_sideband(pipeline, opt.zstd_level, note);

    if (auto s = target->events.enable_on_exec ? launcher.start() : event_set.enable(); !s) return s.error();
    if (target->events.system_wide && !opt.command.empty())
        if (auto s = launcher.start(); !s) return s.error();
    using clock = std::chrono::steady_clock;
    const auto started = clock::now();  // -d counts from here
    const uint64_t start_ns = monotonic_ns();
    if (auto s = writer.write_preamble(); !s) return s.error();
    if (auto s = writer.write_chunk(format::ChunkType::kHeader,
                                    format::encode(make_header(opt, *target, event_set, start_ns)));
        !s)
        return s.error();
    pipeline.start();
    // After the header, so its snapshots fall inside the recording; stopped before STATS.
    std::optional<CounterThread> counters;
    if (opt.counter_interval_ns > 0) {
        CounterSettings cs;
        cs.interval_ns = opt.counter_interval_ns;
        cs.proc_interval_ns = opt.proc_interval_ns;
        cs.all_processes = target->events.system_wide;
        cs.pids = target->snapshot_pids;
        if (launcher.pid() > 0) cs.pids.push_back(launcher.pid());
        counters.emplace(pipeline, std::move(cs));
        counters->start();
    }
    // -a --syscalls would record kiln's own reads of /proc and writes of chunks: a filter
    // leaves out its threads, all started by now (the kernel takes one filter per event, so
    // the few calls that started them are recorded).
    if (opt.syscalls && target->events.system_wide) {
        auto own = threads_of(getpid());
        if (!own) return own.error();
        if (auto s = event_set.set_filter(is_syscall_event, exclude_threads_filter(*own)); !s) return s.error();
    }
    format::RecordingStats stats;
    // Snapshots after enabling: anything mapped from now on arrives as MMAP2 records.
    if (!target->snapshot_pids.empty() || target->events.system_wide)
        submit_process_snapshot(pipeline, *target, note);

    DrainLoop drain(rings, pipeline);
    drain.encode_deltas_of(event_set.describe());
    // The children of target processes are followed by the counters too, as by the events.
    if (counters && !target->events.system_wide) drain.on_new_process([&counters](int pid) { counters->add_process(pid); });
    std::vector<pollfd> pfds;
    pfds.push_back({signals.fd(), POLLIN, 0});
    for (auto& r : rings) pfds.push_back({r.fd(), POLLIN, 0});

    const bool timed = opt.duration_s > 0;
    const clock::time_point deadline =
        timed ? started + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opt.duration_s))
              : clock::time_point::max();
    auto last_watch = started;
    pid_t child = launcher.pid();
    int child_status = -1;
    format::StopReason reason = format::StopReason::kUnknown;
    int forward_signal = 0;

    // Besides the kernel (a ring half full) and signals (SIGCHLD included), the loop wakes itself
    // once a second to drain the rings and when the buffered records are due to be written
    // (flush_if_due), so what was recorded reaches the file within about a second; four times a
    // second only when it must watch target processes. Each wakeup costs ~50 us of CPU on a VM,
    // and at 999 Hz most of them had been a fixed 250 ms timeout's.
    const int idle_timeout_ms = target->watch_pids.empty() ? 1000 : 250;
    auto ms_until = [](clock::time_point t) {
        if (t == clock::time_point::max()) return std::numeric_limits<long long>::max();
        return static_cast<long long>(std::chrono::ceil<std::chrono::milliseconds>(t - clock::now()).count());
    };
    while (reason == format::StopReason::kUnknown) {
        long long wait_ms = std::min<long long>(idle_timeout_ms, ms_until(drain.flush_due()));
        if (timed) wait_ms = std::min(wait_ms, ms_until(deadline));
        const int timeout_ms = static_cast<int>(std::max<long long>(wait_ms, 0));
        int n = ::poll(pfds.data(), pfds.size(), timeout_ms);
        if (n < 0 && errno != EINTR) return make_error(std::string("poll failed: ") + std::strerror(errno));
        // A ring whose tasks all exited reports POLLHUP forever; stop polling it (its data is
        // still drained below).
        for (size_t i = 1; i < pfds.size(); ++i)
            if (pfds[i].revents & (POLLHUP | POLLERR)) pfds[i].fd = -1;
        if (pfds[0].revents & POLLIN) {
            signalfd_siginfo si{};
            while (::read(signals.fd(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                if (si.ssi_signo == SIGCHLD) continue;
                reason = format::StopReason::kSignal;
                forward_signal = static_cast<int>(si.ssi_signo);
            }
        }
        if (child > 0) {
            int st = 0;
            if (::waitpid(child, &st, WNOHANG) == child) {
                child_status = st;
                child = -1;
                if (reason == format::StopReason::kUnknown) reason = format::StopReason::kCommandExited;
            }
        }
        drain.drain_all();
        const auto now = clock::now();
        drain.flush_if_due(now);
        if (timed && now >= deadline && reason == format::StopReason::kUnknown) reason = format::StopReason::kDuration;
        if (!target->watch_pids.empty() && now - last_watch >= std::chrono::milliseconds(250)) {
            last_watch = now;
            if (std::none_of(target->watch_pids.begin(), target->watch_pids.end(), process_alive))
                reason = format::StopReason::kTargetsGone;
        }
    }

    event_set.disable();
    if (child > 0) {
        // A command kiln started gets the signal kiln got; at the end of -d it gets SIGTERM.
        ::kill(child, forward_signal != 0 ? forward_signal : SIGTERM);
        int st = 0;
        if (::waitpid(child, &st, 0) == child) child_status = st;
    }
    drain.drain_all();
    drain.flush();
    if (counters) counters->stop();

    stats.build_id_failures = submit_end_sideband(pipeline, drain, *target, launcher.pid());
    const auto& c = drain.counters();
    stats.end_time_ns = monotonic_ns();
    stats.samples = c.samples;
    stats.lost_records = c.lost_records;
    stats.lost_events = c.lost_events;
    stats.lost_samples = c.lost_samples;
    stats.throttles = c.throttles;
    stats.unthrottles = c.unthrottles;
    stats.raw_bytes = c.bytes;
    stats.exit_status = child_status;
    stats.stop_reason = static_cast<uint32_t>(reason);
    pipeline.submit_sideband(format::ChunkType::kStats, format::encode(stats));
    if (auto s = pipeline.finish(); !s) return s.error();
    if (::fsync(*out_fd) != 0 && errno != EINVAL)
        return make_error("cannot sync " + opt.output + ": " + std::strerror(errno));

    RecordSummary summary;
    summary.stats = stats;
    summary.file_bytes = writer.bytes_written();
    summary.uncompressed_bytes = writer.raw_bytes_written();
    summary.path = opt.output;
    return summary;
}

std::string summary_line(const RecordSummary& s) {
    char buf[512];
    const double mb = static_cast<double>(s.file_bytes) / 1e6;
    const double ratio = s.file_bytes ? static_cast<double>(s.uncompressed_bytes) / static_cast<double>(s.file_bytes) : 0;
    std::snprintf(buf, sizeof buf, "kiln record: %llu samples, %llu lost, %.2f MB written to %s (%.1fx compression)",
                  static_cast<unsigned long long>(s.stats.samples),
                  static_cast<unsigned long long>(s.stats.lost_records + s.stats.lost_samples), mb,
                  s.path.c_str(), ratio);
    std::string line = buf;
    if (s.stats.throttles > 0) line += ", throttled " + std::to_string(s.stats.throttles) + " times";
    return line;
}

}  // namespace kiln::recorder
