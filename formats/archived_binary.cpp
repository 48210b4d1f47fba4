#include "formats/archived_binary.h"

#include "formats/byte_cursor.h"
#include "formats/byte_io.h"

namespace kiln::format {

namespace {
constexpr uint32_t kLayoutVersion = 1;
constexpr size_t kMaxBuildIdBytes = 64;
}  // namespace

std::vector<uint8_t> archived_binary_prefix(std::span<const uint8_t> build_id, std::string_view path, uint32_t size) {
    ByteWriter w;
    w.u32(kLayoutVersion);
    w.blob(build_id);
    w.str(path);
    w.u32(size);
    return w.take();
}

std::vector<uint8_t> encode_archived_binary(std::span<const uint8_t> build_id, std::string_view path,
                                            std::span<const uint8_t> bytes) {
    std::vector<uint8_t> out = archived_binary_prefix(build_id, path, static_cast<uint32_t>(bytes.size()));
    out.insert(out.end(), bytes.begin(), bytes.end());
    return out;
}

Result<ArchivedBinaryView> decode_archived_binary(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "archived binary");
    const uint32_t version = r.u32();
    if (r.failed()) return r.error();
    if (version != kLayoutVersion)
        return make_error("archived binary: layout version " + std::to_string(version) + " is not known");
    ArchivedBinaryView v;
    v.build_id = r.bytes(r.u32());
    v.path = r.str();
    v.bytes = r.bytes(r.u32());
    if (r.failed()) return r.error();
    if (v.build_id.empty() || v.build_id.size() > kMaxBuildIdBytes)
        return make_error("archived binary: a build-id of " + std::to_string(v.build_id.size()) + " bytes");
    return v;
}

}  // namespace kiln::format
