// One pass over a recording that gathers what `kiln info` shows: counts, processes,
// binaries, losses. It is also the smallest complete consumer of the format, so tests and
// the fuzzer use it to exercise every chunk decoder.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "formats/recording_header.h"
#include "formats/recording_reader.h"
#include "formats/recording_stats.h"
#include "formats/result.h"

namespace kiln::format {

struct ProcessSummary {
    int32_t pid = 0;
    std::string name;
    uint64_t samples = 0;
    uint64_t threads = 0;  // distinct tids seen in samples
    std::vector<int32_t> namespace_pids;  // its pids in nested pid namespaces (PID_NAMESPACES), outermost first
};

struct BinarySummary {
    std::string path;
    std::string build_id;  // hex, "" when unknown
};

// COUNTERS chunks (4.1): absent from older recordings and from --counter-interval 0.
struct CounterSummary {
    uint64_t snapshots = 0;
    uint64_t interval_ns = 0;
    uint64_t processes = 0;  // distinct pids with counters
    uint32_t max_procs_running = 0;
};

struct RecordingSummary {
    RecordingHeader header;
    std::optional<RecordingStats> stats;   // absent when the recorder was killed
    uint64_t samples = 0;                  // counted from the records
    std::vector<uint64_t> samples_per_event;  // parallel to header.events
    uint64_t lost = 0;                     // lost records + lost samples
    uint64_t throttled = 0;
    uint64_t first_sample_ns = 0, last_sample_ns = 0;
    uint64_t duration_ns = 0;
    uint64_t samples_with_stack = 0;       // DWARF mode: samples carrying user stack bytes
    uint64_t stack_bytes = 0;              // sum of their used stack bytes
    uint64_t samples_with_callchain = 0;
    uint64_t kernel_symbols = 0;         // in the recording's KALLSYMS_* chunk
    bool kernel_symbols_whole = false;   // the whole table (else those the samples hit: 4.3)
    uint64_t kernel_symbols_referenced = 0;  // KALLSYMS_REF: the whole table's count (1: unknown), 0: none
    uint64_t perf_maps = 0;
    uint64_t archived_binaries = 0, archived_bytes = 0;  // BINARY chunks (kiln record --archive)
    std::string vdso_build_id;                            // hex of the vdso's BINARY chunk, "" if none
    uint64_t chunks = 0;
    std::optional<CounterSummary> counters;
    std::vector<ProcessSummary> processes;  // by samples, descending
    std::vector<BinarySummary> binaries;    // sorted by path
    std::vector<std::string> warnings;
    bool torn = false;
};

Result<RecordingSummary> summarize(RecordingReader& reader);
Result<RecordingSummary> summarize_file(const std::string& path);

}  // namespace kiln::format
