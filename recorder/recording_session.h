// What `kiln record` and `kiln monitor` share: the events and target resolved, the rings mapped,
// the events opened and enabled (or the command started), and the pipeline, drain loop, counter
// thread and sideband that carry records into a chunk sink (a file, or the monitor's history).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "formats/recording_header.h"
#include "formats/sideband.h"
#include "formats/recording_stats.h"
#include "formats/result.h"
#include "formats/target_kind.h"
#include "pmu/event_resolver.h"
#include "pmu/tracefs_uprobes.h"
#include "recorder/chunk_pipeline.h"
#include "recorder/command_launcher.h"
#include "recorder/counter_thread.h"
#include "recorder/drain_loop.h"
#include "recorder/kernel_symbols_sideband.h"
#include "recorder/sideband/binary_capture.h"
#include "recorder/sideband/pid_namespace_watch.h"
#include "recorder/event_set.h"
#include "recorder/record_options.h"
#include "recorder/ring_buffer.h"

namespace kiln::recorder {

using Note = std::function<void(const std::string&)>;

struct Target {
    EventTarget events;
    std::vector<int> snapshot_pids;  // processes already running that need a /proc snapshot
    std::vector<int> watch_pids;     // recording ends when all of these are gone
    format::TargetKind kind = format::TargetKind::kUnknown;
};

// What the end of a recording adds: build-ids the kernel did not put in MMAP2 records (read
// from the files now) and the perf maps of every process seen.
struct EndSideband {
    format::BuildIdTable build_ids;
    std::vector<format::PerfMapFile> perf_maps;
    format::PidNamespaceMap pid_namespaces;
    uint64_t build_id_failures = 0;
    // KALLSYMS_TOUCHED: the kernel symbols the samples so far hit (kernel_symbols_sideband.h).
    std::optional<std::vector<uint8_t>> kernel_symbols_touched;
    // The vdso image as a BINARY payload, when a sample fell in a [vdso] mapping.
    std::optional<std::vector<uint8_t>> vdso;
    // The chunks these make (BUILD_IDS, PERF_MAPs, PID_NAMESPACES, KALLSYMS_TOUCHED, BINARY
    // [vdso]), for every writer of a file's end.
    std::vector<std::pair<format::ChunkType, std::vector<uint8_t>>> chunks() const;
};

class RecordingSession {
public:
    // Resolves the events and the target, forks the command (held before its exec) and opens
    // the events, not enabled yet.
    static Result<std::unique_ptr<RecordingSession>> open(const RecordOptions& opt, const Note& note);
    ~RecordingSession();
    RecordingSession(const RecordingSession&) = delete;
    RecordingSession& operator=(const RecordingSession&) = delete;

    // Starts storing into sink: the kernel's sideband, the events enabled (or the command
    // started), then write_header(header) before any chunk is stored, the counter thread and
    // the /proc snapshot.
    Status start(ChunkSink& sink, const std::function<Status(const format::RecordingHeader&)>& write_header);

    const Target& target() const { return target_; }
    const RecordOptions& options() const { return opt_; }
    const format::RecordingHeader& header() const { return header_; }
    std::vector<format::EventDescription> events() const { return event_set_.describe(); }
    DrainLoop& drain() { return *drain_; }
    ChunkPipeline& pipeline() { return *pipeline_; }
    std::vector<RingBuffer>& rings() { return rings_; }
    // The command's pid while it runs (-1 once reaped or without a command).
    pid_t child() const { return child_; }
    // Reaps the command if it exited; true then (its status in child_status()).
    bool reap_child();
    int child_status() const { return child_status_; }

    // Disables the events, ends the command (with forward_signal, else SIGTERM), drains the
    // rings into the pipeline and stops the counter thread. Idempotent.
    void stop(int forward_signal);
    // After an output failure: disables the events and stops the counter thread, and leaves
    // the command running and the rings undrained (nothing more can be stored). A stop()
    // after it ends the command if it still runs.
    void halt();
    EndSideband end_sideband() const;
    // end_sideband(), submitted to the pipeline; returns the build-ids not found.
    uint64_t submit_end_sideband();
    // --archive: the binaries offered to the capture, as BINARY chunks (binary_archive.h).
    void submit_archive();
    // The stats of everything drained so far (end time: when stop() ended, else now).
    format::RecordingStats stats() const;
    // Stores what is queued and stops the pipeline; returns its first error. Idempotent.
    Status finish() { return pipeline_ ? pipeline_->finish() : Status{}; }

private:
    RecordingSession() = default;
    void note_capture(const sideband::BinaryCapture::Stats& s) const;

    RecordOptions opt_;
    Note note_;
    std::vector<pmu::ResolvedEvent> resolved_;
    Target target_;
    CommandLauncher launcher_;
    pmu::TracefsUprobes tracefs_probes_;  // removed last: after the rings and fds that use them
    std::vector<RingBuffer> rings_;
    EventSet event_set_;
    size_t ring_pages_ = 0;
    format::RecordingHeader header_;
    std::unique_ptr<ChunkPipeline> pipeline_;
    KernelSymbolsSideband kernel_symbols_;
    std::optional<CounterThread> counters_;
    std::unique_ptr<sideband::BinaryCapture> capture_;
    sideband::PidNamespaceWatch pid_namespaces_;  // of the snapshot and of new processes (drain thread)  // before drain_: the drain loop offers to it
    std::unique_ptr<DrainLoop> drain_;
    pid_t child_ = -1;
    int child_status_ = -1;
    bool stopped_ = false;
    uint64_t stopped_at_ns_ = 0;  // when stop() ended, 0 before
    bool halted_ = false;
};

uint64_t monotonic_ns();

}  // namespace kiln::recorder
