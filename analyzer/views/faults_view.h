// The faults view: page faults per stack, from the page-faults software event that
// `kiln record --mem=faults` takes at every fault (or one in N with -c N: each sample then
// counts N). Sample types: samples/count, faults/count (the default).
#pragma once

#include <memory>

#include "analyzer/decode/record_stream.h"
#include "analyzer/views/event_columns_view.h"
#include "formats/recording_header.h"
#include "formats/result.h"

namespace kiln::analyzer {

// The recording's page-faults event (index into the header's events), -1 when it has none.
int page_fault_event(const format::RecordingHeader& header);

class FaultsView final : public EventColumnsView {
public:
    static Result<std::unique_ptr<FaultsView>> create(const format::RecordingHeader& header, const EventTable& events);
    std::string name() const override { return "faults"; }

private:
    using EventColumnsView::EventColumnsView;
};

}  // namespace kiln::analyzer
