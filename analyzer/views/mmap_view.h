// The mmap view: bytes of address space each stack mapped and unmapped, from the syscalls
// tracepoints `kiln record --mem=mmap` takes (sys_enter_/sys_exit_ of mmap, munmap, mremap,
// brk), an enter paired with its exit on the same thread: the enter has the lengths and the
// stack, the exit the result. Sample types: mapped/bytes (the default: mmap lengths, mremap
// growth, brk growth = new break - old break), unmapped/bytes (munmap lengths, shrinking),
// calls/count (successful calls). Fields are read by name through the stored formats.
#pragma once

#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/views/view.h"
#include "formats/recording_header.h"
#include "formats/tracepoint_format.h"

namespace kiln::analyzer {

class MmapView final : public View {
public:
    // Whether the recording has the syscalls tracepoints this view reads.
    static bool applies(const format::RecordingHeader& header);
    static Result<std::unique_ptr<MmapView>> create(const format::RecordingHeader& header, const EventTable& events);

    std::string name() const override { return "mmap"; }
    bool wants(int event) const override;
    void sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) override;
    void filtered_sample(const format::ParsedSample& s, int event, const SampleLabels& labels,
                         StackBuilder& stacks) override;
    std::vector<std::string> warnings() const override;
    ProfileBuilder& builder() override { return builder_; }
    SampleType period_type() const override { return {"space", "bytes"}; }
    int64_t period() const override { return 1; }

    enum class Call : uint8_t { kMmap, kMunmap, kMremap, kBrk };

private:
    struct Probe {
        Call call;
        bool exit;
        format::TracepointField a, b;  // enter: len (mremap: old_len, new_len; brk: brk); exit: ret
        uint64_t regs_mask = 0;
        StackMode mode = StackMode::kFramePointer;
    };
    struct Pending {
        Call call;
        uint64_t a = 0, b = 0;
        bool shown = false;
        std::vector<RawFrame> frames;
        SampleLabels labels;
        uint8_t unwind = 0;
    };
    MmapView() : builder_({{"mapped", "bytes"}, {"unmapped", "bytes"}, {"calls", "count"}}) {}
    void handle(const format::ParsedSample& s, int event, const SampleLabels* labels, StackBuilder& stacks);
    void exited(const format::ParsedSample& s, const Probe& p, int64_t ret);

    ProfileBuilder builder_;
    std::vector<std::optional<Probe>> probes_;       // per header event
    std::unordered_map<int32_t, Pending> pending_;   // per tid: the syscall entered
    std::unordered_map<int32_t, uint64_t> brk_;      // per pid: the last break seen
    uint64_t unpaired_exits_ = 0, unknown_brk_ = 0;
};

}  // namespace kiln::analyzer
