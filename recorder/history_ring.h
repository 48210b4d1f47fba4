// The monitor's history: every chunk the pipeline stores, compressed as a file would hold it,
// in memory. Time-series chunks (PERF_RECORDS, COUNTERS) are dropped oldest first once they
// ended more than `span` ago or once the history passes its byte limit; the recording-wide
// sideband (kernel symbols and image, modules, the /proc snapshot, build-ids, perf maps) is
// pinned and never dropped. A dump takes shared references to what it needs, so dropping goes
// on while a dump is written.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "formats/chunk_compressor.h"
#include "recorder/chunk_pipeline.h"

namespace kiln::recorder {

struct StoredChunk {
    format::ChunkType type = format::ChunkType::kPerfRecords;
    format::Compression compression = format::Compression::kNone;
    uint64_t raw_size = 0;
    std::vector<uint8_t> payload;
    // As in ChunkBuffer (PERF_RECORDS); other chunks: started_ns = ended_ns = when stored.
    uint64_t sequence = 0, samples = 0, lost = 0;
    uint64_t started_ns = 0, ended_ns = 0;
};
using StoredChunkRef = std::shared_ptr<const StoredChunk>;

struct HistoryHeld {
    uint64_t bytes = 0;         // payloads held, time series and pinned
    uint64_t pinned_bytes = 0;
    uint64_t chunks = 0;        // time-series chunks
    uint64_t oldest_ns = 0, newest_ns = 0;  // start of the oldest, end of the newest
    uint64_t dropped_for_bytes = 0;  // chunks dropped by the byte limit before their time
};

class HistoryRing final : public ChunkSink {
public:
    // span_ns: how long a chunk is kept after it ended; max_bytes: the bound of everything held
    // here plus reserved_bytes() (what the caller holds for dumps besides: essential records).
    HistoryRing(int zstd_level, uint64_t span_ns, uint64_t max_bytes);

    Status store(const ChunkBuffer& buf) override;

    // Drops the time-series chunks that ended before now_ns - span.
    void expire(uint64_t now_ns);
    void set_reserved_bytes(uint64_t n) { reserved_.store(n, std::memory_order_relaxed); }

    struct Snapshot {
        std::vector<StoredChunkRef> pinned, series;  // each in the order stored
    };
    // The pinned chunks and the time-series chunks that ended at or after from_ns.
    Snapshot snapshot(uint64_t from_ns) const;
    HistoryHeld held() const;
    // The sequence number of the oldest PERF_RECORDS chunk held (0 when none).
    uint64_t oldest_sequence() const;
    uint64_t max_bytes() const { return max_bytes_; }

private:
    static bool pinned(format::ChunkType type);
    void drop_front_locked();
    void enforce_bytes_locked();

    format::ChunkCompressor compressor_;  // the pipeline's thread only
    const uint64_t span_ns_;
    const uint64_t max_bytes_;
    std::atomic<uint64_t> reserved_{0};
    mutable std::mutex mu_;
    std::vector<StoredChunkRef> pinned_;
    std::deque<StoredChunkRef> series_;
    uint64_t series_bytes_ = 0, pinned_bytes_ = 0;
    uint64_t dropped_for_bytes_ = 0;
};

}  // namespace kiln::recorder
