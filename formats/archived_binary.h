// BINARY chunks (4.2, `kiln record --archive`): a binary the recorded processes mapped, kept in
// the recording so that it symbolizes and unwinds on a machine that lacks the file.
//
//   BINARY  u32 layout version (1), blob build_id, str path (as the process saw it), blob bytes
//
// The decoded view points into the chunk's bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "formats/result.h"

namespace kiln::format {

// The path of the BINARY chunk every recording (4.3 on) holds of the vdso, the ELF image the
// kernel maps into 64-bit processes as [vdso]: the recorder's own copy, the same for every
// 64-bit process of the boot (recorder/sideband/vdso_image.h).
inline constexpr std::string_view kVdsoBinaryPath = "[vdso]";

struct ArchivedBinaryView {
    std::span<const uint8_t> build_id;
    std::string_view path;
    std::span<const uint8_t> bytes;
};

std::vector<uint8_t> encode_archived_binary(std::span<const uint8_t> build_id, std::string_view path,
                                            std::span<const uint8_t> bytes);
// The payload's bytes before the file's `size` bytes: a writer appends the file itself to it
// (no second copy of a large file).
std::vector<uint8_t> archived_binary_prefix(std::span<const uint8_t> build_id, std::string_view path, uint32_t size);
// An error for a cut or malformed payload, or a build-id that is empty or longer than 64 bytes.
Result<ArchivedBinaryView> decode_archived_binary(std::span<const uint8_t> payload);

}  // namespace kiln::format
