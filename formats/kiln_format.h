// Constants and fixed layouts of the .kiln recording container (see formats/SPEC.md).
// The recorder and the analyzer both use these; nobody redeclares them.
#pragma once

#include <cstdint>

namespace kiln::format {

// File preamble: 16 bytes.
inline constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'R', 'E', 'C', '\0'};
// 2.0: DWARF-mode samples as stack deltas (kRecordStackDelta), which a 1.x reader would skip
// without a word, so the major version changed; readers still read every 1.x file.
// 3.0: samples with callchains and no stack copies as callchain deltas (kRecordCallchainDelta),
// which a 2.x reader would skip likewise.
// 4.0: every sample without a stack copy as a sample delta (kRecordSampleDelta), fixed fields
// included, which a 3.x reader would skip likewise.
// 5.0: those samples as compact samples (kRecordCompactSample), their times in a stream of their
// own at each chunk's end (kRecordSampleTimes) and their user registers as differences, which a
// 4.x reader would skip likewise; the vdso's BINARY chunk at the end, only when samples hit it.
inline constexpr uint16_t kVersionMajor = 5;
// History of 1.x: 1.1 tracepoint formats in the header; 1.2 uprobe registers and entry return
// address in fp mode; 1.3 kernel symbols in a KALLSYMS_COMPACT chunk instead of KALLSYMS.
// 2.1: kernel symbols in a KALLSYMS_FOLDED chunk (function-padding "__pfx_" symbols folded).
// 4.1: load and resource counters in COUNTERS chunks (formats/counters.h).
// 4.2: binaries in BINARY chunks (formats/archived_binary.h), with kiln record --archive;
// PID_NAMESPACES (formats/pid_namespaces.h).
// 4.3: the vdso image in a BINARY chunk named [vdso] in every recording; the kernel's symbols as
// KALLSYMS_REF at start (the whole table stays in kiln's cache) and KALLSYMS_TOUCHED at each
// file's end (the symbols the samples hit), instead of the whole table.
inline constexpr uint16_t kVersionMinor = 0;

struct FilePreamble {
    char magic[8];
    uint16_t version_major;
    uint16_t version_minor;
    uint32_t reserved;
};
static_assert(sizeof(FilePreamble) == 16);

// Every chunk starts with this 32-byte header, followed by payload_size bytes.
inline constexpr uint32_t kChunkSync = 0x4b484b43;  // "CKHK" in little-endian memory order

enum class Compression : uint16_t { kNone = 0, kZstd = 1 };

struct ChunkHeader {
    uint32_t sync;          // kChunkSync
    uint16_t type;          // ChunkType
    uint16_t compression;   // Compression
    uint32_t payload_size;  // bytes stored after this header
    uint32_t raw_size;      // bytes after decompression
    uint32_t payload_crc;   // CRC-32 (zlib) of the stored payload
    uint32_t reserved;
    uint32_t header_crc;    // CRC-32 of bytes 0..23 of this header
    uint32_t reserved2;
};
static_assert(sizeof(ChunkHeader) == 32);

// A chunk larger than this is treated as corrupt: readers keep memory bounded.
inline constexpr uint32_t kMaxChunkRawSize = 256u << 20;

enum class ChunkType : uint16_t {
    kHeader = 1,        // RecordingHeader; always the first chunk
    kPerfRecords = 2,   // raw perf records as the kernel wrote them (perf_event_header framed)
    kProcSnapshot = 3,  // ProcessSnapshot: processes running when recording started
    kKallsyms = 4,      // KernelSymbols: /proc/kallsyms text symbols
    kModules = 5,       // KernelModules: /proc/modules with build-ids
    kPerfMap = 6,       // PerfMapFile: a /tmp/perf-PID.map JIT map
    kBuildIds = 7,      // BuildIdTable: build-ids read from files at record time
    kStats = 8,         // RecordingStats: the summary written when recording ends
    kKernelInfo = 9,    // KernelImage: kernel build-id and text range
    kKallsymsCompact = 10,  // KernelSymbols, compact layout (kallsyms_compact.h); 1.3 to 2.0
    kKallsymsFolded = 11,   // the compact layout with "__pfx_" symbols folded (kallsyms_compact.h); 2.1 on
    kCounters = 12,         // CounterChunk (counters.h): /proc load and resource counters; 4.1 on
    kBinary = 13,           // an archived binary (archived_binary.h), kiln record --archive; 4.2 on
    kPidNamespaces = 14,    // PidNamespaceMap (pid_namespaces.h): container pids of host pids; 4.2 on
    kKallsymsTouched = 15,  // KALLSYMS_FOLDED's layout, only the symbols the samples hit (kallsyms_subset.h); 4.3 on
    kKallsymsRef = 16,      // KallsymsRef (kallsyms_subset.h): the whole table's size and hash, kept in kiln's cache; 4.3 on
};

// A user-space record inside PERF_RECORDS marking the end of one drain round over all rings
// (like perf's FINISHED_ROUND): every record before it came from a ring read before it.
inline constexpr uint32_t kRecordRoundEnd = 0x4b01;
// A user-space record inside PERF_RECORDS (2.0): a sample whose user stack copy is stored as
// the blocks that changed since its thread's last sample (formats/stack_delta.h).
inline constexpr uint32_t kRecordStackDelta = 0x4b02;
// A user-space record inside PERF_RECORDS (3.0): a sample whose callchain is stored as the
// innermost frames that differ from its thread's previous callchain (formats/callchain_delta.h).
inline constexpr uint32_t kRecordCallchainDelta = 0x4b03;
// A user-space record inside PERF_RECORDS (4.0): a sample without a user stack copy, its fixed
// fields as varint differences from its thread's previous sample and its callchain as the
// frames that changed (formats/sample_delta.h). 4.0 recorders write these instead of 0x4b03.
inline constexpr uint32_t kRecordSampleDelta = 0x4b04;
// A user-space record inside PERF_RECORDS (5.0): a sample delta whose time is in the chunk's
// SAMPLE_TIMES and whose user registers are differences (formats/sample_delta.h). 5.0 recorders
// write these instead of 0x4b04.
inline constexpr uint32_t kRecordCompactSample = 0x4b05;
// A user-space record inside PERF_RECORDS (5.0), at a chunk's end: the times of its compact
// samples, in their order, as varints (formats/sample_delta.h).
inline constexpr uint32_t kRecordSampleTimes = 0x4b06;
// Whether a PERF_RECORDS record is one of kiln's delta-encoded samples.
inline constexpr bool is_delta_record(uint32_t type) {
    return type == kRecordStackDelta || type == kRecordCallchainDelta || type == kRecordSampleDelta ||
           type == kRecordCompactSample;
}

}  // namespace kiln::format
