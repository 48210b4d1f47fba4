// Per-window stack counts (the anomalies view): every kept sample of a sample-based view is
// counted in the fine bucket of time it falls in, under its stack. While the recording
// streams, stacks are raw frames interned once; finish() names them by function (as the folded
// output does, so inlining and addresses do not matter: two stacks with the same names are
// one) and returns the buckets as sparse counts over those names. Memory: one entry per
// distinct (bucket, stack), at most the samples (empty buckets take none); the bucket being
// filled is a hash map.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "analyzer/profile/sample_sink.h"
#include "analyzer/profile/stack_timeline.h"  // FrameNamer

namespace kiln::analyzer {

struct StackBucket {
    uint64_t index = 0;  // the bucket's start is start_ns + index * bucket_ns
    std::vector<std::pair<uint32_t, uint32_t>> counts;  // (key, samples), by key
};

struct WindowedStacks {
    uint64_t start_ns = 0;   // bucket 0's start, on the samples' clock (the recording's start)
    uint64_t bucket_ns = 0;  // each bucket's length
    std::vector<std::string> keys;  // distinct stacks: "comm;root;...;leaf" (folded names)
    std::vector<StackBucket> buckets;  // the buckets with samples, by index
    uint64_t samples = 0;
    // One past the last bucket with samples (0 when none).
    uint64_t bucket_end() const { return buckets.empty() ? 0 : buckets.back().index + 1; }
};

class WindowedStackCounts final : public SampleSink {
public:
    WindowedStackCounts(uint64_t start_ns, uint64_t bucket_ns)
        : start_ns_(start_ns), bucket_ns_(bucket_ns), stack_ids_(64, StackHash{this}, StackEqual{this}) {}
    // The stack set's hash and equality look into this object's pool: it stays where it is.
    WindowedStackCounts(const WindowedStackCounts&) = delete;
    WindowedStackCounts& operator=(const WindowedStackCounts&) = delete;
    void add(uint64_t time_ns, uint64_t interval_ns, const SampleLabels& labels,
             std::span<const RawFrame> frames) override;
    // Names every distinct stack (namer: one raw frame's named frames, outermost first) and
    // merges the stacks that get the same names. The counter is empty afterwards.
    WindowedStacks finish(const FrameNamer& namer);

private:
    // A distinct stack's ids, back to back in pool_: its comm id, then raw frame ids root first.
    std::span<const uint32_t> stack(uint32_t id) const {
        return {pool_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]};
    }
    // Stacks are looked up by their ids (a span) and stored as their index: one copy of each.
    struct StackHash {
        const WindowedStackCounts* self;
        using is_transparent = void;
        size_t operator()(std::span<const uint32_t> ids) const;
        size_t operator()(uint32_t id) const { return (*this)(self->stack(id)); }
    };
    struct StackEqual {
        const WindowedStackCounts* self;
        using is_transparent = void;
        std::span<const uint32_t> ids(std::span<const uint32_t> s) const { return s; }
        std::span<const uint32_t> ids(uint32_t id) const { return self->stack(id); }
        template <class A, class B>
        bool operator()(const A& a, const B& b) const {
            const auto x = ids(a), y = ids(b);
            return std::equal(x.begin(), x.end(), y.begin(), y.end());
        }
    };

    void flush();
    void clear();
    uint32_t raw_id(const RawFrame& f);

    uint64_t start_ns_, bucket_ns_;
    std::unordered_map<RawFrame, uint32_t, RawFrameHash> raw_ids_;
    std::vector<RawFrame> raw_frames_;
    std::unordered_map<std::string, uint32_t> comm_ids_;
    std::vector<std::string> comms_;
    std::vector<uint32_t> pool_;
    std::vector<size_t> offsets_{0};  // stack i is pool_[offsets_[i], offsets_[i + 1])
    std::unordered_set<uint32_t, StackHash, StackEqual> stack_ids_;
    std::vector<StackBucket> buckets_;                // filled, in the order they were
    std::unordered_map<uint32_t, uint32_t> current_;  // the bucket being filled
    uint64_t current_bucket_ = 0;
    uint64_t samples_ = 0;
    std::vector<uint32_t> scratch_;
};

}  // namespace kiln::analyzer
