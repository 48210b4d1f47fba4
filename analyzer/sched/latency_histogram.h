// Latencies in constant memory: a log-linear histogram (16 sub-buckets per power of two, so a
// percentile is off by at most 1/16 of its value, ~6%), with the exact count, sum and maximum. Its size follows the
// largest value seen (about 1 KiB for microseconds).
// Per thread and per syscall, where keeping every value would grow with the recording.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::analyzer {

class LatencyHistogram {
public:
    void add(uint64_t ns) {
        ++count_;
        sum_ += ns;
        if (ns > max_) max_ = ns;
        const size_t b = bucket(ns);
        if (b >= buckets_.size()) buckets_.resize(b + 1, 0);
        ++buckets_[b];
    }
    uint64_t count() const { return count_; }
    uint64_t sum() const { return sum_; }
    uint64_t max() const { return max_; }
    uint64_t avg() const { return count_ ? sum_ / count_ : 0; }
    // The smallest bucket bound at or above the q-quantile (q in [0, 1]), at most the maximum.
    uint64_t percentile(double q) const {
        if (count_ == 0) return 0;
        // Nearest rank: the ceil(q * count)-th smallest value (the largest of two for p99).
        auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
        rank = rank < 1 ? 1 : rank > count_ ? count_ : rank;
        uint64_t seen = 0;
        for (size_t b = 0; b < buckets_.size(); ++b) {
            seen += buckets_[b];
            if (seen >= rank) return upper(b) < max_ ? upper(b) : max_;
        }
        return max_;
    }

private:
    static constexpr unsigned kSubBits = 4;  // 16 sub-buckets per power of two
    static size_t bucket(uint64_t v) {
        if (v < (1u << kSubBits)) return static_cast<size_t>(v);
        const unsigned exp = static_cast<unsigned>(std::bit_width(v)) - 1 - kSubBits;  // >= 0
        const uint64_t sub = (v >> exp) & ((1u << kSubBits) - 1);
        return static_cast<size_t>(((exp + 1) << kSubBits) + sub);
    }
    // The largest value in bucket b.
    static uint64_t upper(size_t b) {
        if (b < (1u << kSubBits)) return b;
        const unsigned exp = static_cast<unsigned>(b >> kSubBits) - 1;
        const uint64_t sub = b & ((1u << kSubBits) - 1);
        const uint64_t low = ((uint64_t{1} << kSubBits) | sub) << exp;
        return low + ((uint64_t{1} << exp) - 1);
    }
    std::vector<uint32_t> buckets_;  // grown to the largest bucket used (a few hundred for seconds)
    uint64_t count_ = 0, sum_ = 0, max_ = 0;
};

}  // namespace kiln::analyzer
