#include "recorder/sideband/note_parser.h"

#include <cstring>

namespace kiln::recorder::sideband {

namespace {

uint32_t load_u32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Rounds up in 64 bits: namesz/descsz are u32, so this cannot overflow.
uint64_t align_up(uint64_t n, uint64_t align) { return (n + align - 1) / align * align; }

}  // namespace

std::optional<std::vector<uint8_t>> find_gnu_build_id(std::span<const uint8_t> notes, size_t align) {
    if (align == 0) align = 4;
    constexpr uint64_t kHeaderSize = 12;
    constexpr uint8_t kGnuName[4] = {'G', 'N', 'U', '\0'};
    uint64_t pos = 0;
    const uint64_t size = notes.size();
    while (size - pos >= kHeaderSize) {
        const uint8_t* h = notes.data() + pos;
        uint32_t namesz = load_u32(h);
        uint32_t descsz = load_u32(h + 4);
        uint32_t type = load_u32(h + 8);
        uint64_t name_pos = pos + kHeaderSize;
        uint64_t desc_pos = name_pos + align_up(namesz, align);
        uint64_t next = desc_pos + align_up(descsz, align);
        if (desc_pos > size || desc_pos + descsz > size) return std::nullopt;
        if (type == kNoteGnuBuildId && namesz == sizeof kGnuName &&
            std::memcmp(notes.data() + name_pos, kGnuName, sizeof kGnuName) == 0) {
            const uint8_t* desc = notes.data() + desc_pos;
            return std::vector<uint8_t>(desc, desc + descsz);
        }
        if (next > size) return std::nullopt;
        pos = next;
    }
    return std::nullopt;
}

}  // namespace kiln::recorder::sideband
