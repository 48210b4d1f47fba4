#include "analyzer/profile/profile_builder.h"

#include "analyzer/symbolize/address_resolver.h"
#include "analyzer/unwind/unwind_mark.h"

namespace kiln::analyzer {

ProfileBuilder::ProfileBuilder(std::vector<SampleType> types) : types_(std::move(types)) {}

size_t ProfileBuilder::KeyHash::operator()(const Key& k) const {
    uint64_t h = 0xcbf29ce484222325ull;
    auto mix = [&h](uint64_t v) { h = (h ^ v) * 0x100000001b3ull; };
    for (const auto& f : k.frames) {
        mix(f.addr);
        mix(f.dso);
    }
    mix(static_cast<uint32_t>(k.pid));
    mix(static_cast<uint32_t>(k.tid));
    mix(static_cast<uint32_t>(k.cpu));
    mix(k.comm);
    mix(k.thread_comm);
    mix(k.unwind);
    return static_cast<size_t>(h);
}

uint32_t ProfileBuilder::name_id(const std::string& s) {
    // Looked up first: emplace builds its node (a copy of s) before it finds the name is there,
    // which was two allocations per sample.
    if (auto it = name_ids_.find(s); it != name_ids_.end()) return it->second;
    name_ids_.emplace(s, static_cast<uint32_t>(names_.size()));
    names_.push_back(s);
    return static_cast<uint32_t>(names_.size() - 1);
}

RawFrame ProfileBuilder::synthetic_frame(const std::string& name, FrameKind kind) {
    for (size_t i = 0; i < synthetic_.size(); ++i)
        if (synthetic_[i].first == name && synthetic_[i].second == kind) return {kSyntheticFrameDso, i};
    synthetic_.emplace_back(name, kind);
    return {kSyntheticFrameDso, synthetic_.size() - 1};
}

uint32_t ProfileBuilder::synthetic_location(uint64_t index, Profile& profile) {
    auto it = synthetic_locations_.find(index);
    if (it != synthetic_locations_.end()) return it->second;
    const bool known = index < synthetic_.size();
    const std::string name = known ? synthetic_[index].first : "[unknown]";
    profile.functions.push_back({name, name, "", 0});
    Location loc;
    loc.kind = known ? synthetic_[index].second : FrameKind::Unknown;
    loc.lines.push_back({static_cast<uint32_t>(profile.functions.size() - 1), 0});
    profile.locations.push_back(std::move(loc));
    const auto id = static_cast<uint32_t>(profile.locations.size() - 1);
    synthetic_locations_.emplace(index, id);
    return id;
}

void ProfileBuilder::add(const std::vector<RawFrame>& frames, const SampleLabels& labels,
                         std::span<const int64_t> values, uint8_t unwind) {
    scratch_.frames = frames;
    scratch_.unwind = unwind;
    scratch_.pid = labels.pid;
    scratch_.tid = labels.tid;
    scratch_.cpu = labels.cpu;
    scratch_.comm = name_id(labels.comm);
    scratch_.thread_comm = name_id(labels.thread_comm);
    auto it = stacks_.find(scratch_);
    if (it == stacks_.end()) {
        it = stacks_.emplace(scratch_, static_cast<uint32_t>(stacks_.size())).first;
        values_.resize(values_.size() + types_.size(), 0);
    }
    int64_t* sums = values_.data() + size_t{it->second} * types_.size();
    for (size_t i = 0; i < values.size() && i < types_.size(); ++i) sums[i] += values[i];
}

void ProfileBuilder::finish(AddressResolver& resolver, Profile& profile) {
    profile.sample_types = types_;
    profile.samples.reserve(profile.samples.size() + stacks_.size());
    // Each stack's entry is erased once its sample is made: the map and the samples together
    // were the analyzer's peak for long recordings.
    for (auto entry = stacks_.begin(); entry != stacks_.end(); entry = stacks_.erase(entry)) {
        const Key& key = entry->first;
        const uint32_t index = entry->second;
        Sample s;
        s.locations.reserve(key.frames.size());
        for (const auto& f : key.frames)
            s.locations.push_back(f.dso == kSyntheticFrameDso ? synthetic_location(f.addr, profile) : resolver.location(f));
        const auto* sums = values_.data() + size_t{index} * types_.size();
        s.values.assign(sums, sums + types_.size());
        s.labels.push_back({"pid", "", key.pid});
        s.labels.push_back({"tid", "", key.tid});
        if (key.cpu >= 0) s.labels.push_back({"cpu", "", key.cpu});
        if (!names_[key.comm].empty()) s.labels.push_back({"comm", names_[key.comm], 0});
        if (!names_[key.thread_comm].empty()) s.labels.push_back({"thread_comm", names_[key.thread_comm], 0});
        if (const char* mark = unwind_mark_name(key.unwind)) s.labels.push_back({"unwind", mark, 0});
        profile.samples.push_back(std::move(s));
    }
    stacks_.clear();
    values_.clear();
}

}  // namespace kiln::analyzer
