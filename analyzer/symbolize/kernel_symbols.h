// Kernel addresses to names, from the kallsyms and module list recorded with the samples
// (not from the machine running the analysis).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formats/sideband.h"

namespace kiln::analyzer {

struct KernelFrame {
    std::string name;    // "do_syscall_64", or "[kernel]+0x..." when no symbol covers it
    std::string module;  // "" for the kernel image, else the module's name
    bool found = false;
};

// A recording's kernel symbols packed for lookup: 16 bytes per symbol and one block holding
// every name. Decoding 122k symbols into format::KernelSymbol (two strings each) cost ~12 ms
// of CPU per analysis, most of it allocating.
class KernelSymbolIndex {
public:
    KernelSymbolIndex() = default;
    explicit KernelSymbolIndex(const format::KernelSymbols& symbols);

    void add(uint64_t address, std::string_view name, std::string_view module);
    // Sorts by address (stably) if the symbols were not added in order.
    void finish();
    size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }

    // The last symbol at or below ip; false if none. The views live as long as the index.
    struct Found {
        uint64_t address;
        std::string_view name;
        std::string_view module;  // "" for the kernel image
    };
    bool find(uint64_t ip, Found& out) const;

private:
    struct Entry {
        uint64_t address;
        uint32_t name;      // offset in names_
        uint16_t name_len;  // kallsyms names are at most 512 bytes; past 64 KiB they are cut
        uint16_t module;    // index in modules_; 0 = the kernel image
    };
    std::vector<Entry> entries_;
    std::string names_;
    std::vector<std::string> modules_{""};
    bool sorted_ = true;
};

class KernelSymbolTable {
public:
    KernelSymbolTable(KernelSymbolIndex symbols, const format::KernelModules& modules, const format::KernelImage& image);
    KernelSymbolTable(const format::KernelSymbols& symbols, const format::KernelModules& modules,
                      const format::KernelImage& image)
        : KernelSymbolTable(KernelSymbolIndex(symbols), modules, image) {}
    KernelFrame resolve(uint64_t ip) const;
    bool empty() const { return symbols_.empty(); }

private:
    KernelSymbolIndex symbols_;
    std::vector<format::KernelModule> modules_;  // sorted by base
    uint64_t text_end_ = 0;
};

}  // namespace kiln::analyzer
