// Interning of the samples' stacks for the Perfetto writer: each PerfettoExport stack and
// frame, function name, binary path component, build-id and mapping gets an iid (from 1; 0
// means unset) the first time a packet uses it, and its entry goes into that packet's
// InternedData (trace/interned_data/interned_data.proto); later packets refer to the iid.
// Every frame has a mapping: its binary, or "[kiln]" for kiln's own frames ([truncated] ...),
// since trace processors older than the published comment that allows mapping 0 drop frames
// without one.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/output/perfetto_events.h"
#include "perfetto_trace.pb.h"

namespace kiln::analyzer {

class PerfettoInterner {
public:
    explicit PerfettoInterner(const PerfettoExport& e);

    // The iid of e.stacks[index], adding what is new to out; 0 for an index out of range.
    uint64_t stack(uint32_t index, perfetto::protos::InternedData& out);

private:
    using Table = std::unordered_map<std::string, uint64_t>;
    uint64_t frame(uint32_t index, perfetto::protos::InternedData& out);
    uint64_t mapping(const PerfettoFrame& f, perfetto::protos::InternedData& out);

    const PerfettoExport& e_;
    std::vector<uint64_t> frame_iid_, stack_iid_;
    uint64_t frames_ = 0, stacks_ = 0;
    Table function_names_, paths_, build_ids_, mappings_;
};

}  // namespace kiln::analyzer
