#include "formats/sample_delta.h"

#include <asm/perf_regs.h>

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
constexpr size_t kTimeField = 2;  // PERF_SAMPLE_TIME in kSampleDeltaFields
static_assert(kSampleDeltaFields[kTimeField] == PERF_SAMPLE_TIME);

// What a compact sample's TIME difference from its thread's previous sample is stored relative
// to: a software timer's period (its samples come that far apart but for a few microseconds of
// jitter), else the thread's previous difference. fixed_period stands in when the samples
// carry no PERIOD; `period_field` is where PERIOD lies in the sample.
uint64_t time_step_base(const SampleLayout& layout, const SampleHistory::Thread& thread, const uint8_t* period_field) {
    if (!layout.period_is_time) return thread.time_step;
    if (!(layout.sample_type & PERF_SAMPLE_PERIOD)) return layout.fixed_period;
    uint64_t v;
    std::memcpy(&v, period_field, 8);
    return v;
}

// How a compact sample stores what follows its callchain.
enum TailForm : uint8_t { kTailAsIs = 0, kTailUserRegs = 1 };

size_t fixed_bytes(uint64_t sample_type) {
    return sizeof(perf_event_header) + 8 * static_cast<size_t>(std::popcount(sample_type & kFieldsBeforeCallchain));
}

// The previous callchain's entry at the depth (from the outer end) of entry k of an n-entry
// callchain: what that entry is stored relative to.
uint64_t same_depth(const std::vector<uint64_t>& previous, size_t n, size_t k) {
    const size_t p = previous.size();
    return k + p >= n && k + p - n < p ? previous[k + p - n] : 0;
}

uint64_t load_u64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// The callchain's first user-space entry (the interrupted user ip), 0 when it has none.
uint64_t first_user_entry(const uint8_t* ips, size_t n) {
    for (size_t k = 0; k + 1 < n; ++k)
        if (load_u64(ips + 8 * k) == PERF_CONTEXT_USER) return load_u64(ips + 8 * (k + 1));
    return 0;
}

// What user register b of a sample is stored relative to.
uint64_t register_base(const SampleHistory::Thread& thread, int b, uint64_t user_ip) {
    if (b == PERF_REG_X86_IP && user_ip != 0) return user_ip;
    return static_cast<size_t>(b) < SampleHistory::kRegs ? thread.regs[static_cast<size_t>(b)] : 0;
}

constexpr int kSpRegister = PERF_REG_X86_SP;
static_assert(static_cast<size_t>(kSpRegister) < SampleHistory::kRegs);

// Whether a stack copy of `size` bytes is stored as changed words.
bool stack_words_fit(size_t size) { return size != 0 && size % 8 == 0 && size <= SampleHistory::kMaxDiffedStack; }

// The thread's last small stack copy, which the next one at the same sp is stored against.
void remember_stack_top(SampleHistory::Thread& thread, const uint8_t* copy, size_t size, uint64_t sp) {
    std::memcpy(thread.stack.data(), copy, size);
    thread.stack_size = size;
    thread.stack_sp = sp;
}

// Where a sample's REGS_USER and STACK_USER lie, after its callchain, when its tail can take
// form 1: REGS_USER right after the callchain (no RAW, no BRANCH_STACK) and sizes that fit.
struct UserTail {
    uint64_t abi = 0;
    size_t nregs = 0;           // register values present (0 when abi is 0)
    bool stack = false;         // STACK_USER follows the registers
    uint64_t stack_size = 0;    // its size field: the copy's bytes
    uint64_t dyn_size = 0;      // present when stack_size != 0
    size_t bytes = 0;           // what all of the above takes in the sample
};

bool user_tail_form_fits(uint64_t sample_type) {
    return (sample_type & PERF_SAMPLE_REGS_USER) && !(sample_type & (PERF_SAMPLE_RAW | PERF_SAMPLE_BRANCH_STACK));
}

bool parse_user_tail(const uint8_t* p, size_t len, uint64_t sample_type, size_t mask_regs, UserTail& t) {
    if (len < 8) return false;
    t.abi = load_u64(p);
    size_t at = 8;
    t.nregs = t.abi != 0 ? mask_regs : 0;
    if ((len - at) / 8 < t.nregs) return false;
    at += 8 * t.nregs;
    t.stack = sample_type & PERF_SAMPLE_STACK_USER;
    if (t.stack) {
        if (len - at < 8) return false;
        t.stack_size = load_u64(p + at);
        at += 8;
        if (t.stack_size != 0) {
            if (t.stack_size > len - at || len - at - t.stack_size < 8) return false;
            at += static_cast<size_t>(t.stack_size);
            t.dyn_size = load_u64(p + at);
            at += 8;
        }
    }
    t.bytes = at;
    return true;
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
        last_->time_step = 0;
        last_->regs.fill(0);
        last_->ips.clear();
        last_->stack_size = 0;
        last_->stack_sp = 0;
        last_->generation = generation_;
    }
    return *last_;
}

