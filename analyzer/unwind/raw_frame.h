// A frame before symbolization: which object and where in it. Samples are aggregated on
// these, so each distinct address is symbolized once, after the whole stream is read
// (build-ids of some files only arrive at the end of a recording).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace kiln::analyzer {

inline constexpr uint32_t kKernelDso = 0xfffffffe;   // addr is a kernel address
inline constexpr uint32_t kUnmappedDso = 0xffffffff;  // addr is a user address no mapping covers
inline constexpr uint32_t kTruncatedDso = 0xfffffffd; // marker: the unwinder ran out of copied stack

struct RawFrame {
    uint32_t dso = kUnmappedDso;  // index into ProcessModel::dsos() or one of the above
    uint64_t addr = 0;            // file offset for file-backed objects, else the address
    bool operator==(const RawFrame&) const = default;
};

struct RawFrameHash {
    size_t operator()(const RawFrame& f) const {
        return std::hash<uint64_t>()(f.addr * 0x9e3779b97f4a7c15ull ^ f.dso);
    }
};

}  // namespace kiln::analyzer
