// A binary's .eh_frame as binutils' `readelf --debug-dump=frames-interp` prints it: per FDE,
// rows "LOC CFA reg... ra" giving from LOC on the CFA ("rsp+80", "rbp+16", "exp") and each
// register's rule ("c-8": saved at CFA - 8, "u": not saved so far, "s": same value).
// The test build writes that text beside golden_app_nofp; recording_script reads it to build
// -g dwarf stack copies without using the CFI reader under test.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "formats/result.h"

namespace kiln::testing {

struct CfaRow {
    uint64_t loc = 0;
    std::string cfa;                          // as printed: "rsp+8", "rbp+16", "exp"
    std::map<std::string, std::string> regs;  // column ("rbp", "ra", "rbx" ...) → rule as printed
};

class EhFrameTable {
public:
    // text: the output of readelf --debug-dump=frames-interp (only .eh_frame is read).
    static Result<EhFrameTable> parse(const std::string& text);
    // The row in effect at vaddr, or nullptr when no FDE covers it.
    const CfaRow* row_at(uint64_t vaddr) const;
    size_t fde_count() const { return fdes_.size(); }

private:
    struct Fde {
        uint64_t lo = 0, hi = 0;
        std::vector<CfaRow> rows;  // ascending loc
    };
    std::vector<Fde> fdes_;
};

}  // namespace kiln::testing
