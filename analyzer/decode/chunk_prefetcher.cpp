#include "analyzer/decode/chunk_prefetcher.h"

#include <algorithm>

namespace kiln::analyzer {

namespace {
constexpr size_t kMaxRecordBytes = 0x10000;  // a record's size is a u16
}  // namespace

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
        const bool expanded =
            chunk.type == format::ChunkType::kPerfRecords && !stack_layouts_.empty() && queue_expanded(chunk);
        if (!expanded && !queue(std::move(chunk))) return;
    }
}

bool ChunkPrefetcher::queue(PrefetchedChunk chunk) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return stopping_ || ready_.size() < depth_; });
    if (stopping_) return false;
    ready_.push_back(std::move(chunk));
    cv_.notify_all();
    return true;
}

bool ChunkPrefetcher::queue_expanded(PrefetchedChunk& chunk) {
    format::StackDeltaExpander expander(stack_layouts_, chunk.data());
    if (!expander.has_deltas()) return false;
    while (!expander.done()) {
        std::vector<uint8_t> out;
        {
            // Expanded slices are the largest buffers; the reader takes the smallest.
            std::lock_guard lock(mu_);
            if (!spare_.empty()) out = take_spare(true);
        }
        // Room for a whole slice at once: grown record by record, a fresh buffer was copied and
        // faulted in anew at every step.
        if (out.capacity() < kExpandedSliceBytes + kMaxRecordBytes) out.reserve(kExpandedSliceBytes + kMaxRecordBytes);
        (void)expander.next(out, kExpandedSliceBytes);
        PrefetchedChunk slice{chunk.type, chunk.file_offset, std::move(out), 0, {}};
        slice.size = slice.buffer.size();
        if (expander.done()) slice.warnings = expander.result().warnings();
        if (!queue(std::move(slice))) return true;
    }
    recycle(std::move(chunk.buffer));
    return true;
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
