// Pairing of switches out and in into blocks of off-CPU time, without a kernel: state
// mapping, pairing, wakeups, missing switch-ins, exits, open blocks and the minimum length.
#include "analyzer/views/block_tracker.h"

#include <gtest/gtest.h>

using namespace kiln::analyzer;

namespace {

constexpr uint64_t kMs = 1'000'000;

std::vector<RawFrame> stack(uint64_t leaf) { return {{1, leaf}, {1, 0x100}}; }

SampleLabels labels(int32_t tid) {
    SampleLabels l;
    l.pid = 100;
    l.tid = tid;
    l.comm = "app";
    return l;
}

}  // namespace

TEST(BlockState, FromPrevState) {
    EXPECT_EQ(block_state(0x0), BlockState::kPreempted);    // R
    EXPECT_EQ(block_state(0x100), BlockState::kPreempted);  // R+ (TASK_REPORT_MAX: preempted)
    EXPECT_EQ(block_state(0x1), BlockState::kSleep);        // S
    EXPECT_EQ(block_state(0x80), BlockState::kSleep);       // I
    EXPECT_EQ(block_state(0x2), BlockState::kIo);           // D
    EXPECT_EQ(block_state(0x4), BlockState::kStopped);      // T
    EXPECT_EQ(block_state(0x8), BlockState::kStopped);      // t
    EXPECT_EQ(block_state(0x10), std::nullopt);             // X: exiting
    EXPECT_EQ(block_state(0x20), std::nullopt);             // Z
    EXPECT_STREQ(block_state_frame(BlockState::kSleep), "[sleep]");
    EXPECT_STREQ(block_state_frame(BlockState::kIo), "[io]");
    EXPECT_STREQ(block_state_frame(BlockState::kPreempted), "[preempted]");
}

TEST(BlockTracker, PairsEachSwitchOutWithTheNextSwitchInOfThatThread) {
    BlockTracker t;
    t.switch_out(7, 10 * kMs, BlockState::kSleep, stack(0xa), labels(7), 0);
    t.switch_out(8, 11 * kMs, BlockState::kIo, stack(0xb), labels(8), 0);
    EXPECT_EQ(t.switch_in(9, 12 * kMs), std::nullopt) << "never switched out";
    auto b8 = t.switch_in(8, 15 * kMs);
    ASSERT_TRUE(b8);
    EXPECT_EQ(b8->tid, 8);
    EXPECT_EQ(b8->duration(), 4 * kMs);
    EXPECT_EQ(b8->state, BlockState::kIo);
    EXPECT_EQ(b8->frames, stack(0xb));
    EXPECT_FALSE(b8->open);
    auto b7 = t.switch_in(7, 410 * kMs);
    ASSERT_TRUE(b7);
    EXPECT_EQ(b7->duration(), 400 * kMs);
    EXPECT_EQ(b7->labels.tid, 7);
    EXPECT_EQ(t.switch_in(7, 420 * kMs), std::nullopt) << "a second switch in has no block";
    EXPECT_TRUE(t.finish(1000 * kMs).empty());
    EXPECT_EQ(t.inferred_ends(), 0u);
}

TEST(BlockTracker, OpenBlocksCountToTheEndAndAreMarked) {
    BlockTracker t;
    t.switch_out(7, 100 * kMs, BlockState::kSleep, stack(0xa), labels(7), 0);
    t.switch_out(8, 200 * kMs, BlockState::kPreempted, stack(0xb), labels(8), 0);
    ASSERT_TRUE(t.switch_in(8, 201 * kMs));
    auto open = t.finish(700 * kMs);
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].tid, 7);
    EXPECT_EQ(open[0].duration(), 600 * kMs);
    EXPECT_TRUE(open[0].open);
    EXPECT_TRUE(t.finish(800 * kMs).empty()) << "finish empties the tracker";
}

TEST(BlockTracker, MinBlockDropsShorterBlocksOpenOrNot) {
    BlockTracker t(5 * kMs);
    t.switch_out(1, 0, BlockState::kSleep, stack(1), labels(1), 0);
    EXPECT_EQ(t.switch_in(1, 4 * kMs), std::nullopt);
    t.switch_out(1, 10 * kMs, BlockState::kSleep, stack(1), labels(1), 0);
    EXPECT_TRUE(t.switch_in(1, 15 * kMs)) << "exactly the minimum stays";
    t.switch_out(2, 98 * kMs, BlockState::kSleep, stack(2), labels(2), 0);
    t.switch_out(3, 90 * kMs, BlockState::kSleep, stack(3), labels(3), 0);
    auto open = t.finish(100 * kMs);
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].tid, 3);
    EXPECT_EQ(t.dropped_short(), 2u);
}

TEST(BlockTracker, WakeupsAreKeptWithTheBlockTheyEnd) {
    BlockTracker t;
    t.woken(7, 5 * kMs, Waker{stack(0xc), "early", 0});  // not blocked yet: ignored
    t.switch_out(7, 10 * kMs, BlockState::kSleep, stack(0xa), labels(7), 0);
    t.woken(7, 300 * kMs, Waker{stack(0xd), "first", 0});
    t.woken(7, 600 * kMs, Waker{stack(0xe), "writer", 0});
    auto b = t.switch_in(7, 601 * kMs);
    ASSERT_TRUE(b && b->waker);
    EXPECT_EQ(b->waker->comm, "writer");
    EXPECT_EQ(b->waker->frames, stack(0xe));
    EXPECT_EQ(b->woken, 600 * kMs);
    EXPECT_EQ(b->duration(), 591 * kMs) << "blocked until it ran, not until it was woken";
}

TEST(BlockTracker, AMissingSwitchInEndsTheBlockAtTheWakeupOrNextSignOfRunning) {
    BlockTracker t;
    t.switch_out(7, 0, BlockState::kSleep, stack(0xa), labels(7), 0);
    t.woken(7, 400 * kMs, std::nullopt);
    auto b = t.ran(7, 450 * kMs);  // e.g. its own next switch out: it must have run
    ASSERT_TRUE(b);
    EXPECT_EQ(b->duration(), 400 * kMs);
    EXPECT_TRUE(b->inferred_end);
    t.switch_out(8, 0, BlockState::kSleep, stack(0xb), labels(8), 0);
    b = t.ran(8, 300 * kMs);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->duration(), 300 * kMs) << "no wakeup seen: up to the first sign of running";
    EXPECT_EQ(t.inferred_ends(), 2u);
    EXPECT_EQ(t.ran(9, 1), std::nullopt) << "a running thread that was not out";
}

TEST(BlockTracker, AnExitedThreadNeverComesBack) {
    BlockTracker t;
    t.switch_out(7, 0, BlockState::kSleep, stack(0xa), labels(7), 0);
    t.exited(7);
    EXPECT_EQ(t.switch_in(7, 10), std::nullopt);
    EXPECT_TRUE(t.finish(100).empty());
}
