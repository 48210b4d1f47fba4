// ELF note parsing for note blobs the kernel exposes (/sys/kernel/notes,
// /sys/module/NAME/notes/.note.gnu.build-id): Elf_Nhdr (namesz, descsz, type), name and
// descriptor each padded to the alignment, in this machine's byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace kiln::recorder::sideband {

inline constexpr uint32_t kNoteGnuBuildId = 3;  // NT_GNU_BUILD_ID

// The descriptor of the first NT_GNU_BUILD_ID note named "GNU". nullopt when there is none
// or the notes are malformed before one is found; never reads outside `notes`.
std::optional<std::vector<uint8_t>> find_gnu_build_id(std::span<const uint8_t> notes, size_t align = 4);

}  // namespace kiln::recorder::sideband
