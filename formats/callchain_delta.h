// Callchain deltas (format 3.0): consecutive samples of a thread mostly share the outer part
// of their callchain (main, the loop, the function being profiled) and differ in the few
// innermost frames. The recorder writes each sample of an event that has callchains but no
// user stack copies as a kRecordCallchainDelta that keeps only the frames that differ: at 4000
// Hz with frame pointers, compressing whole callchains was most of the recorder's work per
// sample.
//
// A callchain delta is the sample it encodes, with header type kRecordCallchainDelta and its
// CALLCHAIN field {u64 nr; u64 ips[nr]} holding {u64 nr = fresh + 1; u64 shared; u64
// ips[fresh]}: the sample's callchain is those `fresh` innermost entries followed by the last
// `shared` entries of the callchain of the thread's previous callchain delta in the same
// PERF_RECORDS chunk (none at a chunk's start, so chunks decode independently). Samples stored
// any other way leave a thread's previous callchain alone.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "formats/perf_sample.h"
#include "formats/record_expansion.h"
#include "formats/result.h"

namespace kiln::format {

// Each thread's previous callchain (PERF_CONTEXT_* markers included), as both sides keep it.
class CallchainHistory {
public:
    // Forgets every thread's callchain: a new chunk starts.
    void reset();
    std::vector<uint64_t>& of(uint32_t tid);

private:
    struct Entry {
        uint64_t generation = 0;
        std::vector<uint64_t> ips;
    };
    std::unordered_map<uint32_t, Entry> threads_;
    uint64_t generation_ = 1;
    // The thread asked for last: a CPU's ring holds runs of one thread's samples.
    uint32_t last_tid_ = 0;
    Entry* last_ = nullptr;
};

class CallchainDeltaEncoder {
public:
    // encode() may write this many bytes more than the record it is given.
    static constexpr size_t kSlack = 8;
    // Writes `record`, a sample of `layout`, to out (room for record.size() + kSlack): as a
    // callchain delta when it has a thread id and a callchain, else as it is. Returns the
    // bytes written.
    size_t encode(const SampleLayout& layout, std::span<const uint8_t> record, uint8_t* out);
    void reset() { history_.reset(); }

private:
    CallchainHistory history_;
};

// Appends the sample that a callchain delta record of `layout` encodes to out; on error out is
// as it was.
Status expand_callchain_delta(const SampleLayout& layout, CallchainHistory& history, std::span<const uint8_t> record,
                              ExpandedBytes& out);

}  // namespace kiln::format
