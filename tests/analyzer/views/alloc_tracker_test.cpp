// Pairing of allocator calls with their returns and of blocks with their frees, without a
// kernel: nesting (realloc calling malloc), lost returns, unpaired frees, per-process addresses.
#include "analyzer/views/alloc_tracker.h"

#include <gtest/gtest.h>

using namespace kiln::analyzer;

namespace {
OpenCall call(AllocFn fn, uint64_t size, uint32_t stack, uint64_t ptr = 0) { return {fn, {size, ptr, 0}, stack}; }
}  // namespace

TEST(AllocTracker, PairsACallWithItsReturn) {
    AllocTracker t;
    EXPECT_TRUE(t.enter(7, call(AllocFn::kMalloc, 100, 3)));
    EXPECT_TRUE(t.inside(7));
    EXPECT_FALSE(t.inside(8));
    auto c = t.leave(7, AllocFn::kMalloc);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->args.size, 100u);
    EXPECT_EQ(c->stack, 3u);
    EXPECT_FALSE(t.inside(7));
}

TEST(AllocTracker, NestedCallsAreTheAllocatorsOwn) {
    AllocTracker t;
    EXPECT_TRUE(t.enter(7, call(AllocFn::kRealloc, 64, 1)));   // realloc(NULL, 64) ...
    EXPECT_FALSE(t.enter(7, call(AllocFn::kMalloc, 64, 2)));   // ... calls malloc
    EXPECT_FALSE(t.leave(7, AllocFn::kMalloc));                // not the program's call
    auto c = t.leave(7, AllocFn::kRealloc);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->stack, 1u);
    EXPECT_EQ(t.dropped_calls(), 0u);
    EXPECT_EQ(t.unmatched_returns(), 0u);
}

TEST(AllocTracker, LostRecordsAreCounted) {
    AllocTracker t;
    EXPECT_FALSE(t.leave(7, AllocFn::kMalloc));  // its entry was lost
    EXPECT_EQ(t.unmatched_returns(), 1u);
    t.enter(7, call(AllocFn::kCalloc, 10, 1));
    t.enter(7, call(AllocFn::kMalloc, 10, 2));   // its return was lost
    EXPECT_TRUE(t.leave(7, AllocFn::kCalloc));   // pops both
    EXPECT_EQ(t.dropped_calls(), 1u);
    EXPECT_FALSE(t.inside(7));
}

TEST(AllocTracker, FreesMatchBlocksByProcessAndAddress) {
    AllocTracker t;
    t.allocated(100, 0x1000, 64, 1);
    t.allocated(100, 0x2000, 32, 1);
    t.allocated(200, 0x1000, 16, 2);  // the same address in another process
    EXPECT_TRUE(t.freed(100, 0x1000));
    EXPECT_TRUE(t.freed(100, 0));      // free(NULL)
    EXPECT_FALSE(t.freed(100, 0x3000));  // allocated before recording
    EXPECT_EQ(t.unpaired_frees(), 1u);
    ASSERT_EQ(t.live().at(100).size(), 1u);
    EXPECT_EQ(t.live().at(100).at(0x2000).size, 32u);
    EXPECT_EQ(t.live().at(200).at(0x1000).size, 16u);
    t.allocated(100, 0x2000, 48, 3);  // its free went missing
    EXPECT_EQ(t.reused_addresses(), 1u);
    EXPECT_EQ(t.live().at(100).at(0x2000).size, 48u);
}

// The allocation sampler's batches come one thread at a time, out of time order across threads:
// what is older than the live block at its address belongs to an earlier block there, and a
// free that comes before its allocation releases it when it comes.
TEST(AllocTracker, RecordsOutOfTimeOrderPairByTime) {
    AllocTracker t;
    t.allocated(1, 0xa000, 100, 1, 1, 10);
    EXPECT_TRUE(t.freed(1, 0xa000, 5));  // an earlier block's free, come late
    EXPECT_EQ(t.live().at(1).count(0xa000), 1u);

    EXPECT_FALSE(t.freed(1, 0xb000, 20));  // freed by a thread whose batch came first
    t.allocated(1, 0xb000, 50, 1, 1, 15);  // ... of a block allocated before: never in use
    EXPECT_EQ(t.live().at(1).count(0xb000), 0u);

    t.allocated(1, 0xc000, 10, 1, 1, 30);
    t.allocated(1, 0xc000, 20, 2, 1, 25);  // older than the live block: it was freed since
    EXPECT_EQ(t.live().at(1).at(0xc000).size, 10u);
    EXPECT_EQ(t.reused_addresses(), 0u);

    EXPECT_FALSE(t.freed(1, 0xd000, 40));  // a block from before the recording
    t.allocated(1, 0xd000, 8, 1, 1, 50);   // a new block at its address, after the free
    EXPECT_EQ(t.live().at(1).at(0xd000).size, 8u);
    EXPECT_EQ(t.unpaired_frees(), 1u);
}
