#include "formats/stack_delta.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "formats/kiln_format.h"

namespace kiln::format {

StackLayouts::StackLayouts(const std::vector<EventDescription>& events) {
    for (const auto& ev : events) {
        const perf_event_attr attr = ev.perf_attr();
        if (!(attr.sample_type & PERF_SAMPLE_STACK_USER)) continue;
        const auto layout = SampleLayout::from_attr(attr);
        for (uint64_t id : ev.ids) layouts_.emplace_back(id, layout);
        if (ev.ids.empty()) layouts_.emplace_back(0, layout);
    }
    one_event_ = events.size() == 1 && !layouts_.empty();
}

const SampleLayout* StackLayouts::of(std::span<const uint8_t> record) const {
    if (one_event_) return &layouts_.front().second;
    if (layouts_.empty()) return nullptr;
    const uint64_t id = record_identifier(record);
    for (const auto& [event_id, layout] : layouts_)
        if (event_id == id) return &layout;
    return nullptr;
}

void StackBlockTables::reset() {
    ++generation_;
    // A system-wide recording sees threads come and go: forget them now and then.
    if (tables_.size() > 4096) tables_.clear();
}

StackBlockTables::Table& StackBlockTables::of(uint32_t tid) {
    auto& slot = tables_[tid];
    if (!slot) slot = std::make_unique<Table>();
    if (slot->generation != generation_) {
        slot->tag.fill(1);
        slot->generation = generation_;
    }
    return *slot;
}

namespace {

constexpr size_t kEncodingHeader = 16;  // u64 sp, u32 dyn_size, u32 reserved
constexpr uint64_t kMinDeltaStack = 256;
constexpr uint64_t kBlockMask = ~uint64_t{StackBlockTables::kBlock - 1};

size_t entry_of(uint64_t block_address) {
    return (block_address / StackBlockTables::kBlock) % StackBlockTables::kEntries;
}

// Where a parsed sample's STACK_USER field sits in its record.
struct StackField {
    size_t data_at = 0;   // first byte of the copy (its u64 size is just before)
    size_t after_at = 0;  // first byte after the u64 dyn_size
};

bool locate_stack(std::span<const uint8_t> record, const ParsedSample& s, StackField& f) {
    if (s.stack.data() == nullptr) return false;
    f.data_at = static_cast<size_t>(s.stack.data() - record.data());
    uint64_t size;
    std::memcpy(&size, record.data() + f.data_at - 8, 8);
    if (size > record.size() - f.data_at || record.size() - f.data_at - size < 8) return false;
    f.after_at = f.data_at + static_cast<size_t>(size) + 8;
    return true;
}

void set_header(uint8_t* out, uint32_t type, size_t size) {
    perf_event_header h;
    std::memcpy(&h, out, sizeof h);
    h.type = type;
    h.size = static_cast<uint16_t>(size);
    std::memcpy(out, &h, sizeof h);
}

}  // namespace

size_t StackDeltaEncoder::encode(const SampleLayout& layout, std::span<const uint8_t> record, uint8_t* out) {
    const uint64_t mask = layout.sample_regs_user;
    const uint64_t sp_bit = uint64_t{1} << sp_register_;
    auto s = parse_sample(layout, record);
    StackField f;
    if (!s || s->stack.empty() || s->regs.empty() || !(mask & sp_bit) || !(layout.sample_type & PERF_SAMPLE_TID) ||
        !locate_stack(record, *s, f))
        return copy_trimmed_sample(layout, record, out);
    const uint64_t sp = s->reg_at(static_cast<size_t>(std::popcount(mask & (sp_bit - 1))));
    const uint64_t dyn = s->stack.size();
    const uint64_t base = sp & kBlockMask, end = sp + dyn;
    const size_t tail = record.size() - f.after_at;
    // Small copies (a uprobe's return address, an allocator's result slot) gain nothing.
    if (dyn < kMinDeltaStack || end < sp) return copy_trimmed_sample(layout, record, out);
    const size_t blocks = static_cast<size_t>((end - base + StackBlockTables::kBlock - 1) / StackBlockTables::kBlock);
    const size_t bitmap_bytes = (blocks + 7) / 8;
    // Every block literal, the worst case, must fit the room and a record's u16 size.
    const size_t worst = f.data_at + ((kEncodingHeader + bitmap_bytes + dyn + 7) & ~size_t{7}) + 8 + tail;
    if (worst > record.size() + kSlack || worst > 0xffff) return copy_trimmed_sample(layout, record, out);

    std::memcpy(out, record.data(), f.data_at - 8);
    uint8_t* enc = out + f.data_at;
    const uint32_t dyn32 = static_cast<uint32_t>(dyn), reserved = 0;
    std::memcpy(enc, &sp, 8);
    std::memcpy(enc + 8, &dyn32, 4);
    std::memcpy(enc + 12, &reserved, 4);
    uint8_t* bitmap = enc + kEncodingHeader;
    std::memset(bitmap, 0, bitmap_bytes);
    uint8_t* literal = bitmap + bitmap_bytes;
    auto& table = tables_.of(s->tid);
    for (size_t k = 0; k < blocks; ++k) {
        const uint64_t block = base + k * StackBlockTables::kBlock;
        const uint64_t from = std::max(block, sp), to = std::min(block + StackBlockTables::kBlock, end);
        const uint8_t* src = s->stack.data() + (from - sp);
        const size_t n = static_cast<size_t>(to - from);
        if (n == StackBlockTables::kBlock) {
            const size_t e = entry_of(block);
            if (table.tag[e] == block && std::memcmp(table.bytes[e].data(), src, n) == 0) continue;
            std::memcpy(table.bytes[e].data(), src, n);
            table.tag[e] = block;
        }
        bitmap[k / 8] |= static_cast<uint8_t>(1u << (k % 8));
        std::memcpy(literal, src, n);
        literal += n;
    }
    const uint64_t length = static_cast<uint64_t>(literal - enc);
    const uint64_t padded = (length + 7) & ~uint64_t{7};
    std::memset(literal, 0, static_cast<size_t>(padded - length));
    std::memcpy(out + f.data_at - 8, &padded, 8);
    std::memcpy(enc + padded, &length, 8);
    std::memcpy(enc + padded + 8, record.data() + f.after_at, tail);
    const size_t size = f.data_at + static_cast<size_t>(padded) + 8 + tail;
    set_header(out, kRecordStackDelta, size);
    return size;
}

namespace {

// Appends the sample a delta record encodes to out; on error out is as it was.
Status expand_one(const SampleLayout& layout, StackBlockTables& tables, std::span<const uint8_t> record,
                  std::vector<uint8_t>& out) {
    auto s = parse_sample(layout, record);
    if (!s) return s.error();
    StackField f;
    if (!(layout.sample_type & PERF_SAMPLE_TID) || !locate_stack(record, *s, f))
        return make_error("stack delta without a thread id or a stack field");
    const auto enc = s->stack;
    if (enc.size() < kEncodingHeader) return make_error("stack delta shorter than its header");
    uint64_t sp;
    uint32_t dyn;
    std::memcpy(&sp, enc.data(), 8);
    std::memcpy(&dyn, enc.data() + 8, 4);
    const uint64_t base = sp & kBlockMask, end = sp + dyn;
    if (end < sp) return make_error("stack delta: stack range wraps around");
    const size_t blocks = static_cast<size_t>((end - base + StackBlockTables::kBlock - 1) / StackBlockTables::kBlock);
    const size_t bitmap_bytes = (blocks + 7) / 8;
    if (enc.size() - kEncodingHeader < bitmap_bytes) return make_error("stack delta: bitmap overruns the record");
    const uint8_t* bitmap = enc.data() + kEncodingHeader;
    const uint8_t* literal = bitmap + bitmap_bytes;
    const uint8_t* literal_end = enc.data() + enc.size();
    const uint64_t keep = std::max<uint64_t>(8, (uint64_t{dyn} + 7) & ~uint64_t{7});
    const size_t tail = record.size() - f.after_at;
    const uint64_t size = f.data_at + keep + 8 + tail;
    if (size > 0xffff) return make_error("stack delta: decoded sample of " + std::to_string(size) + " bytes");

    const size_t at = out.size();
    out.resize(at + static_cast<size_t>(size));
    uint8_t* o = out.data() + at;
    std::memcpy(o, record.data(), f.data_at - 8);
    std::memcpy(o + f.data_at - 8, &keep, 8);
    uint8_t* stack = o + f.data_at;
    auto& table = tables.of(s->tid);
    for (size_t k = 0; k < blocks; ++k) {
        const uint64_t block = base + k * StackBlockTables::kBlock;
        const uint64_t from = std::max(block, sp), to = std::min(block + StackBlockTables::kBlock, end);
        uint8_t* dst = stack + (from - sp);
        const size_t n = static_cast<size_t>(to - from);
        const size_t e = entry_of(block);
        if (bitmap[k / 8] & (1u << (k % 8))) {
            if (static_cast<size_t>(literal_end - literal) < n) {
                out.resize(at);
                return make_error("stack delta: literal blocks overrun the record");
            }
            std::memcpy(dst, literal, n);
            literal += n;
            if (n == StackBlockTables::kBlock) {
                std::memcpy(table.bytes[e].data(), dst, n);
                table.tag[e] = block;
            }
        } else {
            if (n != StackBlockTables::kBlock || table.tag[e] != block) {
                out.resize(at);
                return make_error("stack delta: refers to a block of thread " + std::to_string(s->tid) +
                                  " not seen in this chunk");
            }
            std::memcpy(dst, table.bytes[e].data(), n);
        }
    }
    std::memset(stack + dyn, 0, static_cast<size_t>(keep - dyn));
    const uint64_t dyn64 = dyn;
    std::memcpy(stack + keep, &dyn64, 8);
    std::memcpy(stack + keep + 8, record.data() + f.after_at, tail);
    set_header(o, PERF_RECORD_SAMPLE, static_cast<size_t>(size));
    return {};
}

}  // namespace

StackDeltaExpansion expand_stack_deltas(const StackLayouts& layouts, std::span<const uint8_t> payload,
                                        std::vector<uint8_t>& out) {
    StackDeltaExpansion result;
    bool any = false;
    (void)for_each_record(payload, [&](const perf_event_header& h, std::span<const uint8_t>) {
        any |= h.type == kRecordStackDelta;
    });
    if (!any) return result;
    result.expanded = true;
    out.clear();
    StackBlockTables tables;
    Status walked = for_each_record(payload, [&](const perf_event_header& h, std::span<const uint8_t> rec) {
        if (h.type != kRecordStackDelta) {
            out.insert(out.end(), rec.begin(), rec.end());
            return;
        }
        const SampleLayout* layout = layouts.of(rec);
        Status st = layout ? expand_one(*layout, tables, rec, out)
                           : Status(make_error("stack delta of an event without stack copies"));
        if (!st) {
            if (result.dropped++ == 0) result.first_error = st.error().message;
        }
    });
    if (!walked) result.stream_error = walked.error().message;
    return result;
}

}  // namespace kiln::format
