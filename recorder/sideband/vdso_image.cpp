#include "recorder/sideband/vdso_image.h"

#include <elf.h>
#include <sys/auxv.h>

#include <cstring>
#include <string>

#include "formats/archived_binary.h"
#include "recorder/sideband/proc_files.h"
#include "recorder/sideband/proc_maps.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::recorder::sideband {

namespace {

// A vdso is two to four pages; anything much larger is not one.
constexpr uint64_t kMaxVdsoBytes = 1u << 20;

}  // namespace

Result<VdsoImage> read_own_vdso() {
    const uint64_t base = getauxval(AT_SYSINFO_EHDR);
    if (base == 0) return make_error("this process has no vdso (AT_SYSINFO_EHDR is 0)");
    uint64_t size = 0;
    Status read = for_each_line("/proc/self/maps", [&](std::string_view line) {
        auto m = parse_maps_line(line);
        if (!m || m->entry.path != format::kVdsoBinaryPath || m->entry.start != base) return true;
        size = m->entry.end - m->entry.start;
        return false;
    });
    if (!read) return read.error();
    if (size < sizeof(Elf64_Ehdr) || size > kMaxVdsoBytes)
        return make_error("the vdso has no [vdso] line of a plausible size in /proc/self/maps");
    VdsoImage image;
    image.bytes.resize(size);
    std::memcpy(image.bytes.data(), reinterpret_cast<const void*>(base), size);
    auto id = build_id_of_image(image.bytes, std::string(format::kVdsoBinaryPath));
    if (!id) return id.error();
    image.build_id = std::move(*id);
    return image;
}

}  // namespace kiln::recorder::sideband
