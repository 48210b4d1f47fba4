#include "recorder/chunk_pipeline.h"

#include "recorder/output_file.h"

namespace kiln::recorder {

Status FileChunkSink::store(const ChunkBuffer& buf) {
    Status s = buf.compressed_raw_size > 0 ? writer_.write_compressed_chunk(buf.type, buf.compressed_raw_size, buf.bytes())
                                           : writer_.write_chunk(buf.type, buf.bytes());
    if (!s.ok()) return s;
    if (buf.on_written) buf.on_written(writer_.last_payload(), writer_.last_compression());
    if (fd_ >= 0) return check_still_linked(fd_, path_);
    return {};
}

ChunkPipeline::ChunkPipeline(ChunkSink& sink, size_t buffer_bytes, size_t buffer_count)
    : sink_(sink), buffer_bytes_(buffer_bytes) {
    for (size_t i = 0; i < buffer_count; ++i) {
        auto b = std::make_unique<ChunkBuffer>();
        b->data.reserve(buffer_bytes);
        free_.push_back(std::move(b));
    }
}

ChunkPipeline::~ChunkPipeline() {
    if (thread_.joinable()) (void)finish();
}

void ChunkPipeline::start() { thread_ = std::thread([this] { run(); }); }

std::unique_ptr<ChunkBuffer> ChunkPipeline::acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !free_.empty(); });
    auto b = std::move(free_.back());
    free_.pop_back();
    b->data.clear();
    b->type = format::ChunkType::kPerfRecords;
    b->sequence = b->samples = b->lost = b->started_ns = b->ended_ns = 0;
    return b;
}

void ChunkPipeline::submit(std::unique_ptr<ChunkBuffer> buf) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(buf));
    }
    cv_.notify_all();
}

namespace {

// A one-off sideband buffer, its payload still to be put in.
std::unique_ptr<ChunkBuffer> one_off(format::ChunkType type, ChunkBuffer::OnWritten on_written) {
    auto b = std::make_unique<ChunkBuffer>();
    b->type = type;
    b->on_written = std::move(on_written);
    b->pooled = false;
    return b;
}

}  // namespace

void ChunkPipeline::submit_sideband(format::ChunkType type, std::vector<uint8_t> payload,
                                    ChunkBuffer::OnWritten on_written) {
    auto b = one_off(type, std::move(on_written));
    b->sideband = std::move(payload);
    submit(std::move(b));
}

void ChunkPipeline::submit_sideband(format::ChunkType type, format::LargeBytes payload,
                                    ChunkBuffer::OnWritten on_written) {
    auto b = one_off(type, std::move(on_written));
    b->large_sideband = std::move(payload);
    submit(std::move(b));
}

void ChunkPipeline::submit_compressed_sideband(format::ChunkType type, uint64_t raw_size,
                                               format::LargeBytes zstd_frame) {
    auto b = one_off(type, {});
    b->large_sideband = std::move(zstd_frame);
    b->compressed_raw_size = raw_size;
    submit(std::move(b));
}

void ChunkPipeline::run() {
    for (;;) {
        std::unique_ptr<ChunkBuffer> buf;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping and drained
            buf = std::move(queue_.front());
            queue_.pop_front();
            storing_ = true;
        }
        if (status_.ok() && !buf->bytes().empty()) {
            Status s = sink_.store(*buf);
            if (!s.ok()) {
                std::lock_guard lock(mu_);
                status_ = s;
            }
        }
        {
            std::lock_guard lock(mu_);
            if (buf->pooled) free_.push_back(std::move(buf));
            storing_ = false;
        }
        cv_.notify_all();
    }
}

void ChunkPipeline::wait_idle() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return (queue_.empty() && !storing_) || !thread_.joinable(); });
}

Status ChunkPipeline::store_status() {
    std::lock_guard lock(mu_);
    return status_;
}

Status ChunkPipeline::finish() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return status_;
}

}  // namespace kiln::recorder
