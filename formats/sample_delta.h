// Sample deltas (format 4.0): at 4000 Hz a sample's fixed fields (event id, ip, pid/tid, time,
// cpu, period) were 56 of its ~80 bytes and nearly the same as its thread's previous sample's;
// compressing them was most of the recorder's work per second once a recording had started.
// The recorder writes each sample of an event without user stack copies as a
// kRecordSampleDelta that holds those fields as small varints and its callchain as the frames
// that changed: some 25 bytes instead of 80 with frame pointers.
//
// Layout (SPEC.md): perf_event_header {type = kRecordSampleDelta, misc as the kernel wrote it,
// size}, then
//   uleb128 identifier (0 when the event has no PERF_SAMPLE_IDENTIFIER), uleb128 tid,
//   for each of IP, TID (the pid), TIME, ADDR, ID, STREAM_ID, CPU, PERIOD in the sample: a
//     zigzag uleb128 of (value - the thread's previous value of that field), 0 at a chunk start;
//   with CALLCHAIN: uleb128 fresh, uleb128 shared, then `fresh` zigzag uleb128s, the innermost
//     entries, each minus the previous callchain's entry at the same depth (0 where it had none);
//     the callchain is those entries followed by the last `shared` entries of the previous one;
//   every byte the sample holds after its callchain (RAW, REGS_USER, ...), as it is.
// "Previous" is the thread's previous sample delta in the same PERF_RECORDS chunk: each chunk
// starts afresh, so chunks decode independently. Records are not padded to 8 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "formats/perf_sample.h"
#include "formats/record_expansion.h"
#include "formats/result.h"

namespace kiln::format {

// The fields a sample delta stores as differences, in the order the kernel writes them.
inline constexpr std::array<uint64_t, 8> kSampleDeltaFields = {
    PERF_SAMPLE_IP, PERF_SAMPLE_TID,       PERF_SAMPLE_TIME, PERF_SAMPLE_ADDR,
    PERF_SAMPLE_ID, PERF_SAMPLE_STREAM_ID, PERF_SAMPLE_CPU,  PERF_SAMPLE_PERIOD};

// Whether samples of this layout can be stored as sample deltas: a thread id to key them by,
// and every field before the callchain one u64 (no READ) so both sides find them in place.
bool sample_delta_fits(const SampleLayout& layout);

// How many outermost entries of the n-entry callchain at ips (u64s, innermost first, as the
// kernel writes them) equal the last entries of `previous`: what a delta need not store.
size_t shared_outer_frames(const uint8_t* ips, size_t n, const std::vector<uint64_t>& previous);

// Each thread's previous sample, as both sides keep it.
class SampleHistory {
public:
    struct Thread {
        uint64_t generation = 0;
        std::array<uint64_t, kSampleDeltaFields.size()> fields{};
        std::vector<uint64_t> ips;  // the callchain, PERF_CONTEXT_* markers included
    };
    // Forgets every thread: a new chunk starts.
    void reset();
    Thread& of(uint32_t tid);

private:
    std::unordered_map<uint32_t, Thread> threads_;
    uint64_t generation_ = 1;
    // The thread asked for last: a CPU's ring holds runs of one thread's samples.
    uint32_t last_tid_ = 0;
    Thread* last_ = nullptr;
};

class SampleDeltaEncoder {
public:
    // The most bytes encode() writes for a sample of `size` bytes: each u64 may take a 10-byte
    // varint and the callchain's count becomes two.
    static constexpr size_t max_encoded_size(size_t size) { return size + size / 4 + 16; }
    // Writes `record`, a sample of `layout` (sample_delta_fits), to out (room for
    // max_encoded_size(record.size())): as a sample delta, or as it is when it is malformed or
    // its delta would not fit a record. Returns the bytes written.
    size_t encode(const SampleLayout& layout, std::span<const uint8_t> record, uint8_t* out);
    void reset() { history_.reset(); }

private:
    SampleHistory history_;
    // fixed_bytes() of the last sample type seen: std::popcount is a libgcc call on baseline
    // x86-64, ~1% of the recorder's CPU per second when made per sample.
    uint64_t head_type_ = ~uint64_t{0};
    size_t head_ = 0;
};

// Appends the sample that a sample delta record of `layout` encodes to out; on error out is as
// it was.
Status expand_sample_delta(const SampleLayout& layout, SampleHistory& history, std::span<const uint8_t> record,
                           ExpandedBytes& out);

}  // namespace kiln::format