void SampleTimes::add(std::span<const uint8_t> record) {
    if (record.size() > sizeof(perf_event_header)) parts_.push_back(record.subspan(sizeof(perf_event_header)));
}

bool SampleTimes::next(uint64_t& z) {
    while (part_ < parts_.size() && at_ >= parts_[part_].size()) {
        ++part_;
        at_ = 0;
    }
    if (part_ >= parts_.size()) return false;
    const auto part = parts_[part_];
    const uint8_t* p = part.data() + at_;
    const bool ok = get_uleb(p, part.data() + part.size(), z);  // a varint never spans two records
    at_ = static_cast<size_t>(p - part.data());
    return ok;
}

size_t SampleDeltaEncoder::write_times(uint8_t* out) const {
    uint8_t* o = out;
    size_t at = 0;
    while (at < times_.size()) {
        size_t end = std::min(times_.size(), at + kMaxSampleTimesBytes);
        while (end < times_.size() && (times_[end - 1] & 0x80)) --end;  // end after a varint's last byte
        const size_t n = end - at;
        if (out != nullptr) {
            const perf_event_header h{kRecordSampleTimes, 0, static_cast<uint16_t>(sizeof(perf_event_header) + n)};
            std::memcpy(o, &h, sizeof h);
            std::memcpy(o + sizeof h, times_.data() + at, n);
        }
        o += sizeof(perf_event_header) + n;
        at = end;
    }
    return static_cast<size_t>(o - out);
}

size_t SampleDeltaEncoder::encode(const SampleLayout& layout, std::span<const uint8_t> record, uint8_t* out) {
    const uint64_t st = layout.sample_type;
    if (st != head_type_ || layout.sample_regs_user != regs_mask_) {
        head_type_ = st;
        head_ = fixed_bytes(st);
        regs_mask_ = layout.sample_regs_user;
        mask_regs_ = static_cast<size_t>(std::popcount(regs_mask_));
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
    const size_t after = has_chain ? head + 8 + 8 * static_cast<size_t>(n) : head;
    UserTail tail;
    const bool regs_form = user_tail_form_fits(st) &&
                           parse_user_tail(record.data() + after, record.size() - after, st, mask_regs_, tail);

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
        if (i == kTimeField) {
            const uint64_t step = v - thread.fields[i];
            const uint64_t base = time_step_base(layout, thread, record.data() + head - 8);
            const size_t at = times_.size();
            times_.resize(at + 10);
            times_.resize(static_cast<size_t>(put_uleb(times_.data() + at, zigzag(step - base)) - times_.data()));
            thread.time_step = step;
        } else {
            o = put_uleb(o, zigzag(v - thread.fields[i]));
        }
        thread.fields[i] = v;
    }
    uint64_t user_ip = 0;
    if (has_chain) {
        const size_t count = static_cast<size_t>(n);
        const uint8_t* ips = record.data() + head + 8;
        auto& previous = thread.ips;
        const size_t shared = shared_outer_frames(ips, count, previous);
        const size_t fresh = count - shared;
        o = put_uleb(o, fresh);
        o = put_uleb(o, shared);
        for (size_t k = 0; k < fresh; ++k) o = put_uleb(o, zigzag(load_u64(ips + 8 * k) - same_depth(previous, count, k)));
        previous.resize(count);
        if (count > 0) std::memcpy(previous.data(), ips, 8 * count);
        if (regs_form) user_ip = first_user_entry(ips, count);
    }
    size_t rest = after;
    if (regs_form) {
        *o++ = kTailUserRegs;
        o = put_uleb(o, tail.abi);
        const uint8_t* r = record.data() + after + 8;
        uint64_t sp = 0;
        if (tail.nregs != 0) {
            for (uint64_t m = regs_mask_; m != 0; m &= m - 1, r += 8) {
                const int b = std::countr_zero(m);
                const uint64_t v = load_u64(r);
                o = put_uleb(o, zigzag(v - register_base(thread, b, user_ip)));
                if (static_cast<size_t>(b) < SampleHistory::kRegs) thread.regs[static_cast<size_t>(b)] = v;
                if (b == kSpRegister) sp = v;
            }
        }
        if (tail.stack) {
            o = put_uleb(o, tail.stack_size);
            const auto size = static_cast<size_t>(tail.stack_size);
            const uint8_t* copy = r + 8;
            if (stack_words_fit(size)) {
                const bool same = thread.stack_size == size && thread.stack_sp == sp;
                uint8_t* mask = o++;
                *mask = 0;
                for (size_t k = 0; k < size / 8; ++k) {
                    if (same && std::memcmp(copy + 8 * k, thread.stack.data() + 8 * k, 8) == 0) continue;
                    *mask = static_cast<uint8_t>(*mask | 1u << k);
                    std::memcpy(o, copy + 8 * k, 8);
                    o += 8;
                }
                remember_stack_top(thread, copy, size, sp);
            } else {
                std::memcpy(o, copy, size);
                o += size;
            }
            if (size != 0) o = put_uleb(o, zigzag(tail.stack_size - tail.dyn_size));
        }
        rest = after + tail.bytes;
    } else {
        *o++ = kTailAsIs;
    }
    std::memcpy(o, record.data() + rest, record.size() - rest);
    o += record.size() - rest;
    std::memcpy(out, record.data(), sizeof(perf_event_header));  // keeps the kernel's misc
    const auto size = static_cast<size_t>(o - out);
    set_record_header(out, kRecordCompactSample, size);
    return size;
}

