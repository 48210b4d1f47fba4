#include "tests/analyzer/eh_frame_table.h"

#include <sstream>

namespace kiln::testing {

namespace {

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

bool is_hex(const std::string& s, size_t digits) {
    return s.size() == digits && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

Result<EhFrameTable> EhFrameTable::parse(const std::string& text) {
    EhFrameTable table;
    std::map<uint64_t, std::vector<CfaRow>> cie_rows;  // CIE offset → its initial rows
    std::vector<CfaRow>* rows = nullptr;               // of the entry being read
    std::vector<std::string> columns;
    bool in_eh_frame = false;
    std::istringstream in(text);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
        ++n;
        if (line.rfind("Contents of the ", 0) == 0) {
            in_eh_frame = line.find(" .eh_frame section") != std::string::npos;
            rows = nullptr;
            continue;
        }
        const auto w = words(line);
        if (!in_eh_frame || w.empty()) continue;
        const std::string where = "readelf line " + std::to_string(n) + ": ";
        if (w.size() >= 4 && is_hex(w[0], 8) && w[3] == "CIE") {
            rows = &cie_rows[std::stoull(w[0], nullptr, 16)];
        } else if (w.size() >= 6 && is_hex(w[0], 8) && w[3] == "FDE") {
            if (w[4].rfind("cie=", 0) != 0 || w[5].rfind("pc=", 0) != 0) return make_error(where + "unexpected FDE line");
            auto cie = cie_rows.find(std::stoull(w[4].substr(4), nullptr, 16));
            if (cie == cie_rows.end()) return make_error(where + "FDE of an unknown CIE");
            const std::string range = w[5].substr(3);
            const size_t dots = range.find("..");
            if (dots == std::string::npos) return make_error(where + "no pc range");
            Fde fde;
            fde.lo = std::stoull(range.substr(0, dots), nullptr, 16);
            fde.hi = std::stoull(range.substr(dots + 2), nullptr, 16);
            // An FDE without rows of its own keeps its CIE's initial rules throughout.
            for (const CfaRow& r : cie->second) fde.rows.push_back({fde.lo, r.cfa, r.regs});
            table.fdes_.push_back(std::move(fde));
            rows = &table.fdes_.back().rows;
        } else if (w[0] == "LOC") {
            columns.assign(w.begin() + 1, w.end());
        } else if (is_hex(w[0], 16) && rows) {
            if (w.size() != columns.size() + 1 || columns.empty() || columns[0] != "CFA")
                return make_error(where + "row does not match its header");
            CfaRow r;
            r.loc = std::stoull(w[0], nullptr, 16);
            r.cfa = w[1];
            for (size_t i = 1; i < columns.size(); ++i) r.regs[columns[i]] = w[i + 1];
            // The FDE's own first row replaces the initial rules copied from its CIE.
            if (!rows->empty() && rows->back().loc == r.loc) rows->pop_back();
            rows->push_back(std::move(r));
        }
    }
    if (table.fdes_.empty()) return make_error("no FDE in the readelf output");
    return table;
}

const CfaRow* EhFrameTable::row_at(uint64_t vaddr) const {
    for (const Fde& f : fdes_) {
        if (vaddr < f.lo || vaddr >= f.hi) continue;
        const CfaRow* found = nullptr;
        for (const CfaRow& r : f.rows)
            if (r.loc <= vaddr) found = &r;
        return found;
    }
    return nullptr;
}

}  // namespace kiln::testing
