// A view turns the samples of a recording into a profile with its own sample types
// (cpu: samples + nanoseconds or event counts; offcpu: blocked nanoseconds ...).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "analyzer/model/process_model.h"
#include "analyzer/profile/profile_builder.h"
#include "analyzer/profile/sample_sink.h"
#include "analyzer/unwind/stack_builder.h"
#include "formats/perf_sample.h"

namespace kiln::analyzer {

class View {
public:
    virtual ~View() = default;
    virtual std::string name() const = 0;
    // Whether the view uses samples of this event (index into the header's events).
    virtual bool wants(int event) const = 0;
    virtual void sample(const format::ParsedSample& s, int event, const SampleLabels& labels,
                        StackBuilder& stacks) = 0;
    // A sample of a wanted event that --pid/--tid/--comm/--time dropped. Views that pair
    // samples still need it (offcpu: system-wide, a switch in is another task's sample;
    // wakeup: the waker of a kept thread may be any task).
    virtual void filtered_sample(const format::ParsedSample&, int /*event*/, const SampleLabels&, StackBuilder&) {}
    // Every record that is not a sample (context switches, exits ...), in time order.
    virtual void side_record(const perf_event_header&, std::span<const uint8_t> /*record*/, int /*event*/,
                             uint64_t /*time*/) {}
    // After the last record; end_time_ns: when recording stopped, on the samples' clock.
    virtual void finish(uint64_t /*end_time_ns*/) {}
    // What the reader of the profile should know about how it was built (after finish()).
    virtual std::vector<std::string> warnings() const { return {}; }
    // Sample-based views (each kept sample stands for its stack at the sample's time: cpu, faults,
    // probes) also hand every kept sample's stack, as they add it to their profile, to timeline
    // (per-thread timelines for speedscope, per-window counts for the anomalies view) and return
    // true; the others return false.
    virtual bool feed_timeline(SampleSink* /*timeline*/) { return false; }
    virtual ProfileBuilder& builder() = 0;
    virtual int default_sample_type() const { return 0; }
    // Sampling period for pprof's period_type/period: the type and its typical value.
    virtual SampleType period_type() const = 0;
    virtual int64_t period() const = 0;
};

}  // namespace kiln::analyzer
