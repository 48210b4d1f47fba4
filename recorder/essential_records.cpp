#include "recorder/essential_records.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "formats/kiln_format.h"
#include "formats/perf_records.h"

namespace kiln::recorder {

namespace {

// pid and tid of a COMM, FORK, EXIT or MMAP2 record; false for anything else.
bool task_of(const perf_event_header& h, std::span<const uint8_t> rec, uint32_t& pid, uint32_t& tid) {
    switch (h.type) {
        case PERF_RECORD_COMM:
            if (auto c = format::parse_comm(rec)) return pid = c->pid, tid = c->tid, true;
            return false;
        case PERF_RECORD_FORK:
        case PERF_RECORD_EXIT:
            if (auto t = format::parse_task(rec)) return pid = t->pid, tid = t->tid, true;
            return false;
        case PERF_RECORD_MMAP2:
            if (auto m = format::parse_mmap(rec)) return pid = m->pid, tid = m->tid, true;
            return false;
        default: return false;
    }
}

uint64_t key(uint32_t pid, uint32_t tid) { return (static_cast<uint64_t>(pid) << 32) | tid; }

}  // namespace

void EssentialRecords::add(const perf_event_header& h, const uint8_t* record, uint64_t sequence) {
    uint32_t pid = 0, tid = 0;
    if (!task_of(h, {record, h.size}, pid, tid)) return;
    const uint64_t order = next_order_++;
    entries_.push_back({order, sequence, static_cast<uint32_t>(bytes_.size()), h.size, pid, tid});
    bytes_.insert(bytes_.end(), record, record + h.size);
    if (h.type == PERF_RECORD_EXIT) exits_.push_back({order, sequence, pid, tid});
}

std::vector<uint32_t> EssentialRecords::prune(uint64_t oldest_kept) {
    // Up to which arrival a process (by pid) or a thread (by pid and tid) is gone for good.
    std::unordered_map<uint32_t, uint64_t> process_gone;
    std::unordered_map<uint64_t, uint64_t> thread_gone;
    auto due = std::stable_partition(exits_.begin(), exits_.end(), [&](const Exit& e) { return e.sequence >= oldest_kept; });
    if (due == exits_.end()) return {};
    for (auto it = due; it != exits_.end(); ++it) {
        if (it->pid == it->tid) {
            uint64_t& o = process_gone[it->pid];
            o = std::max(o, it->order);
        } else {
            uint64_t& o = thread_gone[key(it->pid, it->tid)];
            o = std::max(o, it->order);
        }
    }
    exits_.erase(due, exits_.end());
    std::vector<uint8_t> bytes;
    bytes.reserve(bytes_.size());
    std::vector<Entry> kept;
    kept.reserve(entries_.size());
    for (const Entry& e : entries_) {
        if (auto p = process_gone.find(e.pid); p != process_gone.end() && e.order <= p->second) continue;
        if (e.pid != e.tid)
            if (auto t = thread_gone.find(key(e.pid, e.tid)); t != thread_gone.end() && e.order <= t->second) continue;
        Entry moved = e;
        moved.offset = static_cast<uint32_t>(bytes.size());
        bytes.insert(bytes.end(), bytes_.begin() + e.offset, bytes_.begin() + e.offset + e.size);
        kept.push_back(moved);
    }
    bytes_ = std::move(bytes);
    entries_ = std::move(kept);
    std::vector<uint32_t> gone;
    gone.reserve(process_gone.size());
    for (const auto& [pid, order] : process_gone) gone.push_back(pid);
    return gone;
}

std::vector<std::vector<uint8_t>> EssentialRecords::payloads_before(uint64_t first, size_t max_bytes) const {
    std::vector<std::vector<uint8_t>> out;
    const perf_event_header round{format::kRecordRoundEnd, 0, sizeof(perf_event_header)};
    auto end_payload = [&] {
        if (out.empty() || out.back().empty()) return;
        const auto* p = reinterpret_cast<const uint8_t*>(&round);
        out.back().insert(out.back().end(), p, p + sizeof round);
    };
    for (const Entry& e : entries_) {
        if (e.sequence >= first) continue;
        if (out.empty() || out.back().size() + e.size + sizeof round > max_bytes) {
            end_payload();
            out.emplace_back();
        }
        out.back().insert(out.back().end(), bytes_.begin() + e.offset, bytes_.begin() + e.offset + e.size);
    }
    end_payload();
    return out;
}

}  // namespace kiln::recorder
