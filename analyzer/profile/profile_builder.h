// Aggregates stacks of raw frames with their labels and values while the recording streams
// by (memory grows with distinct stacks, not samples), then resolves each distinct frame
// once into a Profile.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/profile/profile.h"
#include "analyzer/unwind/raw_frame.h"

namespace kiln::analyzer {

class AddressResolver;

struct SampleLabels {
    int32_t pid = 0;
    int32_t tid = 0;
    int32_t cpu = -1;
    std::string comm;         // process name
    std::string thread_comm;  // thread name
};

// RawFrame::dso of a frame named by the view itself ([sleep], a waker's name ...); addr is
// the index of the name in the builder that made it (ProfileBuilder::synthetic_frame).
inline constexpr uint32_t kSyntheticFrameDso = 0xfffffff0;

class ProfileBuilder {
public:
    explicit ProfileBuilder(std::vector<SampleType> types);

    // A frame that shows as name, of the given kind (Synthetic or OffCpu), for stacks added
    // to this builder. The same name and kind give the same frame.
    RawFrame synthetic_frame(const std::string& name, FrameKind kind);

    // frames: leaf first. values: one per sample type.
    // unwind: how the stack was unwound (UnwindMark), kept as the pprof label "unwind".
    void add(const std::vector<RawFrame>& frames, const SampleLabels& labels, std::span<const int64_t> values,
             uint8_t unwind = 0);
    size_t distinct_stacks() const { return stacks_.size(); }
    const std::vector<SampleType>& types() const { return types_; }

    // Moves the aggregated stacks into profile.samples, resolving frames through resolver
    // (which adds mappings, functions and locations to the same profile).
    void finish(AddressResolver& resolver, Profile& profile);

private:
    struct Key {
        std::vector<RawFrame> frames;
        int32_t pid, tid, cpu;
        uint32_t comm, thread_comm;  // indexes into names_
        uint8_t unwind;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const;
    };
    uint32_t name_id(const std::string& s);
    uint32_t synthetic_location(uint64_t index, Profile& profile);

    std::vector<SampleType> types_;
    // Each distinct stack's values live in one flat array (types_.size() per stack), not in a
    // vector per stack: one less pointer to chase per sample.
    std::unordered_map<Key, uint32_t, KeyHash> stacks_;
    std::vector<int64_t> values_;
    std::unordered_map<std::string, uint32_t> name_ids_;
    std::vector<std::string> names_;
    Key scratch_;
    std::vector<std::pair<std::string, FrameKind>> synthetic_;  // by RawFrame::addr
    std::unordered_map<uint64_t, uint32_t> synthetic_locations_;  // addr → location, in finish()
};

}  // namespace kiln::analyzer
