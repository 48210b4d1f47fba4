// Hands filled record buffers from the drain loop to a writer thread that compresses and
// writes them. Buffers come from a fixed pool and are recycled, so the drain loop never
// allocates; when the writer falls behind the drain loop waits for a free buffer and the
// kernel's ring buffers absorb (or, past their size, count as lost) what arrives meanwhile.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "formats/chunk_writer.h"
#include "formats/result.h"

namespace kiln::recorder {

struct ChunkBuffer {
    format::ChunkType type = format::ChunkType::kPerfRecords;
    std::vector<uint8_t> data;  // capacity reserved once; size() is the used part
    bool pooled = true;         // false: a one-off sideband buffer, freed after writing
};

class ChunkPipeline {
public:
    ChunkPipeline(format::ChunkWriter& writer, size_t buffer_bytes, size_t buffer_count);
    ~ChunkPipeline();
    ChunkPipeline(const ChunkPipeline&) = delete;
    ChunkPipeline& operator=(const ChunkPipeline&) = delete;

    void start();
    // A free pooled buffer (empty), waiting for the writer if none is free.
    std::unique_ptr<ChunkBuffer> acquire();
    // Queues a buffer for writing (pooled or one-off).
    void submit(std::unique_ptr<ChunkBuffer> buf);
    void submit_sideband(format::ChunkType type, std::vector<uint8_t> payload);
    // Writes everything queued, stops the thread, and returns the first write error if any.
    Status finish();

    size_t buffer_bytes() const { return buffer_bytes_; }

private:
    void run();

    format::ChunkWriter& writer_;
    size_t buffer_bytes_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<ChunkBuffer>> queue_;
    std::vector<std::unique_ptr<ChunkBuffer>> free_;
    bool stopping_ = false;
    Status status_;
    std::thread thread_;
};

}  // namespace kiln::recorder
