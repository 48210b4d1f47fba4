// How a sample's user stack was unwound, carried with the sample so pprof users can tell
// stacks that needed a fallback or stopped early from complete ones (label "unwind").
#pragma once

#include <cstdint>

namespace kiln::analyzer {

enum UnwindMark : uint8_t {
    kUnwindComplete = 0,      // no label: the usual case (and all frame-pointer recordings)
    kUnwindFramePointer = 1,  // a frame without CFI was stepped through with its frame pointer
    kUnwindTruncated = 2,     // the copied stack ended first
    kUnwindFailed = 3,        // unwinding stopped early for another reason
};

inline const char* unwind_mark_name(uint8_t mark) {
    switch (mark) {
        case kUnwindFramePointer: return "frame-pointer";
        case kUnwindTruncated: return "truncated";
        case kUnwindFailed: return "failed";
        default: return nullptr;
    }
}

}  // namespace kiln::analyzer
