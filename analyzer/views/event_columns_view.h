// The shape the cpu and probes views share: a samples/count column, then one value column per
// chosen event holding each sample's period, stacks unwound as each event was recorded (fp or
// dwarf). The views differ only in which events they choose and how they name the columns.
#pragma once

#include <string>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/views/view.h"
#include "formats/recording_header.h"

namespace kiln::analyzer {

class EventColumnsView : public View {
public:
    bool wants(int event) const override;
    void sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) override;
    bool feed_timeline(SampleSink* timeline) override {
        timeline_ = timeline;
        return true;
    }
    ProfileBuilder& builder() override { return builder_; }
    int default_sample_type() const override { return 1; }
    SampleType period_type() const override { return builder_.types()[1]; }
    int64_t period() const override { return period_; }

protected:
    struct Column {
        int event;  // index into the header's events
        SampleType type;
    };
    // columns: at least one, in the order the sample types follow samples/count.
    EventColumnsView(const format::RecordingHeader& header, const EventTable& events,
                     const std::vector<Column>& columns, int64_t period);

    // "cpu-clock, sched:sched_switch": the recording's events, for "this view needs ..." errors.
    static std::string event_names(const format::RecordingHeader& header);

private:
    static std::vector<SampleType> types_of(const std::vector<Column>& columns);

    ProfileBuilder builder_;
    std::vector<int> column_of_event_;  // per header event: value column, or -1 when not used
    std::vector<uint64_t> regs_masks_;  // per header event: sample_regs_user
    std::vector<StackMode> modes_;      // per header event: how its user stacks were recorded
    int64_t period_;
    // Per header event, the time one sample stands for on a timeline: the period of clock
    // events (nanoseconds), else the typical interval between samples (from the frequency).
    std::vector<uint8_t> is_clock_;
    std::vector<uint64_t> intervals_;
    SampleSink* timeline_ = nullptr;
    std::vector<RawFrame> frames_;
    std::vector<int64_t> values_;
};

}  // namespace kiln::analyzer
