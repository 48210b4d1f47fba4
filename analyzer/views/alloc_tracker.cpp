#include "analyzer/views/alloc_tracker.h"

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

void AllocTracker::allocated(int32_t pid, uint64_t addr, uint64_t size, uint32_t stack, uint32_t objects) {
    if (addr == 0) return;
    auto [it, inserted] = live_[pid].insert_or_assign(addr, LiveBlock{size, stack, objects});
    (void)it;
    if (!inserted) ++reused_addresses_;
}

bool AllocTracker::freed(int32_t pid, uint64_t addr) {
    if (addr == 0) return true;  // free(NULL) releases nothing
    auto it = live_.find(pid);
    if (it != live_.end() && it->second.erase(addr) == 1) return true;
    ++unpaired_frees_;
    return false;
}

}  // namespace kiln::analyzer
