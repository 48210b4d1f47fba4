// read_kernel_image(): release, build-id and text range of the running kernel.
#include <sys/utsname.h>

#include <cstdint>
#include <span>
#include <string>

#include "recorder/sideband/kallsyms.h"
#include "recorder/sideband/note_parser.h"
#include "recorder/sideband/proc_files.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::recorder {

namespace {

constexpr const char* kKernelNotes = "/sys/kernel/notes";

// Release and build-id; the text range is filled by the callers.
Result<format::KernelImage> read_release_and_build_id() {
    format::KernelImage image;
    utsname u{};
    if (::uname(&u) != 0) return make_error("kernel image: uname failed: " + sideband::read_error("uname", errno));
    image.release = u.release;
    std::string notes;
    // Missing on old kernels and in some containers: the build-id stays unknown.
    if (sideband::read_file(kKernelNotes, notes, 1 << 20) == 0) {
        auto span = std::span(reinterpret_cast<const uint8_t*>(notes.data()), notes.size());
        if (auto id = sideband::find_gnu_build_id(span)) image.build_id = std::move(*id);
    }
    return image;
}

}  // namespace

Result<format::KernelImage> read_kernel_image(const KallsymsPayload& symbols) {
    auto image = read_release_and_build_id();
    if (!image) return image;
    image->text_start = symbols.text_start;
    image->text_end = symbols.text_end;
    return image;
}

Result<format::KernelImage> read_kernel_image() {
    auto image = read_release_and_build_id();
    if (!image) return image;
    // Best effort: without readable kallsyms the range stays 0.
    (void)sideband::for_each_line("/proc/kallsyms", [&](std::string_view line) {
        auto sym = sideband::parse_kallsyms_line(line);
        if (sym && sym->module.empty()) {
            if (sym->name == "_stext") image->text_start = sym->address;
            if (sym->name == "_etext") image->text_end = sym->address;
        }
        return image->text_start == 0 || image->text_end == 0;
    });
    return image;
}

}  // namespace kiln::recorder
