// One perf mmap ring buffer (one per CPU; other events on that CPU redirect into it).
// drain() copies whole records out of the ring into a caller's byte sink without a syscall
// or an allocation per record, and counts the record types the summary needs.
#pragma once

#include <linux/perf_event.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/result.h"

namespace kiln::recorder {

struct DrainCounters {
    uint64_t samples = 0;
    uint64_t lost_records = 0;   // sum of PERF_RECORD_LOST.lost
    uint64_t lost_events = 0;    // number of PERF_RECORD_LOST records
    uint64_t lost_samples = 0;   // sum of PERF_RECORD_LOST_SAMPLES.lost
    uint64_t throttles = 0;
    uint64_t unthrottles = 0;
    uint64_t bytes = 0;
};

// Where drained records go. reserve() returns space for n bytes or nullptr when the current
// buffer is full (the drain stops there and resumes after the sink is swapped).
class RecordSink {
public:
    virtual ~RecordSink() = default;
    virtual uint8_t* reserve(size_t n) = 0;
    // Called for the rare records the recorder inspects (MMAP2, COMM, FORK, EXIT) after copying.
    virtual void on_sideband_record(const perf_event_header& h, const uint8_t* record) = 0;
    // Copies a sample of n bytes into out (sample_room(n) bytes just reserved) and returns
    // how many it wrote; the sink gives the rest of its reservation back.
    virtual size_t copy_sample(const uint8_t* record, size_t n, uint8_t* out);
    // Room a sink may use for a sample of n bytes: a re-encoded sample can grow a little (by a
    // quarter at worst, when every u64 becomes a 10-byte varint).
    static constexpr size_t kSampleSlack = 64;
    static constexpr size_t sample_room(size_t n) { return n + n / 4 + kSampleSlack; }
};

class RingBuffer {
public:
    RingBuffer() = default;
    ~RingBuffer();
    RingBuffer(const RingBuffer&) = delete;
    RingBuffer& operator=(const RingBuffer&) = delete;
    RingBuffer(RingBuffer&& o) noexcept;

    // Maps 1 + data_pages pages of fd; data_pages must be a power of two.
    Status map(int fd, size_t data_pages, int cpu);
    int fd() const { return fd_; }
    int cpu() const { return cpu_; }

    // Copies available records into sink. Returns true when the ring still holds records
    // (the sink was full).
    bool drain(RecordSink& sink, DrainCounters& counters);

private:
    int fd_ = -1;
    int cpu_ = -1;
    void* base_ = nullptr;
    size_t map_size_ = 0;
    size_t data_size_ = 0;
    uint8_t* data_ = nullptr;
    perf_event_mmap_page* meta_ = nullptr;
    // Scratch for a record that wraps around the end of the ring (max record 64 KiB).
    uint8_t wrap_scratch_[65536];
};

}  // namespace kiln::recorder
