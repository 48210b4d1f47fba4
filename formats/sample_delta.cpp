#include "formats/sample_delta.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "formats/kiln_format.h"
#include "formats/varint.h"

namespace kiln::format {

namespace {

// Every field before CALLCHAIN is one u64 when READ is absent (sample_delta_fits).
constexpr uint64_t kFieldsBeforeCallchain = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
                                            PERF_SAMPLE_TIME | PERF_SAMPLE_ADDR | PERF_SAMPLE_ID |
                                            PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD;
constexpr size_t kMaxRecord = 0xffff;

size_t fixed_bytes(uint64_t sample_type) {
    return sizeof(perf_event_header) + 8 * static_cast<size_t>(std::popcount(sample_type & kFieldsBeforeCallchain));
}

// The previous callchain's entry at the depth (from the outer end) of entry k of an n-entry
// callchain: what that entry is stored relative to.
uint64_t same_depth(const std::vector<uint64_t>& previous, size_t n, size_t k) {
    const size_t p = previous.size();
    return k + p >= n && k + p - n < p ? previous[k + p - n] : 0;
}

}  // namespace

size_t shared_outer_frames(const uint8_t* ips, size_t n, const std::vector<uint64_t>& previous) {
    const size_t p = previous.size(), most = std::min(n, p);
    size_t shared = 0;
    for (; shared < most; ++shared) {
        uint64_t ip;
        std::memcpy(&ip, ips + 8 * (n - 1 - shared), 8);
        if (ip != previous[p - 1 - shared]) break;
    }
    return shared;
}

bool sample_delta_fits(const SampleLayout& layout) {
    return (layout.sample_type & PERF_SAMPLE_TID) && !(layout.sample_type & PERF_SAMPLE_READ);
}

void SampleHistory::reset() {
    ++generation_;
    last_ = nullptr;
    // A system-wide recording sees threads come and go: forget them now and then.
    if (threads_.size() > 4096) threads_.clear();
}

SampleHistory::Thread& SampleHistory::of(uint32_t tid) {
    if (last_ == nullptr || last_tid_ != tid) {
        last_ = &threads_[tid];
        last_tid_ = tid;
    }
    if (last_->generation != generation_) {
        last_->fields.fill(0);
        last_->ips.clear();
        last_->generation = generation_;
    }
    return *last_;
}

size_t SampleDeltaEncoder::encode(const SampleLayout& layout, std::span<const uint8_t> record, uint8_t* out) {
    const uint64_t st = layout.sample_type;
    if (st != head_type_) {
        head_type_ = st;
        head_ = fixed_bytes(st);
    }
    const size_t head = head_;
    const bool has_chain = st & PERF_SAMPLE_CALLCHAIN;
    uint64_t n = 0;
    if (has_chain && record.size() >= head + 8) std::memcpy(&n, record.data() + head, 8);
    // Past kMaxRecord the delta might not fit its header's size: such samples (huge RAW
    // payloads) stay as they are, and leave their thread's history alone.
    if (!sample_delta_fits(layout) || record.size() < head + (has_chain ? 8 : 0) ||
        (has_chain && n > (record.size() - head - 8) / 8) || max_encoded_size(record.size()) > kMaxRecord) {
        std::memcpy(out, record.data(), record.size());
        return record.size();
    }
    const uint8_t* in = record.data() + sizeof(perf_event_header);
    uint64_t identifier = 0;
    if (st & PERF_SAMPLE_IDENTIFIER) {
        std::memcpy(&identifier, in, 8);
        in += 8;
    }
    uint32_t pid_tid[2];
    std::memcpy(pid_tid, in + ((st & PERF_SAMPLE_IP) ? 8 : 0), 8);
    uint8_t* o = out + sizeof(perf_event_header);
    o = put_uleb(o, identifier);
    o = put_uleb(o, pid_tid[1]);
    auto& thread = history_.of(pid_tid[1]);
    for (size_t i = 0; i < kSampleDeltaFields.size(); ++i) {
        if (!(st & kSampleDeltaFields[i])) continue;
        uint64_t v;
        std::memcpy(&v, in, 8);
        in += 8;
        if (kSampleDeltaFields[i] == PERF_SAMPLE_TID) v = pid_tid[0];
        o = put_uleb(o, zigzag(v - thread.fields[i]));
        thread.fields[i] = v;
    }
    size_t after = head;
    if (has_chain) {
        const size_t count = static_cast<size_t>(n);
        const uint8_t* ips = record.data() + head + 8;
        auto& previous = thread.ips;
        const size_t shared = shared_outer_frames(ips, count, previous);
        const size_t fresh = count - shared;
        o = put_uleb(o, fresh);
        o = put_uleb(o, shared);
        for (size_t k = 0; k < fresh; ++k) {
            uint64_t ip;
            std::memcpy(&ip, ips + 8 * k, 8);
            o = put_uleb(o, zigzag(ip - same_depth(previous, count, k)));
        }
        previous.resize(count);
        if (count > 0) std::memcpy(previous.data(), ips, 8 * count);
        after = head + 8 + 8 * count;
    }
    std::memcpy(o, record.data() + after, record.size() - after);
    o += record.size() - after;
    std::memcpy(out, record.data(), sizeof(perf_event_header));  // keeps the kernel's misc
    const auto size = static_cast<size_t>(o - out);
    set_record_header(out, kRecordSampleDelta, size);
    return size;
}

Status expand_sample_delta(const SampleLayout& layout, SampleHistory& history, std::span<const uint8_t> record,
                           ExpandedBytes& out) {
    if (!sample_delta_fits(layout)) return make_error("sample delta of an event without thread ids, or with READ");
    const uint64_t st = layout.sample_type;
    const uint8_t* p = record.data() + sizeof(perf_event_header);
    const uint8_t* const end = record.data() + record.size();
    auto cut = [] { return make_error("sample delta: truncated or overlong number"); };
    uint64_t identifier, tid;
    if (!get_uleb(p, end, identifier) || !get_uleb(p, end, tid)) return cut();
    if (tid > UINT32_MAX) return make_error("sample delta: thread id " + std::to_string(tid) + " is not 32-bit");
    auto& thread = history.of(static_cast<uint32_t>(tid));
    std::array<uint64_t, kSampleDeltaFields.size()> fields = thread.fields;
    for (size_t i = 0; i < kSampleDeltaFields.size(); ++i) {
        if (!(st & kSampleDeltaFields[i])) continue;
        uint64_t z;
        if (!get_uleb(p, end, z)) return cut();
        fields[i] += unzigzag(z);
        if (kSampleDeltaFields[i] == PERF_SAMPLE_TID && fields[i] > UINT32_MAX)
            return make_error("sample delta: process id of thread " + std::to_string(tid) + " is not 32-bit");
    }
    const bool has_chain = st & PERF_SAMPLE_CALLCHAIN;
    uint64_t fresh = 0, shared = 0;
    const uint8_t* entries = p;
    if (has_chain) {
        if (!get_uleb(p, end, fresh) || !get_uleb(p, end, shared)) return cut();
        if (shared > thread.ips.size())
            return make_error("sample delta: shares " + std::to_string(shared) + " frames of thread " +
                              std::to_string(tid) + ", whose previous callchain in this chunk has " +
                              std::to_string(thread.ips.size()));
        if (fresh > kMaxRecord) return make_error("sample delta: " + std::to_string(fresh) + " fresh frames");
        entries = p;
        for (uint64_t k = 0; k < fresh; ++k) {
            uint64_t z;
            if (!get_uleb(p, end, z)) return cut();
        }
    }
    const size_t head = fixed_bytes(st);
    const size_t n = static_cast<size_t>(fresh + shared);
    const size_t tail = static_cast<size_t>(end - p);
    const size_t size = head + (has_chain ? 8 + 8 * n : 0) + tail;
    if (size > kMaxRecord) return make_error("sample delta: decoded sample of " + std::to_string(size) + " bytes");

    uint8_t* o = out.append(size);
    std::memcpy(o, record.data(), sizeof(perf_event_header));
    set_record_header(o, PERF_RECORD_SAMPLE, size);
    uint8_t* w = o + sizeof(perf_event_header);
    if (st & PERF_SAMPLE_IDENTIFIER) {
        std::memcpy(w, &identifier, 8);
        w += 8;
    }
    for (size_t i = 0; i < kSampleDeltaFields.size(); ++i) {
        if (!(st & kSampleDeltaFields[i])) continue;
        if (kSampleDeltaFields[i] == PERF_SAMPLE_TID) {
            const uint32_t pid_tid[2] = {static_cast<uint32_t>(fields[i]), static_cast<uint32_t>(tid)};
            std::memcpy(w, pid_tid, 8);
        } else {
            std::memcpy(w, &fields[i], 8);
        }
        w += 8;
    }
    if (has_chain) {
        const uint64_t nr = n;
        std::memcpy(w, &nr, 8);
        w += 8;
        auto& previous = thread.ips;
        const uint8_t* q = entries;
        for (size_t k = 0; k < fresh; ++k) {
            uint64_t z;
            (void)get_uleb(q, end, z);  // read whole above
            const uint64_t ip = same_depth(previous, n, k) + unzigzag(z);
            std::memcpy(w + 8 * k, &ip, 8);
        }
        if (shared > 0)
            std::memcpy(w + 8 * fresh, previous.data() + (previous.size() - shared), 8 * static_cast<size_t>(shared));
        // The whole callchain is in the output now; previous was read before it is overwritten.
        previous.resize(n);
        if (n > 0) std::memcpy(previous.data(), w, 8 * n);
        w += 8 * n;
    }
    std::memcpy(w, p, tail);
    thread.fields = fields;
    return {};
}

}  // namespace kiln::format
