// The growth of a cumulative counter (PSI total= microseconds, a process's CPU ticks) over
// the last window, from samples kept in a fixed ring: no allocation after construction.
// Samples closer than window/100 to the previous kept one are not kept, so 128 slots always
// reach one window back whatever the check interval.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace kiln::recorder {

class RateWindow {
public:
    explicit RateWindow(uint64_t window_ns = 1'000'000'000) : window_ns_(window_ns) {}

    struct Growth {
        uint64_t delta = 0;    // counter growth over [since, now]
        uint64_t span_ns = 0;  // now - since: at least the window when full is set
        bool full = false;     // the samples reach a whole window back
    };

    // Adds the counter's value at now and returns its growth since the newest sample at least
    // a window old (full), or else since the oldest sample kept; nullopt on the first sample.
    // A counter that went backwards (a reset, a reused pid) restarts the history.
    std::optional<Growth> add(uint64_t now_ns, uint64_t value) {
        if (size_ > 0 && (value < newest().value || now_ns < newest().t)) clear();
        if (size_ == 0 || now_ns - newest().t >= window_ns_ / 100) push(now_ns, value);
        // Walk from the newest back to the first sample a whole window old.
        const Sample* base = &at(0);
        bool full = false;
        for (size_t i = size_; i-- > 0;) {
            if (now_ns - at(i).t >= window_ns_) {
                base = &at(i);
                full = true;
                break;
            }
        }
        if (now_ns == base->t) return std::nullopt;
        return Growth{value - base->value, now_ns - base->t, full};
    }

    void clear() { size_ = head_ = 0; }

private:
    struct Sample {
        uint64_t t = 0, value = 0;
    };
    static constexpr size_t kSlots = 128;

    // i = 0 is the oldest kept sample.
    const Sample& at(size_t i) const { return ring_[(head_ + i) % kSlots]; }
    const Sample& newest() const { return at(size_ - 1); }
    void push(uint64_t t, uint64_t value) {
        if (size_ == kSlots) {
            ring_[head_] = {t, value};
            head_ = (head_ + 1) % kSlots;
        } else {
            ring_[(head_ + size_) % kSlots] = {t, value};
            ++size_;
        }
    }

    uint64_t window_ns_;
    std::array<Sample, kSlots> ring_{};
    size_t size_ = 0, head_ = 0;
};

}  // namespace kiln::recorder
