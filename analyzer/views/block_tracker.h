// Pairs each switch out of a thread with its next switch in: one block of off-CPU time per
// pair, with the stack and state it blocked in and, when seen, the stack that woke it.
// Pure bookkeeping (no recording, no kernel): the offcpu, hotcold and wakeup views feed it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/profile/profile_builder.h"
#include "analyzer/unwind/raw_frame.h"

namespace kiln::analyzer {

// Why a thread was off the CPU, from sched_switch's prev_state.
enum class BlockState : uint8_t {
    kSleep,      // S (interruptible sleep) or I (idle kernel thread), P (parked)
    kIo,         // D: uninterruptible, mostly waiting for I/O
    kPreempted,  // R or R+: still runnable, waiting for a CPU on the run queue
    kStopped,    // T, t: stopped by a signal or a tracer
};

// nullopt: the thread is exiting (X dead, Z zombie) and will not come back.
std::optional<BlockState> block_state(int64_t prev_state);
// The leaf frame that shows the state: "[sleep]", "[io]", "[preempted]", "[stopped]".
const char* block_state_frame(BlockState s);

struct Waker {
    std::vector<RawFrame> frames;  // leaf first
    std::string comm;              // the waking thread's process name
    uint8_t unwind = 0;
};

struct Block {
    int32_t tid = 0;
    uint64_t start = 0, end = 0;   // switch out, switch in (or end of recording)
    BlockState state = BlockState::kSleep;
    std::vector<RawFrame> frames;  // leaf first, as the thread switched out
    SampleLabels labels;
    uint8_t unwind = 0;
    std::optional<Waker> waker;    // the stack of the last wakeup while blocked (wakeup view)
    uint64_t woken = 0;            // time of the last wakeup while blocked, 0 if none was seen
    bool open = false;             // still blocked when the recording ended
    bool inferred_end = false;     // the switch in was missing: ended at the wakeup or next sign of running
    uint64_t duration() const { return end - start; }
};

class BlockTracker {
public:
    explicit BlockTracker(uint64_t min_block_ns = 0) : min_block_ns_(min_block_ns) {}

    // The thread left the CPU at time in the given state with this stack. Call ran() first:
    // a thread still out here had its switch in go missing.
    void switch_out(int32_t tid, uint64_t time, BlockState state, std::vector<RawFrame> frames,
                    const SampleLabels& labels, uint8_t unwind);
    bool is_blocked(int32_t tid) const { return open_.count(tid) != 0; }
    // Something woke tid at time (with the waker's stack when the view wants it).
    void woken(int32_t tid, uint64_t time, std::optional<Waker> waker);
    // tid was seen running at time (its own sample or switch out). If it is still out, its
    // switch in was never reported (some kernels drop sched_switch from the idle task; perf
    // loses the same): the block ends at its last wakeup if one was seen, else at time, and
    // counts in inferred_ends().
    std::optional<Block> ran(int32_t tid, uint64_t time);
    // The thread is back on a CPU: its block, unless it had none open or the block is shorter
    // than the minimum (then counted in dropped_short()).
    std::optional<Block> switch_in(int32_t tid, uint64_t time);
    // The thread exited: its open block, if any, never ends.
    void exited(int32_t tid);
    // Blocks still open at end_time, ending there and marked open (minimum applied).
    std::vector<Block> finish(uint64_t end_time);

    uint64_t dropped_short() const { return dropped_short_; }
    uint64_t inferred_ends() const { return inferred_ends_; }

private:
    std::optional<Block> close(Block b, uint64_t end, bool open);

    uint64_t min_block_ns_;
    std::unordered_map<int32_t, Block> open_;
    uint64_t dropped_short_ = 0, inferred_ends_ = 0;
};

}  // namespace kiln::analyzer
