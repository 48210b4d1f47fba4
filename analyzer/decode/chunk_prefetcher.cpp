#include "analyzer/decode/chunk_prefetcher.h"

#include <algorithm>

namespace kiln::analyzer {

ChunkPrefetcher::ChunkPrefetcher(format::RecordingReader& reader, size_t depth)
    : reader_(reader), stack_layouts_(reader.header().events), depth_(std::max<size_t>(1, depth)) {
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
            // The reader needs the least room (a chunk as stored); larger buffers are kept
            // for expanding stack deltas.
            if (!spare_.empty()) buffer = take_spare(false);
        }
        auto next = reader_.next();
        if (!next || !*next) {
            std::lock_guard lock(mu_);
            if (!next) error_ = next.error();
            done_ = true;
            cv_.notify_all();
            return;
        }
        const format::Chunk& c = **next;
        PrefetchedChunk chunk{c.type, c.file_offset, {}, c.data.size(), {}};
        reader_.swap_chunk_buffer(buffer);
        // After the swap `buffer` holds the chunk's bytes from its start; a reader that kept
        // them elsewhere gets them copied.
        if (c.data.data() != buffer.data()) buffer.assign(c.data.begin(), c.data.end());
        chunk.buffer = std::move(buffer);
        expand_stack_deltas(chunk);
        std::lock_guard lock(mu_);
        ready_.push_back(std::move(chunk));
        cv_.notify_all();
    }
}

void ChunkPrefetcher::expand_stack_deltas(PrefetchedChunk& chunk) {
    if (chunk.type != format::ChunkType::kPerfRecords || stack_layouts_.empty()) return;
    const auto r = format::expand_stack_deltas(stack_layouts_, chunk.data(), expanded_);
    if (!r.expanded) return;
    std::swap(chunk.buffer, expanded_);
    chunk.size = chunk.buffer.size();
    chunk.warnings = r.warnings();
    // expanded_ now holds the delta-encoded chunk's buffer, too small for the next expansion:
    // growing it would fault in fresh pages and copy on every chunk. Expand next into the
    // largest spare buffer (expanded chunks come back through recycle()).
    std::lock_guard lock(mu_);
    if (spare_.empty()) return;
    std::vector<uint8_t> largest = take_spare(true);
    if (largest.capacity() <= expanded_.capacity()) {
        spare_.push_back(std::move(largest));
        return;
    }
    spare_.push_back(std::move(expanded_));
    expanded_ = std::move(largest);
}

std::vector<uint8_t> ChunkPrefetcher::take_spare(bool largest) {
    auto pick = spare_.begin();
    for (auto it = spare_.begin(); it != spare_.end(); ++it)
        if (largest ? it->capacity() > pick->capacity() : it->capacity() < pick->capacity()) pick = it;
    std::vector<uint8_t> out = std::move(*pick);
    spare_.erase(pick);
    return out;
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
