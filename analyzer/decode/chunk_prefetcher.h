// Reads, checks and decompresses a recording's next chunks on a thread of its own while the
// caller works on the current one: decompressing DWARF stack copies is about a third of the
// analyzer's per-sample work, and it needs nothing from the rest of the pipeline. Records
// chunks come out with their stack deltas expanded (formats/stack_delta.h), on that thread too,
// in slices of about kExpandedSliceBytes: one chunk may come out as several.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "formats/recording_reader.h"
#include "formats/stack_delta.h"
#include "formats/result.h"

namespace kiln::analyzer {

// Expanded records are handed out in slices of about this size: small enough to stay in cache
// while the caller works through them (8 MiB chunks cost the analyzer a third more CPU per
// sample in page faults and cache misses), whatever size the recorder gave the chunk.
inline constexpr size_t kExpandedSliceBytes = 2 << 20;

struct PrefetchedChunk {
    format::ChunkType type{};
    uint64_t file_offset = 0;
    std::vector<uint8_t> buffer;  // owns the bytes; give it back with recycle() when done
    size_t size = 0;              // the chunk is buffer[0, size)
    std::vector<std::string> warnings;  // records dropped while expanding stack deltas
    std::span<const uint8_t> data() const { return {buffer.data(), size}; }
};

class ChunkPrefetcher {
public:
    // At most `depth` chunks wait, decompressed, ahead of the caller. The reader is used only
    // by the prefetching thread until next() has returned the end or an error.
    explicit ChunkPrefetcher(format::RecordingReader& reader, size_t depth = 2);
    ~ChunkPrefetcher();
    ChunkPrefetcher(const ChunkPrefetcher&) = delete;
    ChunkPrefetcher& operator=(const ChunkPrefetcher&) = delete;

    // The next chunk in file order, nullopt at the end of the usable stream (the reader's
    // warnings are complete then), or the reader's I/O error.
    Result<std::optional<PrefetchedChunk>> next();
    // Hands a chunk's buffer back for reuse (keeps the reader from allocating and faulting in
    // fresh pages for every chunk).
    void recycle(std::vector<uint8_t> buffer);

private:
    void run();
    // Queues chunk's records, expanded, as slices (or stops when the caller goes away); false,
    // chunk untouched, when it holds no stack deltas.
    bool queue_expanded(PrefetchedChunk& chunk);
    // Waits for room in ready_ and queues chunk; false when the caller is gone.
    bool queue(PrefetchedChunk chunk);
    // Removes and returns the spare buffer of the largest (else smallest) capacity; mu_ held,
    // spare_ not empty.
    std::vector<uint8_t> take_spare(bool largest);

    format::RecordingReader& reader_;
    const format::StackLayouts stack_layouts_;
    const size_t depth_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<PrefetchedChunk> ready_;
    std::vector<std::vector<uint8_t>> spare_;
    std::optional<Error> error_;
    bool done_ = false;      // the thread reached the end (or an error)
    bool stopping_ = false;  // the caller is gone
    std::thread thread_;
};

}  // namespace kiln::analyzer
