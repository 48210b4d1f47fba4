// The probes view: how often each stack hit a user-space probe (uprobe:/uretprobe: events).
// Sample types: samples/count, then one EVENT/count per probe event (hits: the sample's period).
#pragma once

#include <memory>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/views/view.h"
#include "formats/recording_header.h"
#include "formats/result.h"

namespace kiln::analyzer {

// Events of the recording that are user-space probes (named uprobe:... or uretprobe:...).
std::vector<int> probe_events(const format::RecordingHeader& header);

class ProbeView final : public View {
public:
    static Result<std::unique_ptr<ProbeView>> create(const format::RecordingHeader& header, const EventTable& events);

    std::string name() const override { return "probes"; }
    bool wants(int event) const override;
    void sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) override;
    ProfileBuilder& builder() override { return builder_; }
    int default_sample_type() const override { return 1; }
    SampleType period_type() const override { return builder_.types()[1]; }
    int64_t period() const override { return period_; }

private:
    ProbeView(std::vector<SampleType> types, std::vector<int> column_of_event, std::vector<uint64_t> regs_masks,
              std::vector<bool> dwarf, int64_t period);

    ProfileBuilder builder_;
    std::vector<int> column_of_event_;  // per header event: value column, or -1 when not used
    std::vector<uint64_t> regs_masks_;  // per header event: sample_regs_user
    std::vector<bool> dwarf_;           // per header event: recorded with -g dwarf
    int64_t period_;
    std::vector<RawFrame> frames_;
    std::vector<int64_t> values_;
};

}  // namespace kiln::analyzer
