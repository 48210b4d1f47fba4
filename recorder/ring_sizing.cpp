#include "recorder/ring_sizing.h"

#include <algorithm>
#include <bit>
#include <iterator>

namespace kiln::recorder {

namespace {
constexpr size_t kEveryOccurrenceRate = 10000;  // per second and CPU, per tracepoint or uprobe
constexpr size_t kMemRate = 32000;     // --mem: allocator calls (or faults) per second and CPU
constexpr size_t kSyscallRate = 200000;  // --syscalls: syscalls per second and CPU
constexpr size_t kStacklessRecord = 72;  // header, fixed fields and a RAW size
}  // namespace

size_t ring_data_pages(const RecordOptions& opt, size_t event_count, size_t every_occurrence_events,
                       size_t page_size) {
    if (opt.mmap_pages != 0) return std::bit_ceil(static_cast<size_t>(opt.mmap_pages));
    // Rough bytes per sample: header and fixed fields, a 32-deep callchain, and the stack copy.
    size_t per_sample = 64 + (opt.call_graph == CallGraph::kNone ? 0 : 8 * 32);
    if (opt.call_graph == CallGraph::kDwarf) per_sample += opt.dwarf_stack_bytes + 8 * 24;
    if (opt.call_graph == CallGraph::kFramePointer) per_sample += opt.fp_stack_bytes + 8 * 5;
    // With -c the rate is unknown; assume the default frequency's worth.
    uint64_t rate = opt.frequency.value_or(kDefaultFrequency);
    // An eighth of a second's worth: the kernel wakes the drain loop at half the ring, so it has
    // ~60 ms to get a CPU before samples are lost, 4x what perf's default 512 KiB ring leaves at
    // 4000 Hz with 8 KiB stacks. A larger ring costs its page allocation on every recording
    // (64 MB took ~6 ms of a 0.2 s recording's CPU at 4000 Hz dwarf) and stays locked in memory.
    size_t bytes = static_cast<size_t>(rate) * per_sample * std::max<size_t>(event_count, 1) / 8;
    // Tracepoints and uprobes (--off-cpu's switches and wakeups among them) record every
    // occurrence, at a rate no flag gives; size for a busy CPU (10k a second each, for half a
    // second) so a context-switch storm's bursts fit.
    const size_t every_occurrence = std::max(every_occurrence_events, opt.off_cpu ? std::size(kOffCpuEvents) : 0);
    bytes = std::max(bytes, kEveryOccurrenceRate * per_sample * every_occurrence / 2);
    // --mem: an entry and a return record per allocator call, at a rate only the target sets;
    // size for an allocation-heavy program (32k calls a second; -m raises it) so bursts fit.
    if (opt.mem.any()) bytes = std::max(bytes, kMemRate * (per_sample + 64) * 2 / 2);
    // --syscalls: an enter (64 bytes of arguments) and an exit record per syscall, stackless;
    // size for a syscall storm's quarter second (200k a second on a CPU).
    if (opt.syscalls) bytes = std::max(bytes, kSyscallRate * (kStacklessRecord + 64 + kStacklessRecord) / 4);
    const size_t min_bytes = 512 * 1024;
    const size_t max_bytes = 64 * 1024 * 1024;
    bytes = std::clamp(bytes, min_bytes, max_bytes);
    return std::bit_ceil((bytes + page_size - 1) / page_size);
}

}  // namespace kiln::recorder
