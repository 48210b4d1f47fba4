#include "analyzer/symbolize/kernel_symbols.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace kiln::analyzer {

KernelSymbolIndex::KernelSymbolIndex(const format::KernelSymbols& symbols) {
    for (const auto& s : symbols.symbols) add(s.address, s.name, s.module);
    finish();
}

void KernelSymbolIndex::add(uint64_t address, std::string_view name, std::string_view module) {
    // Consecutive symbols nearly always share their module: compare with the last one first.
    uint16_t mod = 0;
    if (!module.empty()) {
        const uint16_t last = entries_.empty() ? 0 : entries_.back().module;
        if (modules_[last] == module) {
            mod = last;
        } else {
            auto it = std::find(modules_.begin(), modules_.end(), module);
            if (it == modules_.end()) {
                if (modules_.size() > std::numeric_limits<uint16_t>::max()) return;  // a corrupt list: drop
                it = modules_.insert(modules_.end(), std::string(module));
            }
            mod = static_cast<uint16_t>(it - modules_.begin());
        }
    }
    name = name.substr(0, std::numeric_limits<uint16_t>::max());
    if (names_.size() + name.size() > std::numeric_limits<uint32_t>::max()) return;  // 4 GiB of names: corrupt
    sorted_ &= entries_.empty() || entries_.back().address <= address;
    entries_.push_back(Entry{address, static_cast<uint32_t>(names_.size()), static_cast<uint16_t>(name.size()), mod});
    names_.append(name);
}

void KernelSymbolIndex::finish() {
    // The recorder stores them sorted; a foreign or damaged file may not be.
    if (!sorted_)
        std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.address < b.address; });
    sorted_ = true;
}

bool KernelSymbolIndex::find(uint64_t ip, Found& out) const {
    auto it = std::upper_bound(entries_.begin(), entries_.end(), ip, [](uint64_t v, const Entry& e) { return v < e.address; });
    if (it == entries_.begin()) return false;
    const Entry& e = *std::prev(it);
    out.address = e.address;
    out.name = std::string_view(names_).substr(e.name, e.name_len);
    out.module = modules_[e.module];
    return true;
}

KernelSymbolTable::KernelSymbolTable(KernelSymbolIndex symbols, const format::KernelModules& modules,
                                     const format::KernelImage& image)
    : symbols_(std::move(symbols)), modules_(modules.modules), text_end_(image.text_end) {
    symbols_.finish();
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

    KernelSymbolIndex::Found s;
    if (symbols_.find(ip, s)) {
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
