#include "analyzer/decode/chunk_prefetcher.h"

#include <algorithm>

namespace kiln::analyzer {

ChunkPrefetcher::ChunkPrefetcher(format::RecordingReader& reader, size_t depth)
    : reader_(reader), depth_(std::max<size_t>(1, depth)) {
    thread_ = std::thread([this] { run(); });
}

ChunkPrefetcher::~ChunkPrefetcher() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void ChunkPrefetcher::run() {
    for (;;) {
        std::vector<uint8_t> buffer;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || ready_.size() < depth_; });
            if (stopping_) return;
            if (!spare_.empty()) {
                buffer = std::move(spare_.back());
                spare_.pop_back();
            }
        }
        auto next = reader_.next();
        std::lock_guard lock(mu_);
        if (!next || !*next) {
            if (!next) error_ = next.error();
            done_ = true;
            cv_.notify_all();
            return;
        }
        const format::Chunk& c = **next;
        PrefetchedChunk chunk{c.type, c.file_offset, {}, c.data.size()};
        reader_.swap_chunk_buffer(buffer);
        // After the swap `buffer` holds the chunk's bytes from its start; a reader that kept
        // them elsewhere gets them copied.
        if (c.data.data() != buffer.data()) buffer.assign(c.data.begin(), c.data.end());
        chunk.buffer = std::move(buffer);
        ready_.push_back(std::move(chunk));
        cv_.notify_all();
    }
}

Result<std::optional<PrefetchedChunk>> ChunkPrefetcher::next() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !ready_.empty() || done_; });
    if (!ready_.empty()) {
        PrefetchedChunk c = std::move(ready_.front());
        ready_.pop_front();
        cv_.notify_all();
        return std::optional<PrefetchedChunk>(std::move(c));
    }
    if (error_) return *error_;
    return std::optional<PrefetchedChunk>();
}

void ChunkPrefetcher::recycle(std::vector<uint8_t> buffer) {
    std::lock_guard lock(mu_);
    if (spare_.size() < depth_ + 4) spare_.push_back(std::move(buffer));
}

}  // namespace kiln::analyzer
