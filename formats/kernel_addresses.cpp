#include "formats/kernel_addresses.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "formats/kallsyms_subset.h"
#include "formats/kiln_format.h"

namespace kiln::format {

namespace {

// Every field before CALLCHAIN is one u64 when READ is absent.
constexpr uint64_t kFieldsBeforeCallchain = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
                                            PERF_SAMPLE_TIME | PERF_SAMPLE_ADDR | PERF_SAMPLE_ID |
                                            PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD;

}  // namespace

void KernelAddressSet::add_sample(const SampleLayout& layout, std::span<const uint8_t> record) {
    const uint64_t st = layout.sample_type;
    if (st & PERF_SAMPLE_READ) {
        // READ's size depends on read_format: the full parser finds what follows it.
        auto parsed = parse_sample(layout, record);
        if (!parsed) return;
        if (parsed->callchain_size() == 0) {
            if (is_kernel_address(parsed->ip)) add(parsed->ip);
            return;
        }
        for (size_t i = 0; i < parsed->callchain_size(); ++i) {
            const uint64_t ip = parsed->callchain_at(i);
            if (ip == PERF_CONTEXT_USER) break;
            if (is_kernel_address(ip)) add(ip);
        }
        return;
    }
    const uint8_t* p = record.data() + sizeof(perf_event_header);
    const size_t head = sizeof(perf_event_header) + 8 * static_cast<size_t>(std::popcount(st & kFieldsBeforeCallchain));
    if (!(st & PERF_SAMPLE_CALLCHAIN)) {
        if (!(st & PERF_SAMPLE_IP) || record.size() < head) return;
        uint64_t ip;
        std::memcpy(&ip, p + ((st & PERF_SAMPLE_IDENTIFIER) ? 8 : 0), 8);
        if (is_kernel_address(ip)) add(ip);
        return;
    }
    if (record.size() < head + 8) return;
    uint64_t n;
    std::memcpy(&n, record.data() + head, 8);
    n = std::min<uint64_t>(n, (record.size() - head - 8) / 8);
    // The kernel's part comes first (PERF_CONTEXT_KERNEL, its addresses), then the user's.
    for (uint64_t i = 0; i < n; ++i) {
        uint64_t ip;
        std::memcpy(&ip, record.data() + head + 8 + 8 * i, 8);
        if (ip == PERF_CONTEXT_USER) break;
        if (is_kernel_address(ip)) add(ip);
    }
}

std::vector<uint64_t> KernelAddressSet::sorted() const {
    std::vector<uint64_t> out(all_.begin(), all_.end());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace kiln::format
