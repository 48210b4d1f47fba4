// Memory for the few large buffers that kiln fills once per recording or per chunk (the kernel
// symbols' payload, record chunks, compressed output), mapped so the kernel may back it with
// transparent huge pages (madvise mode). A first touch of a 4 KiB page costs ~0.5 us on bare
// metal and 11-19 us on the VMs kiln was measured on, where a 2 MiB huge page costs what ~25
// such faults do; a recording touched ~1000 pages, ~15% of a 3 s recording's CPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace kiln::format {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;
// Below this a buffer comes from malloc: a huge page would hold mostly untouched memory.
inline constexpr size_t kLargeBufferMinBytes = size_t{256} << 10;

// `bytes` rounded up to whole huge pages, mapped 2 MiB-aligned and advised MADV_HUGEPAGE;
// nullptr when the mapping fails. Free with unmap_large_buffer(p, bytes).
void* map_large_buffer(size_t bytes);
void unmap_large_buffer(void* p, size_t bytes);

// An allocator that maps buffers of kLargeBufferMinBytes and more with map_large_buffer.
template <class T>
struct LargeBufferAllocator {
    using value_type = T;
    LargeBufferAllocator() = default;
    template <class U>
    LargeBufferAllocator(const LargeBufferAllocator<U>&) noexcept {}

    T* allocate(size_t n) {
        if (n * sizeof(T) < kLargeBufferMinBytes) return std::allocator<T>().allocate(n);
        if (void* p = map_large_buffer(n * sizeof(T))) return static_cast<T*>(p);
        throw std::bad_alloc();
    }
    void deallocate(T* p, size_t n) noexcept {
        if (n * sizeof(T) < kLargeBufferMinBytes) {
            std::allocator<T>().deallocate(p, n);
        } else {
            unmap_large_buffer(p, n * sizeof(T));
        }
    }
    template <class U>
    bool operator==(const LargeBufferAllocator<U>&) const noexcept {
        return true;
    }
};

using LargeBytes = std::vector<uint8_t, LargeBufferAllocator<uint8_t>>;

// An uninitialised buffer of a fixed size from LargeBufferAllocator.
struct LargeBufferDeleter {
    size_t bytes = 0;
    void operator()(uint8_t* p) const noexcept { LargeBufferAllocator<uint8_t>().deallocate(p, bytes); }
};
using LargeBufferPtr = std::unique_ptr<uint8_t[], LargeBufferDeleter>;
inline LargeBufferPtr make_large_buffer(size_t bytes) {
    return LargeBufferPtr(LargeBufferAllocator<uint8_t>().allocate(bytes), LargeBufferDeleter{bytes});
}

}  // namespace kiln::format
