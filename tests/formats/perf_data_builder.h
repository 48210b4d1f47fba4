// perf.data files built by hand for tests, in perf's file layout
// (tools/perf/Documentation/perf.data-file-format.txt): the 104-byte header, the attrs section
// (each attr followed by its ids section), the ids, the data section, then one feature section
// entry per feature bit set, in bit order, and their contents. Only HEADER_EVENT_DESC is
// written. Used where perf cannot record what a test needs (perf record --off-cpu without BPF
// skeletons, branch stacks without LBR, hostile attrs).
#pragma once

#include <linux/perf_event.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "formats/byte_io.h"

namespace kiln::test {

struct SyntheticEvent {
    perf_event_attr attr{};     // written as its first attr.size bytes (128 unless set)
    std::vector<uint64_t> ids;  // its kernel ids
    std::string name;           // for HEADER_EVENT_DESC
};

// events: at least one. event_desc: write HEADER_EVENT_DESC (feature bit 12) naming them.
inline std::vector<uint8_t> build_perf_data(const std::vector<SyntheticEvent>& events, std::span<const uint8_t> data,
                                            bool event_desc) {
    constexpr uint64_t kHeaderSize = 104, kAttrBytes = 128, kEventDescBit = 12;
    const uint64_t attr_size = kAttrBytes + 16, attrs_at = kHeaderSize, attrs_size = attr_size * events.size();
    uint64_t ids_size = 0;
    for (const auto& e : events) ids_size += 8 * e.ids.size();
    const uint64_t ids_at = attrs_at + attrs_size, data_at = ids_at + ids_size;
    const auto attr_bytes = [&](const perf_event_attr& a, ByteWriter& out) {
        perf_event_attr copy = a;
        copy.size = kAttrBytes;
        uint8_t bytes[sizeof copy];
        std::memcpy(bytes, &copy, sizeof copy);
        out.raw(bytes, kAttrBytes);
    };

    ByteWriter file;
    file.raw("PERFILE2", 8);
    file.u64(kHeaderSize);
    file.u64(attr_size);
    file.u64(attrs_at), file.u64(attrs_size);
    file.u64(data_at), file.u64(data.size());
    file.u64(0), file.u64(0);  // event_types: unused
    file.u64(event_desc ? 1ull << kEventDescBit : 0);
    for (int i = 1; i < 4; ++i) file.u64(0);
    uint64_t id_at = ids_at;
    for (const auto& e : events) {
        attr_bytes(e.attr, file);
        file.u64(id_at), file.u64(8 * e.ids.size());
        id_at += 8 * e.ids.size();
    }
    for (const auto& e : events)
        for (uint64_t id : e.ids) file.u64(id);
    file.raw(data.data(), data.size());
    if (!event_desc) return file.take();

    // EVENT_DESC: u32 nr, u32 attr_size, then per event its attr, u32 nr_ids, its name as a
    // perf_header_string (u32 length, NUL-padded to a multiple of 64 as perf writes it), its ids.
    ByteWriter desc;
    desc.u32(static_cast<uint32_t>(events.size()));
    desc.u32(kAttrBytes);
    for (const auto& e : events) {
        attr_bytes(e.attr, desc);
        desc.u32(static_cast<uint32_t>(e.ids.size()));
        const size_t padded = (e.name.size() + 1 + 63) / 64 * 64;
        desc.u32(static_cast<uint32_t>(padded));
        desc.raw(e.name.data(), e.name.size());
        for (size_t i = e.name.size(); i < padded; ++i) desc.u8(0);
        for (uint64_t id : e.ids) desc.u64(id);
    }
    file.u64(file.size() + 16), file.u64(desc.size());  // the one feature section entry
    file.raw(desc.bytes().data(), desc.size());
    return file.take();
}

}  // namespace kiln::test
