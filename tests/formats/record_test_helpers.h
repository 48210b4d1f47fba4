// Helpers the delta-encoding tests share: building payloads from records and looking at them.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "formats/perf_sample.h"
#include "formats/stack_delta.h"

namespace kiln::format::testing {

inline std::vector<uint8_t> joined(const std::vector<std::vector<uint8_t>>& records) {
    std::vector<uint8_t> out;
    for (const auto& r : records) out.insert(out.end(), r.begin(), r.end());
    return out;
}

inline size_t count_type(std::span<const uint8_t> payload, uint32_t type) {
    size_t n = 0;
    EXPECT_TRUE(for_each_record(payload, [&](const perf_event_header& h, std::span<const uint8_t>) {
                    n += h.type == type;
                }).ok());
    return n;
}

// The payload expanded a slice of about slice_bytes at a time, the slices joined.
inline std::vector<uint8_t> expanded_in_slices(const StackLayouts& layouts, std::span<const uint8_t> payload,
                                               size_t slice_bytes) {
    StackDeltaExpander slices(layouts, payload);
    std::vector<uint8_t> all, part;
    while (slices.next(part, slice_bytes)) all.insert(all.end(), part.begin(), part.end());
    return all;
}

// Every truncation and every flipped byte of payload: no crash, no out-of-bounds read (the
// sanitizer builds check), and whatever comes out is whole records.
inline void expect_damage_survived(const StackLayouts& layouts, const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> out;
    auto whole_records = [&] {
        return for_each_record(out, [](const perf_event_header&, std::span<const uint8_t>) {}).ok();
    };
    for (size_t i = 0; i < payload.size(); ++i) {
        auto flipped = payload;
        flipped[i] ^= 0x5a;
        (void)expand_stack_deltas(layouts, flipped, out);
        EXPECT_TRUE(whole_records()) << "flipped byte " << i;
        (void)expand_stack_deltas(layouts, std::span(payload).first(i), out);
        EXPECT_TRUE(whole_records()) << "cut at byte " << i;
    }
}

// The next callchain (leaf first, as the kernel writes them) of a thread walking down and up a
// call tree whose user frames, outermost first, are in `user`: outer frames stay, inner ones
// change; now and then the sample lands in the kernel. Leaves lie within leaf_spread bytes.
inline std::vector<uint64_t> next_callchain(std::mt19937_64& rng, std::vector<uint64_t>& user, size_t thread,
                                            uint64_t leaf_spread) {
    if (user.empty() || rng() % 4 == 0) user = {0x401000 + thread, 0x402000};  // back near main
    while (user.size() < 3 + rng() % 20) user.push_back(0x500000 + rng() % leaf_spread);
    if (rng() % 3 == 0) user.resize(2 + rng() % (user.size() - 1));
    std::vector<uint64_t> chain;
    if (rng() % 5 == 0) chain = {PERF_CONTEXT_KERNEL, 0xffffffff81000000 + rng() % 16};
    chain.push_back(PERF_CONTEXT_USER);
    chain.insert(chain.end(), user.rbegin(), user.rend());
    return chain;
}

}  // namespace kiln::format::testing
