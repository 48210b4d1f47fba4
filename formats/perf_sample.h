// Layouts of the raw perf records stored in PERF_RECORDS chunks, as the kernel wrote them
// (see perf_event_open(2)). Walking and parsing check every length: the bytes are untrusted.
#pragma once

#include <linux/perf_event.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "formats/result.h"

namespace kiln::format {

// What is needed to parse records of one event, taken from its perf_event_attr.
struct SampleLayout {
    uint64_t sample_type = 0;
    uint64_t read_format = 0;
    uint64_t sample_regs_user = 0;
    bool sample_id_all = false;
    // The period of every sample when the attr fixed it (perf record -c N, no
    // PERF_SAMPLE_PERIOD in the samples: perf leaves it out then); 0 otherwise.
    uint64_t fixed_period = 0;
    uint32_t sample_stack_user = 0;  // the attr's: the bytes of user stack each sample copies
    // A software timer (cpu-clock, task-clock): a sample's period is the nanoseconds its timer
    // waited, what its time stamp moved since the last one on that timer, give or take jitter.
    bool period_is_time = false;

    static SampleLayout from_attr(const perf_event_attr& attr);
    // Bytes of the sample_id trailer that non-sample records carry when sample_id_all is set.
    size_t id_trailer_size() const;
};

// Sample types the parser understands; others make parse_sample fail with a clear message.
inline constexpr uint64_t kSupportedSampleTypes =
    PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
    PERF_SAMPLE_ADDR | PERF_SAMPLE_ID | PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_CPU |
    PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_RAW | PERF_SAMPLE_REGS_USER |
    PERF_SAMPLE_STACK_USER | PERF_SAMPLE_WEIGHT | PERF_SAMPLE_DATA_SRC;

struct ParsedSample {
    uint64_t id = 0;
    uint64_t ip = 0;
    uint32_t pid = 0, tid = 0;
    uint64_t time = 0;
    uint64_t addr = 0;
    uint32_t cpu = 0;
    uint64_t period = 0;
    std::span<const uint8_t> callchain;  // nr u64 entries (PERF_CONTEXT_* markers included)
    std::span<const uint8_t> raw;        // tracepoint payload
    uint64_t regs_abi = 0;
    std::span<const uint8_t> regs;       // popcount(sample_regs_user) u64 values when abi != 0
    std::span<const uint8_t> stack;      // the user stack copy, dyn_size bytes used
    uint64_t weight = 0;
    uint64_t data_src = 0;

    size_t callchain_size() const { return callchain.size() / 8; }
    uint64_t callchain_at(size_t i) const;
    uint64_t reg_at(size_t i) const;
};

struct SampleId {  // the sample_id trailer of non-sample records
    uint32_t pid = 0, tid = 0;
    uint64_t time = 0;
    uint64_t id = 0;
    uint32_t cpu = 0;
    bool present = false;
};

// record: the whole record including its perf_event_header.
Result<ParsedSample> parse_sample(const SampleLayout& layout, std::span<const uint8_t> record);

// The user-space instruction a sample interrupted (or, for one taken in the kernel, the one its
// system call left), read without a whole parse: the callchain's first user entry, else the
// REGS_USER ip (x86-64), else IP for a sample taken in user mode; 0 when it has none or the
// record is malformed. The recorder asks it of every sample, so it stays cheap.
uint64_t sample_user_ip(const SampleLayout& layout, std::span<const uint8_t> record);
SampleId parse_sample_id(const SampleLayout& layout, std::span<const uint8_t> record);

// Where a parsed sample's STACK_USER field sits in its record: u64 size; u8 data[size];
// u64 dyn_size. nullopt when the sample has no copy.
struct UserStackField {
    size_t data_at = 0;  // the copy's first byte (its u64 size is just before)
    uint64_t size = 0;   // bytes the kernel wrote
    size_t after() const { return data_at + static_cast<size_t>(size) + 8; }  // first byte after dyn_size
};
std::optional<UserStackField> user_stack_field(const ParsedSample& s, std::span<const uint8_t> record);

// Copies a sample to out (room for record.size() bytes) without the unused tail of its user
// stack copy: the kernel writes all `size` bytes of a `-g dwarf,size` copy but only the first
// dyn_size hold the stack. The copy is a valid sample, as if the copy had been asked for
// dyn_size bytes (rounded up to 8, at least 8). Returns its length (record.size() when there
// is nothing to trim or the record does not parse). The recorder drains samples this way, so
// the unused tail is never read out of the ring.
size_t copy_trimmed_sample(const SampleLayout& layout, std::span<const uint8_t> record, uint8_t* out);
// The same for a sample already parsed from `record`.
size_t copy_trimmed_sample(const ParsedSample& s, std::span<const uint8_t> record, uint8_t* out);

// Where PERF_SAMPLE_TIME's u64 sits in a PERF_RECORD_SAMPLE of this layout (it follows only
// IDENTIFIER, IP and TID, all fixed size), or nullopt without TIME.
std::optional<size_t> sample_time_offset(const SampleLayout& layout);

// Event id of any record, read without knowing which event it is from: the first u64 after the
// header for samples (and stack and callchain deltas), the varint after the header for sample
// deltas, the last u64 otherwise. Requires PERF_SAMPLE_IDENTIFIER on every event.
// Returns 0 when the record is too short.
uint64_t record_identifier(std::span<const uint8_t> record);

// The record that starts at byte pos of a PERF_RECORDS payload, or why there is none (a
// partial header, an impossible size).
Result<std::span<const uint8_t>> record_at(std::span<const uint8_t> payload, size_t pos);

// Calls fn(header, whole record bytes) for each record in a PERF_RECORDS payload.
// Stops with an error at a record whose size is impossible.
Status for_each_record(std::span<const uint8_t> payload,
                       const std::function<void(const perf_event_header&, std::span<const uint8_t>)>& fn);

const char* record_type_name(uint32_t type);

}  // namespace kiln::format
