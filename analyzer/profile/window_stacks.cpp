#include "analyzer/profile/window_stacks.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace kiln::analyzer {

uint32_t WindowedStackCounts::raw_id(const RawFrame& f) {
    auto [it, added] = raw_ids_.try_emplace(f, static_cast<uint32_t>(raw_frames_.size()));
    if (added) raw_frames_.push_back(f);
    return it->second;
}

void WindowedStackCounts::flush() {
    if (current_.empty()) return;
    StackBucket b;
    b.index = current_bucket_;
    b.counts.assign(current_.begin(), current_.end());
    std::sort(b.counts.begin(), b.counts.end());
    buckets_.push_back(std::move(b));
    current_.clear();
}

void WindowedStackCounts::add(uint64_t time_ns, uint64_t, const SampleLabels& labels, std::span<const RawFrame> frames) {
    const uint64_t bucket = time_ns > start_ns_ ? (time_ns - start_ns_) / bucket_ns_ : 0;
    if (bucket != current_bucket_) {
        flush();
        current_bucket_ = bucket;
    }
    auto [comm, comm_added] = comm_ids_.try_emplace(labels.comm, static_cast<uint32_t>(comms_.size()));
    if (comm_added) comms_.push_back(labels.comm);
    scratch_.assign(1, comm->second);
    for (size_t i = frames.size(); i-- > 0;) scratch_.push_back(raw_id(frames[i]));
    auto it = stack_ids_.find(std::span<const uint32_t>(scratch_));
    if (it == stack_ids_.end()) {
        const auto id = static_cast<uint32_t>(offsets_.size() - 1);
        pool_.insert(pool_.end(), scratch_.begin(), scratch_.end());
        offsets_.push_back(pool_.size());
        it = stack_ids_.insert(id).first;
    }
    ++current_[*it];
    ++samples_;
}

WindowedStacks WindowedStackCounts::finish(const FrameNamer& namer) {
    flush();
    WindowedStacks out;
    out.start_ns = start_ns_;
    out.bucket_ns = bucket_ns_;
    out.samples = samples_;
    std::vector<std::vector<std::string>> raw_names(raw_frames_.size());
    std::vector<bool> named(raw_frames_.size(), false);
    std::unordered_map<std::string, uint32_t> key_ids;
    const size_t stacks = offsets_.size() - 1;
    std::vector<uint32_t> key_of_stack(stacks);
    for (size_t s = 0; s < stacks; ++s) {
        const auto ids = stack(static_cast<uint32_t>(s));
        std::string key = comms_[ids[0]];
        for (size_t i = 1; i < ids.size(); ++i) {
            const uint32_t f = ids[i];
            if (!named[f]) {
                for (auto& frame : namer(raw_frames_[f])) raw_names[f].push_back(std::move(frame.name));
                named[f] = true;
            }
            for (const auto& n : raw_names[f]) (key += ';') += n;
        }
        auto [it, added] = key_ids.try_emplace(key, static_cast<uint32_t>(out.keys.size()));
        if (added) out.keys.push_back(std::move(key));
        key_of_stack[s] = it->second;
    }
    // Buckets by index (a sample out of time order may have filled one twice), stacks by name.
    std::map<uint64_t, std::map<uint32_t, uint32_t>> merged;
    for (const auto& b : buckets_)
        for (const auto& [stack, n] : b.counts) merged[b.index][key_of_stack[stack]] += n;
    for (const auto& [index, counts] : merged) out.buckets.push_back({index, {counts.begin(), counts.end()}});
    clear();
    return out;
}

void WindowedStackCounts::clear() {
    raw_ids_ = {};
    raw_frames_ = {};
    comm_ids_ = {};
    comms_ = {};
    stack_ids_.clear();
    pool_ = {};
    offsets_ = {0};
    buckets_ = {};
    current_ = {};
    current_bucket_ = 0;
    samples_ = 0;
    scratch_ = {};
}

size_t WindowedStackCounts::StackHash::operator()(std::span<const uint32_t> ids) const {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the ids
    for (uint32_t v : ids) h = (h ^ v) * 1099511628211ull;
    return static_cast<size_t>(h);
}

}  // namespace kiln::analyzer
