#include "recorder/sideband/kernel_modules.h"

#include <algorithm>
#include <span>
#include <string>

#include "recorder/sideband/note_parser.h"
#include "recorder/sideband/proc_files.h"
#include "recorder/sideband/sideband_collect.h"
#include "recorder/sideband/text_fields.h"

namespace kiln::recorder {

namespace sideband {

Result<format::KernelModules> parse_modules(std::string_view text) {
    format::KernelModules out;
    size_t line_no = 0;
    while (!text.empty()) {
        std::string_view line = next_line(text);
        ++line_no;
        if (line.empty()) continue;
        format::KernelModule m;
        std::string_view name = next_field(line);
        std::string_view size = next_field(line);
        next_field(line);  // refcount
        next_field(line);  // dependencies
        next_field(line);  // state
        std::string_view address = next_field(line);
        if (address.starts_with("0x")) address.remove_prefix(2);
        if (name.empty() || !parse_number(size, 10, m.size) || !parse_number(address, 16, m.base))
            return make_error("/proc/modules: malformed line " + std::to_string(line_no));
        m.name = std::string(name);
        out.modules.push_back(std::move(m));
    }
    return out;
}

}  // namespace sideband

Result<format::KernelModules> read_modules() {
    std::string text;
    if (int err = sideband::read_file("/proc/modules", text, 16 << 20)) {
        if (err == ENOENT) return format::KernelModules{};  // a kernel without loadable modules
        return make_error("kernel modules: " + sideband::read_error("/proc/modules", err));
    }
    auto mods = sideband::parse_modules(text);
    if (!mods) return make_error("kernel modules: " + mods.error().message);
    for (auto& m : mods->modules) {
        std::string notes;
        if (sideband::read_file("/sys/module/" + m.name + "/notes/.note.gnu.build-id", notes, 64 << 10) != 0)
            continue;  // unknown: the analyzer then matches the module by name only
        auto span = std::span(reinterpret_cast<const uint8_t*>(notes.data()), notes.size());
        if (auto id = sideband::find_gnu_build_id(span)) m.build_id = std::move(*id);
    }
    std::stable_sort(mods->modules.begin(), mods->modules.end(),
                     [](const format::KernelModule& a, const format::KernelModule& b) { return a.base < b.base; });
    return mods;
}

}  // namespace kiln::recorder
