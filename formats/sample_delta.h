// Sample deltas: at 4000 Hz a sample's fixed fields (event id, ip, pid/tid, time, cpu, period)
// were 56 of its ~80 bytes and nearly the same as its thread's previous sample's; compressing
// them was most of the recorder's work per second once a recording had started. The recorder
// writes each sample of an event without a large user stack copy as a small record that holds
// those fields as varint differences and its callchain as the frames that changed.
//
// Two forms (SPEC.md, PERF_RECORDS):
// - SAMPLE_DELTA (4.x, kRecordSampleDelta; read, no longer written): perf_event_header {type,
//   misc as the kernel wrote it, size}, uleb128 identifier (0 without PERF_SAMPLE_IDENTIFIER),
//   uleb128 tid, for each of IP, TID (the pid), TIME, ADDR, ID, STREAM_ID, CPU, PERIOD in the
//   sample a zigzag uleb128 of (value - the thread's previous value), with CALLCHAIN uleb128
//   fresh, uleb128 shared and `fresh` zigzag uleb128s (the innermost entries, each minus the
//   previous callchain's entry at the same depth), then every byte after the callchain as it is.
// - COMPACT_SAMPLE (5.0, kRecordCompactSample): the same, but TIME is not in the record: its
//   difference, minus a base, is the next zigzag uleb128 of the chunk's SAMPLE_TIMES records
//   (kRecordSampleTimes, written at the chunk's end); the base is a software timer's period
//   (SampleLayout::period_is_time), else the thread's previous difference. A timer's samples
//   come a period apart give or take a few microseconds of jitter; that jitter, random, split
//   the records' repeating bytes where zstd looked for matches. And after the callchain one
//   byte says how the rest is stored: 0 as it is; 1 (REGS_USER without RAW or BRANCH_STACK)
//   uleb128 abi, each user register as a zigzag uleb128 of its difference from the thread's
//   previous value of it (ip: from the callchain's first user entry, which it nearly always
//   is), with STACK_USER uleb128 size, the copy, and (size != 0) a zigzag uleb128 of size -
//   dyn_size; then the remaining bytes as they are. A copy of at most 64 bytes, a multiple of
//   8, is a byte whose bit k says word k is stored, then those words: the others are the
//   thread's previous copy's, when it had the same size at the same sp (a loop sampled again
//   and again shows the same stack top).
// "Previous" is the thread's previous delta record in the same PERF_RECORDS chunk: each chunk
// starts afresh, so chunks decode independently. Records are not padded to 8 bytes.
#pragma once

#include <linux/perf_event.h>

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

// The most bytes one SAMPLE_TIMES record holds after its header.
inline constexpr size_t kMaxSampleTimesBytes = 0xffff - sizeof(perf_event_header);

// Whether samples of this layout can be stored as sample deltas: a thread id to key them by,
// and every field before the callchain one u64 (no READ) so both sides find them in place.
bool sample_delta_fits(const SampleLayout& layout);

// How many outermost entries of the n-entry callchain at ips (u64s, innermost first, as the
// kernel writes them) equal the last entries of `previous`: what a delta need not store.
size_t shared_outer_frames(const uint8_t* ips, size_t n, const std::vector<uint64_t>& previous);

// Each thread's previous sample, as both sides keep it.
class SampleHistory {
public:
    // User registers kept per thread, by perf register number (x86-64 has 24 general ones);
    // a register numbered above is stored as a difference from 0.
    static constexpr size_t kRegs = 24;
    // Stack copies up to this size (-g fp's stack top, an entry uprobe's return address) are
    // stored as the 8-byte words that changed since the thread's last copy at the same sp.
    static constexpr size_t kMaxDiffedStack = 64;
    struct Thread {
        uint64_t generation = 0;
        std::array<uint64_t, kSampleDeltaFields.size()> fields{};
        uint64_t time_step = 0;  // TIME minus the thread's previous TIME (compact samples)
        std::array<uint64_t, kRegs> regs{};
        std::vector<uint64_t> ips;  // the callchain, PERF_CONTEXT_* markers included
        // The last small stack copy (compact samples): its bytes, size and the sp it was taken at.
        std::array<uint8_t, kMaxDiffedStack> stack{};
        size_t stack_size = 0;
        uint64_t stack_sp = 0;
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

// A chunk's SAMPLE_TIMES records, read in order by its compact samples.
class SampleTimes {
public:
    void add(std::span<const uint8_t> record);  // a SAMPLE_TIMES record, header included
    // The next zigzag value; false when none is left or it is cut off.
    bool next(uint64_t& z);

private:
    std::vector<std::span<const uint8_t>> parts_;
    size_t part_ = 0, at_ = 0;
};

class SampleDeltaEncoder {
public:
    // The most bytes encode() writes for a sample of `size` bytes: each u64 may take a 10-byte
    // varint, the callchain's count becomes two and one byte tells the tail's form.
    static constexpr size_t max_encoded_size(size_t size) { return size + size / 4 + 16; }
    // Writes `record`, a sample of `layout` (sample_delta_fits), to out (room for
    // max_encoded_size(record.size())): as a compact sample, its time kept for the chunk's
    // SAMPLE_TIMES, or as it is when it is malformed or its delta would not fit a record.
    // Returns the bytes written.
    size_t encode(const SampleLayout& layout, std::span<const uint8_t> record, uint8_t* out);
    // The most bytes write_times() needs once one more sample has been encoded.
    size_t times_room() const {
        return times_.size() + 10 + sizeof(perf_event_header) * (times_.size() / (kMaxSampleTimesBytes - 9) + 2);
    }
    // Writes the SAMPLE_TIMES records of the samples encoded since reset(), to end the chunk
    // that holds them (room: times_room()). Returns the bytes written (0 when there are none);
    // with out == nullptr only counts them.
    size_t write_times(uint8_t* out) const;
    // A new chunk starts: threads and times are forgotten.
    void reset() {
        history_.reset();
        times_.clear();
    }

private:
    SampleHistory history_;
    std::vector<uint8_t> times_;
    // fixed_bytes() of the last sample type seen: std::popcount is a libgcc call on baseline
    // x86-64, ~1% of the recorder's CPU per second when made per sample.
    uint64_t head_type_ = ~uint64_t{0};
    size_t head_ = 0;
    uint64_t regs_mask_ = 0;  // sample_regs_user of the last sample, and its popcount
    size_t mask_regs_ = 0;
};

// Appends the sample that a SAMPLE_DELTA (times == nullptr) or COMPACT_SAMPLE record of `layout`
// encodes to out; on error out is as it was.
Status expand_sample_delta(const SampleLayout& layout, SampleHistory& history, std::span<const uint8_t> record,
                           ExpandedBytes& out, SampleTimes* times = nullptr);

}  // namespace kiln::format
