// A view turns the samples of a recording into a profile with its own sample types
// (cpu: samples + nanoseconds or event counts; later offcpu, memory ...).
#pragma once

#include <string>
#include <vector>

#include "analyzer/model/process_model.h"
#include "analyzer/profile/profile_builder.h"
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
    virtual ProfileBuilder& builder() = 0;
    virtual int default_sample_type() const { return 0; }
    // Sampling period for pprof's period_type/period: the type and its typical value.
    virtual SampleType period_type() const = 0;
    virtual int64_t period() const = 0;
};

}  // namespace kiln::analyzer
