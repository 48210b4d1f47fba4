// Reader of the perf.data files that `perf record` writes (file mode, "PERFILE2"): the header,
// the attrs section, the feature sections kiln uses, and the data section's records, with
// PERF_RECORD_COMPRESSED(2) records decompressed in place. It parses only the header features;
// the records are handed over whole for the caller (the importer) to decode. Every offset,
// size and count comes from untrusted bytes and is checked before use (formats/byte_cursor.h).
// Reference: linux tools/perf/Documentation/perf.data-file-format.txt, tools/perf/util/header.c.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "formats/result.h"

namespace kiln::format {

struct PerfDataEvent {
    std::string name;           // from HEADER_EVENT_DESC ("cpu-clock", "sched:sched_switch"); "" if absent
    std::vector<uint8_t> attr;  // the perf_event_attr bytes as stored (the header's attr_size minus the ids section)
    std::vector<uint64_t> ids;  // the kernel ids of its fds (attrs section's; EVENT_DESC's when that gives none)
};

struct PerfDataBuildId {
    int32_t pid = -1;
    uint16_t misc = 0;     // the record's header.misc as stored: cpumode in its low 3 bits, and
                           // PERF_RECORD_MISC_BUILD_ID_SIZE (1 << 15) when the size byte is valid
    std::string build_id;  // lowercase hex, the real length (40 digits for a GNU build-id)
    std::string filename;  // "/usr/lib/x86_64-linux-gnu/libc.so.6", "[kernel.kallsyms]", ...
};

struct PerfDataInfo {
    std::vector<PerfDataEvent> events;
    std::string hostname, os_release, arch, perf_version, cpu_desc;
    uint32_t cpus_online = 0, cpus_available = 0;
    std::vector<std::string> cmdline;        // HEADER_CMDLINE: perf's argv
    std::vector<PerfDataBuildId> build_ids;  // HEADER_BUILD_ID
    // HEADER_CLOCKID holds the clock's resolution, not its id (header.c process_clockid); the
    // id is HEADER_CLOCK_DATA's. clock_id is that id, clock_resolution_ns HEADER_CLOCKID's value.
    std::optional<int32_t> clock_id;
    std::optional<uint64_t> clock_resolution_ns;
    std::optional<uint64_t> clock_wall_ns, clock_clockid_ns;  // HEADER_CLOCK_DATA: wall time and the clock's time at one moment
    uint64_t sample_time_first = 0, sample_time_last = 0;     // HEADER_SAMPLE_TIME when present
    bool compressed = false;                                  // HEADER_COMPRESSED present
    uint32_t compression_type = 0;                            // 1 = zstd
    uint32_t compression_mmap_len = 0;  // HEADER_COMPRESSED: perf's decompression buffer size
    bool has_branch_stack = false;      // some event samples BRANCH_STACK (or HEADER_BRANCH_STACK is set)
    // From HEADER_TRACING_DATA (tracepoint events recorded): tracepoint id -> its tracefs
    // "format" file text (events' and ftrace's own), and the /proc/kallsyms text when perf
    // stored it (newer perf stores an empty one, trace-event-read.c says: then "").
    std::map<uint64_t, std::string> tracepoint_formats;
    std::string kallsyms;
    uint64_t data_offset = 0, data_size = 0;  // the data section as read (clamped to the file)
    std::vector<std::string> warnings;        // sections skipped as unreadable, etc.
};

class PerfDataReader {
public:
    // "PERFILE2" files. Pipe-mode files (perf record -o -) and big-endian files are refused
    // with a message saying so; other files that are not perf.data, with an error naming the
    // path. A truncated file is an error when its header or attrs are cut, else warnings.
    static Result<std::unique_ptr<PerfDataReader>> open(const std::string& path);
    static Result<std::unique_ptr<PerfDataReader>> from_bytes(std::vector<uint8_t> bytes, std::string name);
    // The magic, in either byte order (big-endian files are then refused by open).
    static bool looks_like_perf_data(std::span<const uint8_t> first_bytes);

    const PerfDataInfo& info() const { return info_; }
    const std::string& name() const { return name_; }

    // Calls visit with each record of the data section in file order, whole (perf_event_header
    // + body, header.size bytes). PERF_RECORD_COMPRESSED (81) and COMPRESSED2 (83) records are
    // zstd-decompressed, one stream across the file as perf reads it, and the records inside
    // delivered in their place (a record may span two compressed records); the compressed
    // records themselves are not delivered. Every other type is delivered as is. A record whose
    // size is < 8 or runs past the data section, or a zstd error, ends the iteration with a
    // warning. visit returns false to stop early. The span is valid only during the call.
    Status for_each_record(const std::function<bool(std::span<const uint8_t> record)>& visit,
                           std::vector<std::string>& warnings) const;

    ~PerfDataReader();
    PerfDataReader(const PerfDataReader&) = delete;
    PerfDataReader& operator=(const PerfDataReader&) = delete;

private:
    PerfDataReader(std::vector<uint8_t> owned, std::string name)
        : owned_(std::move(owned)), bytes_(owned_), name_(std::move(name)) {}
    // A file open() mapped: its pages are read as the records are, so a large perf.data costs
    // the page cache, not this process's heap.
    PerfDataReader(const uint8_t* mapped, size_t size, std::string name)
        : mapped_(mapped), bytes_(mapped, size), name_(std::move(name)) {}
    Status parse();
    Status read_attrs(uint64_t attr_size, uint64_t offset, uint64_t size);
    void read_features(const uint64_t (&feature_bits)[4]);
    void read_feature(int bit, std::span<const uint8_t> section);

    std::vector<uint8_t> owned_;       // from_bytes()
    const uint8_t* mapped_ = nullptr;  // open(): the file's mapping, unmapped with the reader
    std::span<const uint8_t> bytes_;   // the file, either way
    std::string name_;
    PerfDataInfo info_;
};

// perf's own record types (tools/lib/perf/include/perf/event.h), past the kernel's.
inline constexpr uint32_t kPerfRecordFinishedRound = 68;
inline constexpr uint32_t kPerfRecordAuxtrace = 71;  // followed by its AUX data, outside header.size
inline constexpr uint32_t kPerfRecordCompressed = 81;
inline constexpr uint32_t kPerfRecordFinishedInit = 82;
inline constexpr uint32_t kPerfRecordCompressed2 = 83;

}  // namespace kiln::format
