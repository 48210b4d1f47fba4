#include "formats/large_buffer.h"

#include <sys/mman.h>

namespace kiln::format {

namespace {

size_t mapped_size(size_t bytes) { return (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes; }

}  // namespace

void* map_large_buffer(size_t bytes) {
    const size_t size = mapped_size(bytes);
    // Map one huge page more than needed and trim both ends to a 2 MiB boundary: only whole,
    // aligned 2 MiB ranges can be huge pages.
    void* raw = ::mmap(nullptr, size + kHugePageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    const auto start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (start + kHugePageBytes - 1) & ~(uintptr_t{kHugePageBytes} - 1);
    if (aligned > start) ::munmap(raw, aligned - start);
    if (const size_t tail = start + kHugePageBytes - aligned; tail > 0)
        ::munmap(reinterpret_cast<void*>(aligned + size), tail);
    void* p = reinterpret_cast<void*>(aligned);
#ifdef MADV_HUGEPAGE
    (void)::madvise(p, size, MADV_HUGEPAGE);  // advice only: without THP these stay 4 KiB pages
#endif
    return p;
}

void unmap_large_buffer(void* p, size_t bytes) {
    if (p != nullptr) ::munmap(p, mapped_size(bytes));
}

}  // namespace kiln::format
