// What a dump of the monitor's history needs from before its first chunk: the process names
// (COMM), threads (FORK, EXIT) and memory maps (MMAP2) the kernel reported. The drain loop
// hands each one here as it copies it, so the history can drop old chunks without losing who
// ran what where (Perfetto's ring buffers lose process names this way; perf re-reads /proc
// with --tail-synthesize, which misses what exited). A process's records are forgotten once it
// exited in a chunk the history no longer holds; a thread's FORK/COMM/EXIT likewise.
#pragma once

#include <linux/perf_event.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::recorder {

class EssentialRecords {
public:
    // One record as the kernel wrote it, from the chunk numbered sequence.
    void add(const perf_event_header& h, const uint8_t* record, uint64_t sequence);
    // Forgets what exited in chunks before oldest_kept (the first chunk the history holds);
    // returns the pids of the processes forgotten.
    std::vector<uint32_t> prune(uint64_t oldest_kept);
    // The records from chunks before first, in the order they came, as PERF_RECORDS payloads of
    // at most max_bytes each (a record larger than that gets a payload of its own).
    std::vector<std::vector<uint8_t>> payloads_before(uint64_t first, size_t max_bytes) const;

    size_t bytes() const { return bytes_.size() + entries_.size() * sizeof(Entry); }
    size_t count() const { return entries_.size(); }

private:
    struct Entry {
        uint64_t order;     // arrival number, across prunes
        uint64_t sequence;  // the chunk it came in
        uint32_t offset, size;
        uint32_t pid, tid;
    };
    struct Exit {
        uint64_t order, sequence;
        uint32_t pid, tid;
    };

    std::vector<uint8_t> bytes_;
    std::vector<Entry> entries_;
    std::vector<Exit> exits_;  // not pruned yet
    uint64_t next_order_ = 0;
};

}  // namespace kiln::recorder
