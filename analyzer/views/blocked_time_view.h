// The shape the offcpu, hotcold and wakeup views share: sched_switch samples paired into
// blocks of off-CPU time per thread and stack (BlockTracker), each block handed to the view
// once it ends. A sample of sched_switch is the switch out of the task that leaves the CPU
// (its stack is where it blocked); the switch in is the next_pid of a later sched_switch
// (system-wide) or a PERF_RECORD_SWITCH record (per-task recordings: kiln asks for them).
// Stacks are unwound as the event was recorded (fp or dwarf), like CPU samples.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/views/block_tracker.h"
#include "analyzer/views/sched_tracepoints.h"
#include "analyzer/views/view.h"
#include "formats/recording_header.h"

namespace kiln::analyzer {

class BlockedTimeView : public View {
public:
    bool wants(int event) const override;
    void sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) override;
    void filtered_sample(const format::ParsedSample& s, int event, const SampleLabels& labels,
                         StackBuilder& stacks) override;
    void side_record(const perf_event_header& h, std::span<const uint8_t> record, int event, uint64_t time) override;
    void finish(uint64_t end_time_ns) override;
    std::vector<std::string> warnings() const override;
    ProfileBuilder& builder() override { return builder_; }

protected:
    // with_wakers: also unwind the stacks of sched_waking samples and keep them with blocks
    // (wakeup times are kept either way).
    BlockedTimeView(const SchedTracepoints& sched, const EventTable& events, std::vector<SampleType> types,
                    uint64_t min_block_ns, bool with_wakers);

    // A block of off-CPU time has ended (or was still open at the end of the recording).
    virtual void add_block(const Block& b) = 0;
    // The block's stack, leaf first, under its state frame ([sleep] ...), which sits under
    // "[open at end]" when the block had not ended when recording stopped.
    void block_frames(const Block& b, std::vector<RawFrame>& out);
    // tid was seen running at time: ends a block whose switch in went missing.
    void running(int32_t tid, uint64_t time);
    // How event e's user stacks are unwound.
    void unwind(const format::ParsedSample& s, int e, StackBuilder& stacks, std::vector<RawFrame>& out) const;

    ProfileBuilder builder_;
    SchedTracepoints sched_;
    std::vector<uint64_t> regs_masks_;  // per header event: sample_regs_user
    std::vector<StackMode> modes_;      // per header event: how its user stacks were recorded
    std::vector<RawFrame> frames_;

private:
    void switch_in(int32_t tid, uint64_t time);
    void wakeup(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks);

    BlockTracker tracker_;
    bool with_wakers_;
    std::vector<format::SampleLayout> layouts_;  // per header event, for PERF_RECORD_SWITCH ids
};

}  // namespace kiln::analyzer
