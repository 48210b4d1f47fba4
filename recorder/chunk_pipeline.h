// Hands filled record buffers from the drain loop to a writer thread that compresses and
// writes them. Buffers come from a fixed pool and are recycled, so the drain loop never
// allocates; when the writer falls behind the drain loop waits for a free buffer and the
// kernel's ring buffers absorb (or, past their size, count as lost) what arrives meanwhile.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "formats/chunk_writer.h"
#include "formats/large_buffer.h"
#include "formats/result.h"

namespace kiln::recorder {

// An allocator whose value-initialisation leaves bytes as they are: the drain loop grows its
// buffer by each record's size and overwrites the new bytes at once, so the zero-fill of
// std::vector::resize was pure cost (5% of the recorder's CPU at 4000 Hz with 8 KiB stacks).
template <class T>
struct UninitializedAllocator : format::LargeBufferAllocator<T> {
    using value_type = T;
    UninitializedAllocator() = default;
    template <class U>
    UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
    template <class U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};
using RecordBytes = std::vector<uint8_t, UninitializedAllocator<uint8_t>>;

struct ChunkBuffer {
    format::ChunkType type = format::ChunkType::kPerfRecords;
    RecordBytes data;  // pooled buffers: capacity reserved once; size() is the used part
    std::vector<uint8_t> sideband;  // one-off buffers: the payload, as its encoder returned it
    format::LargeBytes large_sideband;  // ... or, for the kernel symbols, in huge-page memory
    uint64_t compressed_raw_size = 0;  // > 0: `sideband` is already one zstd frame of this many bytes
    // Called on the writer's thread with the payload as stored, once the chunk is written.
    using OnWritten = std::function<void(std::span<const uint8_t>, format::Compression)>;
    OnWritten on_written;
    bool pooled = true;             // false: a one-off sideband buffer, freed after writing
    // PERF_RECORDS from the drain loop: the chunk's number in the run (from 1), the samples and
    // lost records in it, and when it began and ended filling (CLOCK_MONOTONIC ns).
    uint64_t sequence = 0;
    uint64_t samples = 0, lost = 0;
    uint64_t started_ns = 0, ended_ns = 0;

    std::span<const uint8_t> bytes() const {
        if (pooled) return data;
        return large_sideband.empty() ? std::span<const uint8_t>(sideband) : std::span<const uint8_t>(large_sideband);
    }
};

// Where the pipeline's thread puts chunks: the recording file, or the monitor's history.
class ChunkSink {
public:
    virtual ~ChunkSink() = default;
    // Stores one chunk and calls its on_written with the payload as stored.
    virtual Status store(const ChunkBuffer& buf) = 0;
};

class FileChunkSink final : public ChunkSink {
public:
    // With fd (the writer's) and its path: after each chunk (one fstat, about one a second), an
    // error once the file was removed (output_file.h, check_still_linked).
    explicit FileChunkSink(format::ChunkWriter& writer, int fd = -1, std::string path = {})
        : writer_(writer), fd_(fd), path_(std::move(path)) {}
    Status store(const ChunkBuffer& buf) override;

private:
    format::ChunkWriter& writer_;
    int fd_;
    std::string path_;
};

class ChunkPipeline {
public:
    ChunkPipeline(ChunkSink& sink, size_t buffer_bytes, size_t buffer_count);
    ~ChunkPipeline();
    ChunkPipeline(const ChunkPipeline&) = delete;
    ChunkPipeline& operator=(const ChunkPipeline&) = delete;

    void start();
    // A free pooled buffer (empty), waiting for the writer if none is free.
    std::unique_ptr<ChunkBuffer> acquire();
    // Queues a buffer for writing (pooled or one-off).
    void submit(std::unique_ptr<ChunkBuffer> buf);
    void submit_sideband(format::ChunkType type, std::vector<uint8_t> payload, ChunkBuffer::OnWritten on_written = {});
    void submit_sideband(format::ChunkType type, format::LargeBytes payload, ChunkBuffer::OnWritten on_written = {});
    // A sideband payload compressed already: one zstd frame of raw_size bytes.
    void submit_compressed_sideband(format::ChunkType type, uint64_t raw_size, format::LargeBytes zstd_frame);
    // Waits until everything queued so far is stored.
    void wait_idle();
    // Writes everything queued, stops the thread, and returns the first write error if any.
    Status finish();
    // The first store error so far (ok while there was none). After one, the thread stores
    // nothing more: it recycles buffers unwritten, so producers never wait on a dead output.
    Status store_status();

    size_t buffer_bytes() const { return buffer_bytes_; }

private:
    void run();

    ChunkSink& sink_;
    size_t buffer_bytes_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<ChunkBuffer>> queue_;
    std::vector<std::unique_ptr<ChunkBuffer>> free_;
    bool stopping_ = false;
    bool storing_ = false;  // the thread holds a chunk it took from the queue
    Status status_;
    std::thread thread_;
};

}  // namespace kiln::recorder
