#include "analyzer/views/alloc_view.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "formats/alloc_sample_batch.h"

namespace kiln::analyzer {

namespace {
enum Column : size_t { kAllocObjects, kAllocSpace, kInuseObjects, kInuseSpace };
}  // namespace

Result<std::unique_ptr<AllocView>> AllocView::create(const format::RecordingHeader& header, const EventTable& events,
                                                     Kind kind) {
    const char* names[] = {"allocs", "alloc", "inuse"};
    auto calls = AllocCalls::find(header, events, names[static_cast<int>(kind)]);
    if (!calls) return calls.error();
    return std::unique_ptr<AllocView>(new AllocView(std::move(*calls), kind));
}

AllocView::AllocView(AllocCalls calls, Kind kind)
    : calls_(std::move(calls)),
      kind_(kind),
      builder_({{"alloc_objects", "count"}, {"alloc_space", "bytes"}, {"inuse_objects", "count"}, {"inuse_space", "bytes"}}) {}

std::string AllocView::name() const {
    switch (kind_) {
        case Kind::kAllocs: return "allocs";
        case Kind::kAlloc: return "alloc";
        case Kind::kInuse: return "inuse";
    }
    return "alloc";
}

int AllocView::default_sample_type() const {
    switch (kind_) {
        case Kind::kAllocs: return kAllocObjects;
        case Kind::kAlloc: return kAllocSpace;
        case Kind::kInuse: return kInuseSpace;
    }
    return kAllocSpace;
}

size_t AllocView::StackKeyHash::operator()(const StackKey& k) const {
    size_t h = std::hash<int32_t>()(k.tid) ^ k.unwind;
    for (const auto& f : k.frames) h = h * 31 + RawFrameHash()(f);
    return h;
}

uint32_t AllocView::stack_id(const SampleLabels& labels, uint8_t unwind) {
    scratch_.tid = labels.tid;
    scratch_.unwind = unwind;
    auto it = stack_ids_.find(scratch_);
    if (it != stack_ids_.end()) return it->second;
    const auto id = static_cast<uint32_t>(stacks_.size());
    stacks_.push_back({scratch_.frames, labels, unwind});
    stack_ids_.emplace(scratch_, id);
    return id;
}

void AllocView::sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) {
    handle(s, event, &labels, stacks);
}

// A thread the filters leave out still frees (and reallocates) blocks of the threads kept:
// its calls are paired like the others, without a stack.
void AllocView::filtered_sample(const format::ParsedSample& s, int event, const SampleLabels&, StackBuilder& stacks) {
    handle(s, event, nullptr, stacks);
}

void AllocView::handle(const format::ParsedSample& s, int event, const SampleLabels* labels, StackBuilder& stacks) {
    const AllocCalls::Probe* p = calls_.probe(event);
    if (!p) return;
    if (p->is_return)
        leave(s, *p);
    else
        entry(s, *p, labels, stacks);
}

void AllocView::entry(const format::ParsedSample& s, const AllocCalls::Probe& p, const SampleLabels* labels,
                      StackBuilder& stacks) {
    const auto tid = static_cast<int32_t>(s.tid);
    const auto args = AllocCalls::args(p, s);
    if (!args) {
        ++unreadable_args_;
        return;
    }
    if (p.fn == AllocFn::kSampledBatch) {
        batch(s, labels, stacks);
        return;
    }
    if (p.fn == AllocFn::kSampledFree) {
        tracker_.freed(static_cast<int32_t>(s.pid), args->ptr, s.time);
        return;
    }
    if (p.fn == AllocFn::kSampledAlloc) {
        sampled(s, *args, labels, stacks, p);
        return;
    }
    if (p.fn == AllocFn::kFree) {
        // A free inside realloc (or another allocator call) is the allocator's own business.
        if (!tracker_.inside(tid)) tracker_.freed(static_cast<int32_t>(s.pid), args->ptr, s.time);
        return;
    }
    OpenCall call{p.fn, *args, kNoStack};
    if (labels && !tracker_.inside(tid)) {  // only the program's own calls are shown: unwind those
        scratch_.frames.clear();
        stacks.frames(s, p.regs_mask, p.mode, scratch_.frames);
        call.stack = stack_id(*labels, stacks.last_mark());
    }
    tracker_.enter(tid, call);
}

