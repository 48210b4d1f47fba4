// The Perfetto export's stacks from raw frames, after the stream (the symbolization stage of
// collect_perfetto): each distinct raw frame is resolved once through an AddressResolver into
// a Location, and becomes one PerfettoFrame per line of it (inlined functions are frames of
// their own), named as folded output names frames (frame_display_name: _[k] kernel, _[i]
// inlined, _[j] JIT), with its binary, build-id and file offset. Stacks turn root first.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "analyzer/output/perfetto_events.h"
#include "analyzer/profile/profile.h"
#include "analyzer/symbolize/address_resolver.h"
#include "analyzer/unwind/raw_frame.h"

namespace kiln::analyzer {

class PerfettoStackNamer {
public:
    // resolver adds its locations to profile; frames go to out.frames.
    PerfettoStackNamer(AddressResolver& resolver, const Profile& profile, PerfettoExport& out)
        : resolver_(resolver), profile_(profile), out_(out) {}

    // leaf_first: as StackBuilder made it. Returns indexes into out.frames, root first.
    std::vector<uint32_t> stack(const std::vector<RawFrame>& leaf_first);

private:
    const std::vector<uint32_t>& frames_of(const RawFrame& raw);
    uint32_t add(PerfettoFrame f);

    AddressResolver& resolver_;
    const Profile& profile_;
    PerfettoExport& out_;
    std::unordered_map<RawFrame, std::vector<uint32_t>, RawFrameHash> cache_;  // root-first frames of each
};

}  // namespace kiln::analyzer
