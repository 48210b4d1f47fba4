// Kernel addresses to names, from the kallsyms and module list recorded with the samples
// (not from the machine running the analysis).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/sideband.h"

namespace kiln::analyzer {

struct KernelFrame {
    std::string name;    // "do_syscall_64", or "[kernel]+0x..." when no symbol covers it
    std::string module;  // "" for the kernel image, else the module's name
    bool found = false;
};

class KernelSymbolTable {
public:
    KernelSymbolTable(format::KernelSymbols symbols, const format::KernelModules& modules,
                      const format::KernelImage& image);
    KernelFrame resolve(uint64_t ip) const;
    bool empty() const { return symbols_.empty(); }

private:
    std::vector<format::KernelSymbol> symbols_;  // sorted by address
    std::vector<format::KernelModule> modules_;  // sorted by base
    uint64_t text_end_ = 0;
};

}  // namespace kiln::analyzer
