// Pieces shared by the delta encodings of PERF_RECORDS (stack_delta.h, callchain_delta.h).
#pragma once

#include <linux/perf_event.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace kiln::format {

// Rewrites the type and size of the perf_event_header at out.
inline void set_record_header(uint8_t* out, uint32_t type, size_t size) {
    perf_event_header h;
    std::memcpy(&h, out, sizeof h);
    h.type = type;
    h.size = static_cast<uint16_t>(size);
    std::memcpy(out, &h, sizeof h);
}

// An expansion's output: bytes are appended at `used`, and out grows without zero-filling
// what it already holds (a resize per record filled every byte once more: ~4% of analyzing
// DWARF samples). Its size is trimmed to `used` at the end.
class ExpandedBytes {
public:
    explicit ExpandedBytes(std::vector<uint8_t>& out) : out_(out) {}
    uint8_t* append(size_t n) {
        if (used_ + n > out_.size()) out_.resize(std::max(used_ + n, out_.size() + out_.size() / 2));
        uint8_t* p = out_.data() + used_;
        used_ += n;
        return p;
    }
    size_t used() const { return used_; }
    void truncate(size_t used) { used_ = used; }
    void finish() { out_.resize(used_); }

private:
    std::vector<uint8_t>& out_;
    size_t used_ = 0;
};

}  // namespace kiln::format
