// The alloc, allocs and inuse views: allocator calls (uprobes and uretprobes on malloc,
// calloc, realloc, free, posix_memalign, aligned_alloc, memalign) per caller's stack.
// One profile with pprof's heap sample types, in this order:
//   alloc_objects/count, alloc_space/bytes  every allocation made while recording;
//   inuse_objects/count, inuse_space/bytes  those not freed by the end (leaks), under the
//                                           stack that allocated them.
// The three views differ in the type shown by default: allocs → alloc_objects, alloc →
// alloc_space, inuse → inuse_space (`go tool pprof -sample_index=...` picks another).
// The stack is the one at the call's entry (its caller is right in fp and dwarf modes); the
// size comes from the entry's registers, the address from the return's.
// Allocations sampled by kiln's sampler (`kiln record --alloc-sample`) come with their size and
// the sampler's mean M: a block of n bytes was sampled with probability p = 1 - exp(-n/M), and
// stands for n/p bytes and 1/p blocks (tcmalloc's heap profiles weigh samples the same way), so
// every figure is an unbiased estimate.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/views/alloc_calls.h"
#include "analyzer/views/alloc_tracker.h"
#include "analyzer/views/view.h"
#include "formats/recording_header.h"

namespace kiln::analyzer {

class AllocView final : public View {
public:
    enum class Kind { kAllocs, kAlloc, kInuse };
    static Result<std::unique_ptr<AllocView>> create(const format::RecordingHeader& header, const EventTable& events,
                                                     Kind kind);

    std::string name() const override;
    bool wants(int event) const override { return calls_.probe(event) != nullptr; }
    void sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) override;
    void filtered_sample(const format::ParsedSample& s, int event, const SampleLabels& labels,
                         StackBuilder& stacks) override;
    void finish(uint64_t end_time_ns) override;
    std::vector<std::string> warnings() const override;
    ProfileBuilder& builder() override { return builder_; }
    int default_sample_type() const override;
    SampleType period_type() const override { return {"space", "bytes"}; }
    int64_t period() const override { return 1; }

private:
    AllocView(AllocCalls calls, Kind kind);
    void handle(const format::ParsedSample& s, int event, const SampleLabels* labels, StackBuilder& stacks);
    void entry(const format::ParsedSample& s, const AllocCalls::Probe& p, const SampleLabels* labels,
               StackBuilder& stacks);
    void leave(const format::ParsedSample& s, const AllocCalls::Probe& p);
    void allocated(int32_t pid, uint64_t addr, uint64_t size, uint32_t stack, uint32_t objects, uint64_t time);
    void sampled(const format::ParsedSample& s, const AllocArgs& args, const SampleLabels* labels, StackBuilder& stacks,
                 const AllocCalls::Probe& p);
    void batch(const format::ParsedSample& s, const SampleLabels* labels, StackBuilder& stacks);
    // A sampled block of size bytes at ptr, allocated at time under stack: weighed and counted.
    void weighed(int32_t pid, uint64_t ptr, uint64_t size, uint64_t mean, uint64_t time, uint32_t stack);
    uint32_t stack_id(const SampleLabels& labels, uint8_t unwind);

    struct StackKey {
        std::vector<RawFrame> frames;
        int32_t tid;
        uint8_t unwind;
        bool operator==(const StackKey&) const = default;
    };
    struct StackKeyHash {
        size_t operator()(const StackKey& k) const;
    };
    struct StackEntry {
        std::vector<RawFrame> frames;
        SampleLabels labels;
        uint8_t unwind;
    };

    AllocCalls calls_;
    Kind kind_;
    ProfileBuilder builder_;
    AllocTracker tracker_;
    std::vector<StackEntry> stacks_;
    std::unordered_map<StackKey, uint32_t, StackKeyHash> stack_ids_;
    StackKey scratch_;
    uint64_t unreadable_args_ = 0, unread_memalign_ = 0;
    uint64_t sampled_blocks_ = 0, sample_mean_ = 0;  // --alloc-sample's blocks, and its mean
    uint64_t batches_ = 0, bad_batches_ = 0;
    std::string bad_batch_;  // the first bad batch's error
};

}  // namespace kiln::analyzer
