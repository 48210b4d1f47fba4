#include "analyzer/symbolize/kernel_symbols.h"

#include <algorithm>
#include <cstdio>

namespace kiln::analyzer {

KernelSymbolTable::KernelSymbolTable(format::KernelSymbols symbols, const format::KernelModules& modules,
                                     const format::KernelImage& image)
    : symbols_(std::move(symbols.symbols)), modules_(modules.modules), text_end_(image.text_end) {
    // The recorder stores them sorted; a foreign or damaged file may not be.
    if (!std::is_sorted(symbols_.begin(), symbols_.end(),
                        [](const auto& a, const auto& b) { return a.address < b.address; }))
        std::stable_sort(symbols_.begin(), symbols_.end(),
                         [](const auto& a, const auto& b) { return a.address < b.address; });
    std::sort(modules_.begin(), modules_.end(), [](const auto& a, const auto& b) { return a.base < b.base; });
}

namespace {
std::string hex_name(const char* prefix, uint64_t v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s+0x%llx", prefix, static_cast<unsigned long long>(v));
    return buf;
}
}  // namespace

KernelFrame KernelSymbolTable::resolve(uint64_t ip) const {
    KernelFrame out;
    // Which module (if any) holds the address bounds how far a symbol may reach.
    const format::KernelModule* mod = nullptr;
    auto m = std::upper_bound(modules_.begin(), modules_.end(), ip,
                              [](uint64_t v, const format::KernelModule& km) { return v < km.base; });
    if (m != modules_.begin() && ip < std::prev(m)->base + std::prev(m)->size) mod = &*std::prev(m);

    auto it = std::upper_bound(symbols_.begin(), symbols_.end(), ip,
                               [](uint64_t v, const format::KernelSymbol& s) { return v < s.address; });
    if (it != symbols_.begin()) {
        const format::KernelSymbol& s = *std::prev(it);
        // A module symbol outside every recorded module is trusted only when that module's
        // extent is unknown (its /proc/modules line was not recorded).
        const bool module_unknown = std::none_of(modules_.begin(), modules_.end(),
                                                 [&s](const format::KernelModule& km) { return km.name == s.module; });
        const bool same_module = mod ? s.module == mod->name : (s.module.empty() || module_unknown);
        const bool in_text = mod || text_end_ == 0 || ip < text_end_ || !s.module.empty();
        if (same_module && in_text) {
            out.name = s.name;
            out.module = s.module;
            out.found = true;
            return out;
        }
    }
    if (mod) {
        out.module = mod->name;
        out.name = hex_name(("[" + mod->name + "]").c_str(), ip - mod->base);
    } else {
        out.name = hex_name("[kernel]", ip);
    }
    return out;
}

}  // namespace kiln::analyzer
