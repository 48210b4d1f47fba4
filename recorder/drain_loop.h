// Moves records from every ring buffer into pooled chunk buffers, hands full (or one second
// old) buffers to the writer, and remembers the few facts the end-of-recording sideband needs:
// which processes appeared and which mapped files came without a build-id.
#pragma once

#include <chrono>
#include <memory>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "formats/kernel_addresses.h"
#include "formats/perf_records.h"
#include "formats/perf_sample.h"
#include "formats/recording_header.h"
#include "formats/sample_delta.h"
#include "formats/stack_delta.h"
#include "recorder/chunk_pipeline.h"
#include "recorder/ring_buffer.h"

namespace kiln::recorder {

class DrainLoop final : public RecordSink {
public:
    DrainLoop(std::vector<RingBuffer>& rings, ChunkPipeline& pipeline);

    // The recording's events: samples with user stack copies are written as stack deltas
    // (formats/stack_delta.h), without the unused tails of their copies; the others as sample
    // deltas (formats/sample_delta.h).
    void encode_deltas_of(const std::vector<format::EventDescription>& events);
    // Drains every ring once, then marks the round.
    void drain_all();
    // Submits the current buffer when it has waited for a second.
    void flush_if_due(std::chrono::steady_clock::time_point now);
    // When flush_if_due() will submit the current buffer (time_point::max() while it is empty).
    std::chrono::steady_clock::time_point flush_due() const;
    // Submits whatever is buffered.
    void flush();

    // Called with the pid of each new process the recording follows (a FORK record whose
    // task leads a new process), on the drain loop's thread, when its ring is next drained
    // (within about a second of the fork).
    void on_new_process(std::function<void(int)> f) { on_new_process_ = std::move(f); }
    // Called with every executable file mapping (MMAP2) as it is drained.
    void on_exec_mapping(std::function<void(const format::MmapRecord&)> f) { on_exec_mapping_ = std::move(f); }
    // Called with each COMM, FORK, EXIT and MMAP2 record as copied, and the sequence number of
    // the chunk it is in (the monitor keeps them aside: essential_records.h).
    using SidebandTap = std::function<void(const perf_event_header&, const uint8_t*, uint64_t sequence)>;
    void tap_sideband(SidebandTap f) { sideband_tap_ = std::move(f); }
    // The sequence number the next chunk submitted will have.
    uint64_t next_sequence() const { return sequence_; }

    const DrainCounters& counters() const { return counters_; }
    const std::set<int>& pids_seen() const { return pids_seen_; }
    // Drops processes from pids_seen() and files_without_build_id(): a recorder that runs for
    // days (kiln monitor, --switch-output) forgets what exited before the data it still holds.
    void forget_processes(const std::vector<uint32_t>& pids);
    const std::set<std::pair<int, std::string>>& files_without_build_id() const { return no_build_id_; }
    // The kernel addresses of every sample drained so far: the kernel symbols to keep.
    const format::KernelAddressSet& kernel_addresses() const { return kernel_addresses_; }
    // A process's [vdso] mapping (from the process snapshot; MMAP2 records and forks are seen
    // here). vdso_touched(): a sample's user ip fell in one, so the recording keeps the vdso.
    void note_vdso(uint32_t pid, uint64_t start, uint64_t end);
    bool vdso_touched() const { return vdso_touched_; }

    uint8_t* reserve(size_t n) override;
    void on_sideband_record(const perf_event_header& h, const uint8_t* record) override;
    size_t copy_sample(const uint8_t* record, size_t n, uint8_t* out) override;

private:
    void swap_buffer();
    void check_vdso(const format::SampleLayout& layout, std::span<const uint8_t> record);

    std::vector<RingBuffer>& rings_;
    ChunkPipeline& pipeline_;
    std::unique_ptr<ChunkBuffer> current_;
    std::chrono::steady_clock::time_point last_flush_;
    DrainCounters counters_;
    std::set<int> pids_seen_;
    std::function<void(int)> on_new_process_;
    std::function<void(const format::MmapRecord&)> on_exec_mapping_;
    SidebandTap sideband_tap_;
    uint64_t sequence_ = 1;           // of the current buffer
    uint64_t samples_at_swap_ = 0, lost_at_swap_ = 0;
    uint64_t started_ns_ = 0;         // when the current buffer began
    std::set<std::pair<int, std::string>> no_build_id_;
    format::StackLayouts delta_layouts_;
    format::StackDeltaEncoder stack_deltas_;
    format::SampleDeltaEncoder sample_deltas_;
    format::KernelAddressSet kernel_addresses_;
    std::unordered_map<uint32_t, std::pair<uint64_t, uint64_t>> vdso_maps_;  // by pid: [start, end)
    bool vdso_touched_ = false;
    // The last process looked up and its vdso (start == end when it has none): a CPU's ring
    // holds runs of one thread's samples, so most samples cost a comparison.
    uint32_t vdso_pid_ = UINT32_MAX;
    uint64_t vdso_start_ = 0, vdso_end_ = 0;
};

}  // namespace kiln::recorder
