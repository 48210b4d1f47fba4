// Where a sample-based view hands each kept sample's stack besides its profile: per-thread
// timelines (stack_timeline.h, speedscope) and per-window stack counts (window_stacks.h, the
// anomalies view). Frames leaf first, as views unwind them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "analyzer/profile/profile_builder.h"  // SampleLabels
#include "analyzer/unwind/raw_frame.h"

namespace kiln::analyzer {

class SampleSink {
public:
    virtual ~SampleSink() = default;
    // A kept sample at time_ns (the samples' clock), standing for interval_ns of its thread.
    virtual void add(uint64_t time_ns, uint64_t interval_ns, const SampleLabels& labels,
                     std::span<const RawFrame> frames) = 0;
};

// Hands every sample to each of several sinks.
class SampleFanout final : public SampleSink {
public:
    void attach(SampleSink* sink) { sinks_.push_back(sink); }
    bool empty() const { return sinks_.empty(); }
    void add(uint64_t time_ns, uint64_t interval_ns, const SampleLabels& labels,
             std::span<const RawFrame> frames) override {
        for (SampleSink* s : sinks_) s->add(time_ns, interval_ns, labels, frames);
    }

private:
    std::vector<SampleSink*> sinks_;
};

}  // namespace kiln::analyzer
