// Callchain deltas (format 3.0): consecutive samples of a thread mostly share the outer part
// of their callchain (main, the loop, the function being profiled) and differ in the few
// innermost frames. 3.x recorders wrote each sample of an event that has callchains but no
// user stack copies as a kRecordCallchainDelta that keeps only the frames that differ; 4.0
// recorders write sample deltas instead (sample_delta.h), which also shrink the fixed fields.
// Readers expand both; the encoder stays as the reference for 3.x files and their tests.
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
#include <vector>

#include "formats/perf_sample.h"
#include "formats/record_expansion.h"
#include "formats/result.h"
#include "formats/sample_delta.h"

namespace kiln::format {

// Each thread's previous callchain is kept in a SampleHistory's `ips`; its other fields are
// unused by callchain deltas.
using CallchainHistory = SampleHistory;

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