Status expand_sample_delta(const SampleLayout& layout, SampleHistory& history, std::span<const uint8_t> record,
                           ExpandedBytes& out, SampleTimes* times) {
    if (!sample_delta_fits(layout)) return make_error("sample delta of an event without thread ids, or with READ");
    const bool compact = times != nullptr;
    const uint64_t st = layout.sample_type;
    const uint8_t* p = record.data() + sizeof(perf_event_header);
    const uint8_t* const end = record.data() + record.size();
    auto cut = [] { return make_error("sample delta: truncated or overlong number"); };
    uint64_t identifier, tid;
    if (!get_uleb(p, end, identifier) || !get_uleb(p, end, tid)) return cut();
    // A compact sample's time is the chunk's next one, taken even when the rest cannot be
    // decoded, so the samples after it still find theirs.
    uint64_t time_z = 0;
    if (compact && (st & PERF_SAMPLE_TIME) && !times->next(time_z))
        return make_error("compact sample: the chunk's SAMPLE_TIMES hold no time for it");
    if (tid > UINT32_MAX) return make_error("sample delta: thread id " + std::to_string(tid) + " is not 32-bit");
    auto& thread = history.of(static_cast<uint32_t>(tid));
    std::array<uint64_t, kSampleDeltaFields.size()> fields = thread.fields;
    uint64_t time_step = thread.time_step;
    for (size_t i = 0; i < kSampleDeltaFields.size(); ++i) {
        if (!(st & kSampleDeltaFields[i]) || (compact && i == kTimeField)) continue;
        uint64_t z;
        if (!get_uleb(p, end, z)) return cut();
        fields[i] += unzigzag(z);
        if (kSampleDeltaFields[i] == PERF_SAMPLE_TID && fields[i] > UINT32_MAX)
            return make_error("sample delta: process id of thread " + std::to_string(tid) + " is not 32-bit");
    }
    if (compact && (st & PERF_SAMPLE_TIME)) {  // after PERIOD, which the base may be
        uint8_t period[8];
        std::memcpy(period, &fields.back(), 8);
        static_assert(kSampleDeltaFields.back() == PERF_SAMPLE_PERIOD);
        time_step = time_step_base(layout, thread, period) + unzigzag(time_z);
        fields[kTimeField] += time_step;
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
    // The tail: as it is, or (compact, form 1) user registers and stack copy to rebuild.
    UserTail tail;
    const uint8_t* regs_at = p;
    const uint8_t* stack_at = p;
    uint64_t sp = 0;  // the sample's stack pointer, which says whether its stack top is a diff
    if (compact) {
        if (p == end) return make_error("compact sample: no tail form");
        const uint8_t form = *p++;
        if (form == kTailUserRegs) {
            if (!user_tail_form_fits(st)) return make_error("compact sample: user registers in a sample without them");
            if (!get_uleb(p, end, tail.abi)) return cut();
            tail.nregs = tail.abi != 0 ? static_cast<size_t>(std::popcount(layout.sample_regs_user)) : 0;
            regs_at = p;
            uint64_t m = layout.sample_regs_user;
            for (size_t k = 0; k < tail.nregs; ++k, m &= m - 1) {
                uint64_t z;
                if (!get_uleb(p, end, z)) return cut();
                if (std::countr_zero(m) == kSpRegister) sp = thread.regs[kSpRegister] + unzigzag(z);
            }
            tail.bytes = 8 + 8 * tail.nregs;
            tail.stack = st & PERF_SAMPLE_STACK_USER;
            if (tail.stack) {
                if (!get_uleb(p, end, tail.stack_size)) return cut();
                const bool diffed = tail.stack_size <= SampleHistory::kMaxDiffedStack &&
                                    stack_words_fit(static_cast<size_t>(tail.stack_size));
                if (diffed ? p == end : tail.stack_size > static_cast<uint64_t>(end - p))
                    return make_error("compact sample: a stack copy of " + std::to_string(tail.stack_size) +
                                      " bytes in a record with " + std::to_string(end - p) + " left");
                stack_at = p;
                const auto size = static_cast<size_t>(tail.stack_size);
                if (diffed) {  // the changed words
                    const uint8_t mask = *p++;
                    const size_t words = static_cast<size_t>(std::popcount(static_cast<unsigned>(mask)));
                    if ((mask >> (size / 8)) != 0 || words * 8 > static_cast<size_t>(end - p))
                        return make_error("compact sample: a stack top's word mask " + std::to_string(mask) +
                                          " does not fit its copy or its record");
                    if (words < size / 8 && !(thread.stack_size == size && thread.stack_sp == sp))
                        return make_error("compact sample: a stack top refers to a copy thread " + std::to_string(tid) +
                                          " did not show at that sp in this chunk");
                    p += words * 8;
                } else {
                    p += size;
                }
                tail.bytes += 8 + size;
                if (tail.stack_size != 0) {
                    uint64_t z;
                    if (!get_uleb(p, end, z)) return cut();
                    tail.dyn_size = tail.stack_size - unzigzag(z);
                    tail.bytes += 8;
                }
            }
        } else if (form != kTailAsIs) {
            return make_error("compact sample: unknown tail form " + std::to_string(form));
        }
    }
    const size_t head = fixed_bytes(st);
    const size_t n = static_cast<size_t>(fresh + shared);
    const size_t rest = static_cast<size_t>(end - p);
    const size_t size = head + (has_chain ? 8 + 8 * n : 0) + tail.bytes + rest;
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
    uint64_t user_ip = 0;
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
        if (tail.bytes != 0) user_ip = first_user_entry(w, n);
        w += 8 * n;
    }
    if (tail.bytes != 0) {
        std::memcpy(w, &tail.abi, 8);
        w += 8;
        const uint8_t* q = regs_at;
        if (tail.nregs != 0) {
            for (uint64_t m = layout.sample_regs_user; m != 0; m &= m - 1, w += 8) {
                const int b = std::countr_zero(m);
                uint64_t z;
                (void)get_uleb(q, end, z);  // read whole above
                const uint64_t v = register_base(thread, b, user_ip) + unzigzag(z);
                std::memcpy(w, &v, 8);
                if (static_cast<size_t>(b) < SampleHistory::kRegs) thread.regs[static_cast<size_t>(b)] = v;
            }
        }
        if (tail.stack) {
            std::memcpy(w, &tail.stack_size, 8);
            w += 8;
            const auto copy_size = static_cast<size_t>(tail.stack_size);
            if (stack_words_fit(copy_size)) {
                const uint8_t mask = *stack_at;
                const uint8_t* word = stack_at + 1;
                for (size_t k = 0; k < copy_size / 8; ++k) {
                    const bool stored = mask >> k & 1;
                    std::memcpy(w + 8 * k, stored ? word : thread.stack.data() + 8 * k, 8);
                    if (stored) word += 8;
                }
                remember_stack_top(thread, w, copy_size, sp);
            } else {
                std::memcpy(w, stack_at, copy_size);
            }
            w += copy_size;
            if (tail.stack_size != 0) {
                std::memcpy(w, &tail.dyn_size, 8);
                w += 8;
            }
        }
    }
    std::memcpy(w, p, rest);
    thread.fields = fields;
    thread.time_step = time_step;
    return {};
}

}  // namespace kiln::format
