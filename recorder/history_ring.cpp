#include "recorder/history_ring.h"

#include <algorithm>

#include "recorder/recording_session.h"

namespace kiln::recorder {

HistoryRing::HistoryRing(int zstd_level, uint64_t span_ns, uint64_t max_bytes)
    : compressor_(zstd_level), span_ns_(span_ns), max_bytes_(max_bytes) {}

bool HistoryRing::pinned(format::ChunkType type) {
    return type != format::ChunkType::kPerfRecords && type != format::ChunkType::kCounters;
}

Status HistoryRing::store(const ChunkBuffer& buf) {
    auto chunk = std::make_shared<StoredChunk>();
    chunk->type = buf.type;
    if (buf.compressed_raw_size > 0) {
        chunk->compression = format::Compression::kZstd;
        chunk->raw_size = buf.compressed_raw_size;
        chunk->payload.assign(buf.bytes().begin(), buf.bytes().end());
    } else {
        auto c = compressor_.compress(buf.bytes());
        if (!c) return c.error();
        chunk->compression = c->compression;
        chunk->raw_size = buf.bytes().size();
        chunk->payload.assign(c->bytes.begin(), c->bytes.end());
    }
    if (buf.on_written) buf.on_written(chunk->payload, chunk->compression);
    chunk->sequence = buf.sequence;
    chunk->samples = buf.samples;
    chunk->lost = buf.lost;
    chunk->started_ns = buf.started_ns;
    chunk->ended_ns = buf.ended_ns;
    if (chunk->ended_ns == 0) chunk->started_ns = chunk->ended_ns = monotonic_ns();

    std::lock_guard lock(mu_);
    if (pinned(chunk->type)) {
        pinned_bytes_ += chunk->payload.size();
        pinned_.push_back(std::move(chunk));
    } else {
        series_bytes_ += chunk->payload.size();
        series_.push_back(std::move(chunk));
    }
    enforce_bytes_locked();
    return {};
}

void HistoryRing::drop_front_locked() {
    series_bytes_ -= series_.front()->payload.size();
    series_.pop_front();
}

void HistoryRing::enforce_bytes_locked() {
    const uint64_t others = pinned_bytes_ + reserved_.load(std::memory_order_relaxed);
    // The newest chunk stays whatever its size: a dump without it would hold nothing.
    while (series_.size() > 1 && series_bytes_ + others > max_bytes_) {
        drop_front_locked();
        ++dropped_for_bytes_;
    }
}

void HistoryRing::expire(uint64_t now_ns) {
    std::lock_guard lock(mu_);
    while (!series_.empty() && series_.front()->ended_ns + span_ns_ < now_ns) drop_front_locked();
    enforce_bytes_locked();
}

HistoryRing::Snapshot HistoryRing::snapshot(uint64_t from_ns) const {
    Snapshot s;
    std::lock_guard lock(mu_);
    s.pinned = pinned_;
    for (const auto& c : series_)
        if (c->ended_ns >= from_ns) s.series.push_back(c);
    return s;
}

HistoryHeld HistoryRing::held() const {
    std::lock_guard lock(mu_);
    HistoryHeld h;
    h.bytes = series_bytes_ + pinned_bytes_;
    h.pinned_bytes = pinned_bytes_;
    h.chunks = series_.size();
    if (!series_.empty()) {
        h.oldest_ns = series_.front()->started_ns;
        h.newest_ns = series_.back()->ended_ns;
    }
    h.dropped_for_bytes = dropped_for_bytes_;
    return h;
}

uint64_t HistoryRing::oldest_sequence() const {
    std::lock_guard lock(mu_);
    for (const auto& c : series_)
        if (c->type == format::ChunkType::kPerfRecords) return c->sequence;
    return 0;
}

}  // namespace kiln::recorder
