#include "analyzer/output/perfetto_stacks.h"

#include "analyzer/profile/flame_tree.h"

namespace kiln::analyzer {

std::vector<uint32_t> PerfettoStackNamer::stack(const std::vector<RawFrame>& leaf_first) {
    std::vector<uint32_t> root_first;
    for (auto f = leaf_first.rbegin(); f != leaf_first.rend(); ++f) {
        const std::vector<uint32_t>& frames = frames_of(*f);
        root_first.insert(root_first.end(), frames.begin(), frames.end());
    }
    return root_first;
}

const std::vector<uint32_t>& PerfettoStackNamer::frames_of(const RawFrame& raw) {
    auto it = cache_.find(raw);
    if (it != cache_.end()) return it->second;
    const uint32_t li = resolver_.location(raw);
    std::vector<uint32_t> frames;
    const Location& loc = profile_.locations[li];
    const Mapping* m =
        loc.mapping > 0 && loc.mapping <= profile_.mappings.size() ? &profile_.mappings[loc.mapping - 1] : nullptr;
    PerfettoFrame base;
    if (m) {
        base.binary = m->file;
        base.build_id = m->build_id;
        base.rel_pc = loc.address >= m->start ? loc.address - m->start + m->file_offset : loc.address;
    }
    if (loc.lines.empty()) {
        base.function = "[unknown]";
        frames.push_back(add(base));
    }
    // pprof order is innermost first: the outermost (physical) function is the caller.
    for (size_t i = loc.lines.size(); i-- > 0;) {
        PerfettoFrame f = base;
        f.function = frame_display_name(profile_, loc, i);
        frames.push_back(add(std::move(f)));
    }
    return cache_.emplace(raw, std::move(frames)).first->second;
}

uint32_t PerfettoStackNamer::add(PerfettoFrame f) {
    out_.frames.push_back(std::move(f));
    return static_cast<uint32_t>(out_.frames.size() - 1);
}

}  // namespace kiln::analyzer