void AllocView::leave(const format::ParsedSample& s, const AllocCalls::Probe& p) {
    const auto pid = static_cast<int32_t>(s.pid);
    auto call = tracker_.leave(static_cast<int32_t>(s.tid), p.fn);
    if (!call) return;
    const auto ret = AllocCalls::result(p, s);
    if (!ret) {
        ++unreadable_args_;
        return;
    }
    const AllocArgs& a = call->args;
    switch (p.fn) {
        case AllocFn::kRealloc:
            if (*ret != 0) {
                if (a.ptr != 0) tracker_.freed(pid, a.ptr, s.time);  // moved, or resized in place
                allocated(pid, *ret, a.size, call->stack, 1, s.time);
            } else if (a.size == 0 && a.ptr != 0) {
                tracker_.freed(pid, a.ptr, s.time);  // realloc(p, 0) frees p and returns NULL (glibc)
            }
            break;
        case AllocFn::kPosixMemalign:
            if (*ret != 0) break;  // an error number: nothing allocated
            if (auto stored = AllocCalls::stored_pointer(p, s, a.memptr)) {
                allocated(pid, *stored, a.size, call->stack, 1, s.time);
            } else {
                // Counted as allocated; its address is unknown, so it cannot be in use.
                ++unread_memalign_;
                allocated(pid, 0, a.size, call->stack, 1, s.time);
            }
            break;
        default:
            if (*ret != 0) allocated(pid, *ret, a.size, call->stack, 1, s.time);
            break;
    }
}

// A block the sampler reported by trapping: the leaf is the marker itself; its caller is the
// sampler's malloc (or calloc, ...), which stands where exact probing shows the allocator's.
void AllocView::sampled(const format::ParsedSample& s, const AllocArgs& a, const SampleLabels* labels,
                        StackBuilder& stacks, const AllocCalls::Probe& p) {
    uint32_t stack = kNoStack;
    if (labels) {
        scratch_.frames.clear();
        stacks.frames(s, p.regs_mask, p.mode, scratch_.frames);
        auto user = std::find_if(scratch_.frames.begin(), scratch_.frames.end(),
                                 [](const RawFrame& f) { return f.dso != kKernelDso; });
        if (user != scratch_.frames.end()) scratch_.frames.erase(user);
        stack = stack_id(*labels, stacks.last_mark());
    }
    weighed(static_cast<int32_t>(s.pid), a.ptr, a.size, a.mean, s.time, stack);
}

// A batch the sampler handed over: its blocks, each with the stack the sampler walked (leaf
// first: its malloc, then the callers), and frees of earlier sampled blocks, in their order.
void AllocView::batch(const format::ParsedSample& s, const SampleLabels* labels, StackBuilder& stacks) {
    auto b = format::decode_alloc_sample_batch(s.stack);
    if (!b) {
        if (bad_batches_++ == 0) bad_batch_ = b.error().message + " (pid " + std::to_string(s.pid) + ")";
        return;
    }
    ++batches_;
    const auto pid = static_cast<int32_t>(s.pid);
    for (const auto& r : b->records) {
        if (r.kind == format::AllocSampleKind::kFree) {
            tracker_.freed(pid, r.address, r.time);
            continue;
        }
        uint32_t stack = kNoStack;
        if (labels) {
            scratch_.frames.clear();
            stacks.address_frames(pid, r.frames, scratch_.frames);
            stack = stack_id(*labels, kUnwindComplete);
        }
        weighed(pid, r.address, r.size, b->mean, r.time, stack);
    }
}

