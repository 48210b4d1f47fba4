// The kernel's perf records other than samples (perf_event_open(2), "MMAP" to
// "SWITCH_CPU_WIDE"), and kiln's round marker, as typed structs with bounds-checked parsers.
// Every module that reads these records (the recorder's drain loop, the recording summary,
// the analyzer, and readers of perf.data) goes through here; nobody reads them at offsets.
// Samples are parsed by perf_sample.h (their layout depends on the event's attr).
//
// Parsers take the whole record, perf_event_header included, and check that the record is of
// their type and long enough; the sample_id trailer (sample_id_all) that may follow is left
// to parse_sample_id(). Strings and build-ids point into the record's bytes.
#pragma once

#include <linux/perf_event.h>

#include <cstdint>
#include <span>
#include <string_view>

#include "formats/result.h"

namespace kiln::format {

// PERF_RECORD_MMAP and PERF_RECORD_MMAP2.
struct MmapRecord {
    uint32_t pid = 0, tid = 0;
    uint64_t addr = 0, len = 0, pgoff = 0;
    // MMAP2's prot; an MMAP (no prot field) is PROT_READ|PROT_EXEC, or PROT_READ for a data
    // mapping (PERF_RECORD_MISC_MMAP_DATA).
    uint32_t prot = 0;
    uint32_t flags = 0;                  // MMAP2 only (MAP_*)
    uint32_t dev_major = 0, dev_minor = 0;
    uint64_t inode = 0, inode_generation = 0;  // MMAP2 without a build-id
    std::span<const uint8_t> build_id;         // MMAP2 with PERF_RECORD_MISC_MMAP_BUILD_ID (1-20 bytes)
    std::string_view filename;                 // up to its NUL
    bool mmap2 = false;
};

// PERF_RECORD_COMM: a thread's new name (exec: the process exec'ed).
struct CommRecord {
    uint32_t pid = 0, tid = 0;
    std::string_view comm;
    bool exec = false;  // PERF_RECORD_MISC_COMM_EXEC
};

// PERF_RECORD_FORK and PERF_RECORD_EXIT.
struct TaskRecord {
    uint32_t pid = 0, ppid = 0, tid = 0, ptid = 0;
    uint64_t time = 0;
    bool exit = false;
};

// PERF_RECORD_LOST: records the kernel dropped because the ring was full.
struct LostRecord {
    uint64_t id = 0;
    uint64_t lost = 0;
};

// PERF_RECORD_LOST_SAMPLES: samples the kernel dropped (AUX-based events, PEBS, ...).
struct LostSamplesRecord {
    uint64_t lost = 0;
};

// PERF_RECORD_THROTTLE and PERF_RECORD_UNTHROTTLE.
struct ThrottleRecord {
    uint64_t time = 0, id = 0, stream_id = 0;
    bool unthrottle = false;
};

// PERF_RECORD_SWITCH and PERF_RECORD_SWITCH_CPU_WIDE.
struct SwitchRecord {
    bool out = false;        // PERF_RECORD_MISC_SWITCH_OUT: the task is leaving the CPU
    bool preempted = false;  // PERF_RECORD_MISC_SWITCH_OUT_PREEMPT: still runnable
    bool cpu_wide = false;
    uint32_t other_pid = 0, other_tid = 0;  // CPU-wide: the next (out) or previous (in) task
};

// The record's header, or an error when the record is shorter than one.
Result<perf_event_header> parse_record_header(std::span<const uint8_t> record);

Result<MmapRecord> parse_mmap(std::span<const uint8_t> record);  // MMAP or MMAP2
Result<CommRecord> parse_comm(std::span<const uint8_t> record);
Result<TaskRecord> parse_task(std::span<const uint8_t> record);  // FORK or EXIT
Result<LostRecord> parse_lost(std::span<const uint8_t> record);
Result<LostSamplesRecord> parse_lost_samples(std::span<const uint8_t> record);
Result<ThrottleRecord> parse_throttle(std::span<const uint8_t> record);  // THROTTLE or UNTHROTTLE
Result<SwitchRecord> parse_switch(std::span<const uint8_t> record);      // SWITCH or SWITCH_CPU_WIDE

// kiln's round marker (kiln_format.h kRecordRoundEnd): a bare header.
bool is_round_end(std::span<const uint8_t> record);

}  // namespace kiln::format
