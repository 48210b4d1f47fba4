// Writes a window of the monitor's history as a normal recording: the header (its start moved
// to the window's start), the pinned sideband, the essential records from before the window
// (process names, threads, maps), the window's chunks as they were stored (no recompression),
// the end sideband and the stats. Every kiln command reads the file like any other.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/recording_header.h"
#include "formats/recording_stats.h"
#include "formats/result.h"
#include "recorder/history_ring.h"
#include "recorder/recording_session.h"

namespace kiln::recorder {

struct DumpContents {
    format::RecordingHeader header;
    HistoryRing::Snapshot history;
    std::vector<std::vector<uint8_t>> essentials;  // PERF_RECORDS payloads
    EndSideband end;
    format::RecordingStats stats;
    int zstd_level = 1;
};

// The stats of a dump of these chunks: samples and lost records summed, the end the last
// chunk's.
format::RecordingStats dump_stats(const HistoryRing::Snapshot& history, uint64_t fallback_end_ns);

// Writes path (0600, never through a symlink); on failure removes what was written. Returns the
// bytes written.
Result<uint64_t> write_dump(const std::string& path, const DumpContents& contents);

}  // namespace kiln::recorder