// A sampled block stands for 1/p blocks and size/p bytes, p = 1 - exp(-size/mean) its chance of
// being picked. The count 1/p is rounded up or down at random (seeded by the block), so that
// sums stay unbiased.
void AllocView::weighed(int32_t pid, uint64_t ptr, uint64_t size, uint64_t mean, uint64_t time, uint32_t stack) {
    const double m = static_cast<double>(mean ? mean : 1);
    const double picked = -std::expm1(-static_cast<double>(size) / m);
    const double weight = picked > 0 ? 1.0 / picked : 1.0;
    uint64_t h = (ptr ^ time) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    const double unit = static_cast<double>(h >> 11) / 9007199254740992.0;  // [0, 1)
    const double whole = std::floor(weight);
    const auto objects = static_cast<uint32_t>(std::min(whole + (unit < weight - whole ? 1.0 : 0.0), 4e9));
    const auto bytes = static_cast<uint64_t>(std::llround(static_cast<double>(size) * weight));
    ++sampled_blocks_;
    sample_mean_ = mean;
    allocated(pid, ptr, bytes, stack, objects, time);
}

void AllocView::allocated(int32_t pid, uint64_t addr, uint64_t size, uint32_t stack, uint32_t objects,
                          uint64_t time) {
    tracker_.allocated(pid, addr, size, stack, objects, time);
    if (stack == kNoStack) return;
    const StackEntry& st = stacks_[stack];
    const std::array<int64_t, 4> v{objects, static_cast<int64_t>(size), 0, 0};
    builder_.add(st.frames, st.labels, v, st.unwind);
}

void AllocView::finish(uint64_t) {
    for (const auto& [pid, blocks] : tracker_.live())
        for (const auto& [addr, b] : blocks) {
            if (b.stack == kNoStack) continue;
            const StackEntry& st = stacks_[b.stack];
            const std::array<int64_t, 4> v{0, 0, b.objects, static_cast<int64_t>(b.size)};
            builder_.add(st.frames, st.labels, v, st.unwind);
        }
}

std::vector<std::string> AllocView::warnings() const {
    std::vector<std::string> out;
    const std::string v = name() + ": ";
    if (const uint64_t n = tracker_.unpaired_frees())
        out.push_back(v + std::to_string(n) +
                      " frees of blocks not allocated during the recording (allocated before it started, or their "
                      "allocation record was lost); they are not subtracted from anything");
    if (const uint64_t n = tracker_.unmatched_returns() + tracker_.dropped_calls())
        out.push_back(v + std::to_string(n) +
                      " allocator calls could not be paired with their return (records lost while recording); "
                      "they are not counted");
    // Batches of different threads arrive out of time order: an address freed and taken again
    // by another thread can be seen taken first. Only traps arrive in order.
    if (const uint64_t n = tracker_.reused_addresses(); n && !batches_)
        out.push_back(v + std::to_string(n) +
                      " allocations reused an address still in use: the free in between was not recorded; the older "
                      "block is no longer counted as in use");
    if (unread_memalign_)
        out.push_back(v + std::to_string(unread_memalign_) +
                      " posix_memalign results could not be read (the out-parameter was outside the copied stack); "
                      "counted in alloc and allocs, not in inuse");
    if (unreadable_args_)
        out.push_back(v + std::to_string(unreadable_args_) + " allocator samples lacked the registers of their arguments");
    if (!calls_.missing_caller_note().empty()) out.push_back(v + calls_.missing_caller_note());
    if (bad_batches_)
        out.push_back(v + std::to_string(bad_batches_) + " batches of sampled allocations could not be read, the first: " +
                      bad_batch_);
    if (calls_.sampled() && !sampled_blocks_)
        out.push_back(v + "no allocation was sampled: the command allocated fewer bytes than --alloc-sample's mean, or "
                          "did not load kiln's sampler (a static binary, a setuid program)");
    if (sampled_blocks_)
        out.push_back(v + "allocations were sampled about once per " + std::to_string(sample_mean_) +
                      " bytes (kiln record --alloc-sample): counts and bytes are estimates from " +
                      std::to_string(sampled_blocks_) + " sampled blocks, each weighed by the inverse of its chance");
    return out;
}

}  // namespace kiln::analyzer
