#include "analyzer/views/alloc_tracker.h"

#include <algorithm>

namespace kiln::analyzer {

bool AllocTracker::enter(int32_t tid, const OpenCall& call) {
    auto& calls = open_[tid];
    calls.push_back(call);
    return calls.size() == 1;
}

bool AllocTracker::inside(int32_t tid) const {
    auto it = open_.find(tid);
    return it != open_.end() && !it->second.empty();
}

std::optional<OpenCall> AllocTracker::leave(int32_t tid, AllocFn fn) {
    auto it = open_.find(tid);
    if (it == open_.end()) {
        ++unmatched_returns_;
        return std::nullopt;
    }
    auto& calls = it->second;
    for (size_t i = calls.size(); i-- > 0;) {
        if (calls[i].fn != fn) continue;
        dropped_calls_ += calls.size() - i - 1;
        const OpenCall call = calls[i];
        calls.resize(i);
        if (calls.empty()) open_.erase(it);
        if (i != 0) return std::nullopt;  // the allocator's own call inside another
        return call;
    }
    ++unmatched_returns_;
    return std::nullopt;
}

void AllocTracker::allocated(int32_t pid, uint64_t addr, uint64_t size, uint32_t stack, uint32_t objects,
                             uint64_t time) {
    if (addr == 0) return;
    if (auto e = early_frees_.find(pid); e != early_frees_.end()) {
        auto f = e->second.find(addr);
        if (f != e->second.end() && f->second > time) {  // freed already: counted, never in use
            e->second.erase(f);
            ++early_frees_matched_;
            return;
        }
    }
    auto& blocks = live_[pid];
    auto it = blocks.find(addr);
    if (it != blocks.end()) {
        if (it->second.time > time) return;  // an earlier block at this address, freed since
        ++reused_addresses_;
    }
    blocks.insert_or_assign(addr, LiveBlock{size, stack, objects, time});
}

bool AllocTracker::freed(int32_t pid, uint64_t addr, uint64_t time) {
    if (addr == 0) return true;  // free(NULL) releases nothing
    auto it = live_.find(pid);
    if (it != live_.end()) {
        auto block = it->second.find(addr);
        if (block != it->second.end()) {
            if (block->second.time > time) return true;  // an earlier block's free, come late
            it->second.erase(block);
            return true;
        }
    }
    auto& early = early_frees_[pid][addr];
    early = std::max(early, time == UINT64_MAX ? 0 : time);
    ++early_frees_seen_;
    return false;
}

uint64_t AllocTracker::unpaired_frees() const { return early_frees_seen_ - early_frees_matched_; }

}  // namespace kiln::analyzer
