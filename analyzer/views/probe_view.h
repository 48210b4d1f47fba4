// The probes view: how often each stack hit a user-space probe (uprobe:/uretprobe: events).
// Sample types: samples/count, then one EVENT/count per probe event (hits: the sample's period).
#pragma once

#include <memory>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/views/event_columns_view.h"
#include "formats/recording_header.h"
#include "formats/result.h"

namespace kiln::analyzer {

// Events of the recording that are user-space probes (named uprobe:... or uretprobe:...).
std::vector<int> probe_events(const format::RecordingHeader& header);

class ProbeView final : public EventColumnsView {
public:
    static Result<std::unique_ptr<ProbeView>> create(const format::RecordingHeader& header, const EventTable& events);

    std::string name() const override { return "probes"; }

private:
    using EventColumnsView::EventColumnsView;
};

}  // namespace kiln::analyzer
