#include "formats/pid_namespaces.h"

#include "formats/byte_cursor.h"
#include "formats/byte_io.h"

namespace kiln::format {

namespace {
constexpr uint32_t kLayoutVersion = 1;
constexpr size_t kMinEntryBytes = 8;  // i32 pid, u32 count
constexpr size_t kMaxDepth = 32;      // the kernel nests pid namespaces 32 deep at most
}  // namespace

std::vector<uint8_t> encode_pid_namespaces(const PidNamespaceMap& pids) {
    ByteWriter w;
    w.u32(kLayoutVersion);
    w.u32(static_cast<uint32_t>(pids.size()));
    for (const auto& [pid, nested] : pids) {
        w.u32(static_cast<uint32_t>(pid));
        w.u32(static_cast<uint32_t>(nested.size()));
        for (int32_t p : nested) w.u32(static_cast<uint32_t>(p));
    }
    return w.take();
}

Result<PidNamespaceMap> decode_pid_namespaces(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "pid namespaces");
    const uint32_t version = r.u32();
    if (r.failed()) return r.error();
    if (version != kLayoutVersion)
        return make_error("pid namespaces: layout version " + std::to_string(version) + " is not known");
    PidNamespaceMap out;
    const uint32_t n = r.count(kMinEntryBytes, "pid namespace entries");
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
        const int32_t pid = r.i32();
        const uint32_t depth = r.u32();
        if (depth > kMaxDepth) return make_error("pid namespaces: a pid nested " + std::to_string(depth) + " deep");
        std::vector<int32_t> nested;
        for (uint32_t k = 0; k < depth && !r.failed(); ++k) nested.push_back(r.i32());
        if (!r.failed()) out[pid] = std::move(nested);
    }
    if (r.failed()) return r.error();
    return out;
}

}  // namespace kiln::format
