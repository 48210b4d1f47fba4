// Replays a speedscope file's evented profiles as speedscope does, checking what it relies on:
// every "C" closes the innermost open frame, `at` never decreases and stays within
// [startValue, endValue], frame indexes exist, nothing stays open. Used by the writer's unit
// tests and the end-to-end tests of `kiln analyze --speedscope`.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace kiln::test {

struct SpeedscopeReplay {
    std::map<std::string, uint64_t> open_ns;          // per frame name: time open (recursion counted once)
    uint64_t busy_ns = 0;                             // time some frame was open
    std::vector<std::pair<uint64_t, uint64_t>> busy;  // [start, end) of each run of open frames
    uint64_t first_at = UINT64_MAX, last_at = 0;
};

inline SpeedscopeReplay replay_speedscope(const nlohmann::json& file, const nlohmann::json& profile) {
    SpeedscopeReplay r;
    const nlohmann::json& frames = file["shared"]["frames"];
    std::vector<std::pair<size_t, uint64_t>> open;  // frame, since
    uint64_t last = profile["startValue"].get<uint64_t>();
    for (const nlohmann::json& e : profile["events"]) {
        const uint64_t at = e["at"].get<uint64_t>();
        const size_t frame = e["frame"].get<size_t>();
        EXPECT_GE(at, last) << "at went back in " << profile["name"];
        EXPECT_LE(at, profile["endValue"].get<uint64_t>()) << profile["name"];
        EXPECT_LT(frame, frames.size()) << profile["name"];
        last = at;
        r.first_at = std::min(r.first_at, at);
        r.last_at = at;
        if (e["type"] == "O") {
            if (open.empty()) r.busy.push_back({at, at});
            open.push_back({frame, at});
            continue;
        }
        EXPECT_EQ(e["type"], "C");
        if (open.empty()) {
            ADD_FAILURE() << "C with nothing open at " << at << " in " << profile["name"];
            continue;
        }
        EXPECT_EQ(open.back().first, frame) << "C of a frame that is not the innermost one at " << at;
        bool outer_too = false;
        for (size_t i = 0; i + 1 < open.size(); ++i) outer_too |= open[i].first == open.back().first;
        if (!outer_too && open.back().first < frames.size())
            r.open_ns[frames[open.back().first]["name"].get<std::string>()] += at - open.back().second;
        open.pop_back();
        if (open.empty()) {
            r.busy.back().second = at;
            r.busy_ns += at - r.busy.back().first;
        }
    }
    EXPECT_TRUE(open.empty()) << open.size() << " frames still open at the end of " << profile["name"];
    return r;
}

}  // namespace kiln::test
