#include "recorder/drain_loop.h"

#include "formats/archived_binary.h"
#include "formats/kiln_format.h"
#include "formats/perf_records.h"
#include "recorder/user_regs.h"

#include <sys/mman.h>

#include <cstring>
#include <ctime>

namespace kiln::recorder {

namespace {

uint64_t steady_ns(std::chrono::steady_clock::time_point t) {
    // steady_clock is CLOCK_MONOTONIC on Linux: the clock of the samples' times.
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

}  // namespace

DrainLoop::DrainLoop(std::vector<RingBuffer>& rings, ChunkPipeline& pipeline)
    : rings_(rings), pipeline_(pipeline), current_(pipeline.acquire()),
      last_flush_(std::chrono::steady_clock::now()), stack_deltas_(stack_pointer_register()) {
    started_ns_ = steady_ns(last_flush_);
}

static_assert(format::StackDeltaEncoder::kSlack <= RecordSink::kSampleSlack);
static_assert(format::SampleDeltaEncoder::max_encoded_size(0xffff) <= RecordSink::sample_room(0xffff));

uint8_t* DrainLoop::reserve(size_t n) {
    auto& d = current_->data;
    // A chunk ends when its stored bytes would pass the buffer's capacity (or after a second,
    // flush_if_due). Stack deltas make a chunk's samples expand to some 5-20x its bytes; readers
    // expand it a slice at a time (StackDeltaExpander), so that size needs no bound here. Each
    // chunk starts the deltas afresh with full stack copies: bounding the expanded size as well
    // (2 MiB) had made those first copies 31% of a 4000 Hz DWARF recording's bytes.
    // Room is kept for the SAMPLE_TIMES records that end the chunk (one more sample's time
    // included).
    if (d.size() + n + sample_deltas_.times_room() > d.capacity()) return nullptr;
    size_t at = d.size();
    // resize within reserved capacity: no allocation.
    d.resize(at + n);
    return d.data() + at;
}

void DrainLoop::swap_buffer() {
    auto& d = current_->data;
    const size_t at = d.size();
    d.resize(at + sample_deltas_.write_times(nullptr));  // within capacity: reserve() kept it free
    sample_deltas_.write_times(d.data() + at);
    stack_deltas_.reset();  // every chunk decodes on its own
    sample_deltas_.reset();
    last_flush_ = std::chrono::steady_clock::now();
    current_->sequence = sequence_++;
    current_->samples = counters_.samples - samples_at_swap_;
    const uint64_t lost = counters_.lost_records + counters_.lost_samples;
    current_->lost = lost - lost_at_swap_;
    samples_at_swap_ = counters_.samples;
    lost_at_swap_ = lost;
    current_->started_ns = started_ns_;
    current_->ended_ns = started_ns_ = steady_ns(last_flush_);
    pipeline_.submit(std::move(current_));
    current_ = pipeline_.acquire();
}

void DrainLoop::drain_all() {
    bool wrote = false;
    for (auto& ring : rings_) {
        uint64_t before = counters_.bytes;
        while (ring.drain(*this, counters_)) swap_buffer();
        wrote |= counters_.bytes != before;
    }
    if (wrote) {
        perf_event_header h{format::kRecordRoundEnd, 0, sizeof(perf_event_header)};
        uint8_t* p = reserve(sizeof h);
        if (p == nullptr) {
            swap_buffer();
            p = reserve(sizeof h);
        }
        std::memcpy(p, &h, sizeof h);
    }
}

void DrainLoop::flush_if_due(std::chrono::steady_clock::time_point now) {
    if (!current_->data.empty() && now >= flush_due()) swap_buffer();
}

std::chrono::steady_clock::time_point DrainLoop::flush_due() const {
    return current_->data.empty() ? std::chrono::steady_clock::time_point::max() : last_flush_ + std::chrono::seconds(1);
}

void DrainLoop::flush() {
    if (!current_->data.empty()) swap_buffer();
}

void DrainLoop::forget_processes(const std::vector<uint32_t>& pids) {
    for (uint32_t p : pids) {
        const int pid = static_cast<int>(p);
        pids_seen_.erase(pid);
        vdso_maps_.erase(p);
        vdso_pid_ = UINT32_MAX;
        auto it = no_build_id_.lower_bound({pid, std::string()});
        while (it != no_build_id_.end() && it->first == pid) it = no_build_id_.erase(it);
    }
}

void DrainLoop::encode_deltas_of(const std::vector<format::EventDescription>& events) {
    delta_layouts_ = format::StackLayouts(events);
}

size_t DrainLoop::copy_sample(const uint8_t* record, size_t n, uint8_t* out) {
    const format::SampleLayout* layout = delta_layouts_.of({record, n});
    if (layout) kernel_addresses_.add_sample(*layout, {record, n});
    if (layout && !vdso_touched_ && !vdso_maps_.empty()) check_vdso(*layout, {record, n});
    const bool stack_copy = layout && (layout->sample_type & PERF_SAMPLE_STACK_USER) &&
                            (layout->sample_stack_user >= format::kMinDeltaStack || !format::sample_delta_fits(*layout));
    const size_t kept = !layout      ? RecordSink::copy_sample(record, n, out)
                        : stack_copy ? stack_deltas_.encode(*layout, {record, n}, out)
                                     : sample_deltas_.encode(*layout, {record, n}, out);
    current_->data.resize(current_->data.size() - (sample_room(n) - kept));
    return kept;
}

void DrainLoop::note_vdso(uint32_t pid, uint64_t start, uint64_t end) {
    vdso_maps_[pid] = {start, end};
    vdso_pid_ = UINT32_MAX;
}

void DrainLoop::check_vdso(const format::SampleLayout& layout, std::span<const uint8_t> record) {
    const size_t pid_at = sizeof(perf_event_header) + ((layout.sample_type & PERF_SAMPLE_IDENTIFIER) ? 8 : 0) +
                          ((layout.sample_type & PERF_SAMPLE_IP) ? 8 : 0);
    if (!(layout.sample_type & PERF_SAMPLE_TID) || record.size() < pid_at + 8) return;
    uint32_t pid;
    std::memcpy(&pid, record.data() + pid_at, sizeof pid);
    if (pid != vdso_pid_) {
        const auto it = vdso_maps_.find(pid);
        vdso_pid_ = pid;
        vdso_start_ = it == vdso_maps_.end() ? 0 : it->second.first;
        vdso_end_ = it == vdso_maps_.end() ? 0 : it->second.second;
    }
    if (vdso_start_ == vdso_end_) return;
    const uint64_t ip = format::sample_user_ip(layout, record);
    vdso_touched_ = ip >= vdso_start_ && ip < vdso_end_;
}

void DrainLoop::on_sideband_record(const perf_event_header& h, const uint8_t* record) {
    if (sideband_tap_) sideband_tap_(h, record, sequence_);
    const std::span<const uint8_t> rec(record, h.size);
    if (h.type == PERF_RECORD_COMM) {
        if (auto comm = format::parse_comm(rec)) pids_seen_.insert(static_cast<int>(comm->pid));
        return;
    }
    if (h.type == PERF_RECORD_FORK) {
        if (auto fork = format::parse_task(rec)) {
            pids_seen_.insert(static_cast<int>(fork->pid));
            // A forked process has its parent's vdso, and no MMAP2 of it.
            if (fork->pid != fork->ppid)
                if (auto parent = vdso_maps_.find(fork->ppid); parent != vdso_maps_.end())
                    note_vdso(fork->pid, parent->second.first, parent->second.second);
            if (on_new_process_ && fork->pid == fork->tid && fork->pid != fork->ppid)
                on_new_process_(static_cast<int>(fork->pid));
        }
        return;
    }
    if (h.type != PERF_RECORD_MMAP2) return;
    auto m = format::parse_mmap(rec);
    if (!m || !(m->prot & PROT_EXEC)) return;
    if (m->filename == format::kVdsoBinaryPath) note_vdso(m->pid, m->addr, m->addr + m->len);
    if (on_exec_mapping_) on_exec_mapping_(*m);
    if (!m->build_id.empty()) return;
    if (m->filename.empty() || m->filename[0] != '/') return;
    no_build_id_.emplace(static_cast<int>(m->pid), std::string(m->filename));
}

}  // namespace kiln::recorder
