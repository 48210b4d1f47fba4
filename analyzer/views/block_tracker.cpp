#include "analyzer/views/block_tracker.h"

#include <algorithm>

namespace kiln::analyzer {

namespace {
// prev_state bits as sched_switch reports them (TASK_REPORT): the low byte is the state,
// 0x100 and above (TASK_REPORT_MAX) only mark a preemption ("R+"). The other bits: 0x01 S
// (interruptible), 0x40 P (parked), 0x80 I (idle kernel thread): all wait for an event.
constexpr int64_t kUninterruptible = 0x02, kStopped = 0x04, kTraced = 0x08, kDead = 0x10, kZombie = 0x20,
                  kStateMask = 0xff;
}  // namespace

std::optional<BlockState> block_state(int64_t prev_state) {
    const int64_t s = prev_state & kStateMask;
    if (s == 0) return BlockState::kPreempted;
    if (s & (kDead | kZombie)) return std::nullopt;
    if (s & kUninterruptible) return BlockState::kIo;
    if (s & (kStopped | kTraced)) return BlockState::kStopped;
    return BlockState::kSleep;
}

const char* block_state_frame(BlockState s) {
    switch (s) {
        case BlockState::kSleep: return "[sleep]";
        case BlockState::kIo: return "[io]";
        case BlockState::kPreempted: return "[preempted]";
        case BlockState::kStopped: return "[stopped]";
    }
    return "[sleep]";
}

void BlockTracker::switch_out(int32_t tid, uint64_t time, BlockState state, std::vector<RawFrame> frames,
                              const SampleLabels& labels, uint8_t unwind) {
    Block b;
    b.tid = tid;
    b.start = time;
    b.state = state;
    b.frames = std::move(frames);
    b.labels = labels;
    b.unwind = unwind;
    open_[tid] = std::move(b);
}

void BlockTracker::woken(int32_t tid, uint64_t time, std::optional<Waker> waker) {
    auto it = open_.find(tid);
    if (it == open_.end() || time < it->second.start) return;
    it->second.woken = time;
    if (waker) it->second.waker = std::move(waker);
}

std::optional<Block> BlockTracker::ran(int32_t tid, uint64_t time) {
    auto it = open_.find(tid);
    if (it == open_.end() || time < it->second.start) return std::nullopt;
    Block b = std::move(it->second);
    open_.erase(it);
    ++inferred_ends_;
    b.inferred_end = true;
    const uint64_t end = b.woken ? std::min(b.woken, time) : time;
    return close(std::move(b), end, false);
}

std::optional<Block> BlockTracker::close(Block b, uint64_t end, bool open) {
    b.end = std::max(end, b.start);
    b.open = open;
    if (b.duration() < min_block_ns_ || b.duration() == 0) {
        ++dropped_short_;
        return std::nullopt;
    }
    return b;
}

std::optional<Block> BlockTracker::switch_in(int32_t tid, uint64_t time) {
    auto it = open_.find(tid);
    if (it == open_.end() || time < it->second.start) return std::nullopt;
    Block b = std::move(it->second);
    open_.erase(it);
    return close(std::move(b), time, false);
}

void BlockTracker::exited(int32_t tid) { open_.erase(tid); }

std::vector<Block> BlockTracker::finish(uint64_t end_time) {
    std::vector<Block> out;
    for (auto& [tid, b] : open_)
        if (auto closed = close(std::move(b), end_time, true)) out.push_back(std::move(*closed));
    open_.clear();
    std::sort(out.begin(), out.end(), [](const Block& a, const Block& b) { return a.tid < b.tid; });
    return out;
}

}  // namespace kiln::analyzer
