#include "recorder/sideband/kallsyms.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "recorder/sideband/proc_files.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::recorder {

namespace sideband {

std::optional<KallsymsLine> parse_kallsyms_line(std::string_view line) {
    KallsymsLine out;
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0) return std::nullopt;
    auto [end, ec] = std::from_chars(line.data(), line.data() + sp, out.address, 16);
    if (ec != std::errc() || end != line.data() + sp) return std::nullopt;
    // " T name"
    if (line.size() < sp + 4 || line[sp + 2] != ' ') return std::nullopt;
    out.type = line[sp + 1];
    std::string_view rest = line.substr(sp + 3);
    size_t tab = rest.find('\t');
    out.name = rest.substr(0, tab);
    if (out.name.empty()) return std::nullopt;
    if (tab != std::string_view::npos) {
        std::string_view mod = rest.substr(tab + 1);
        if (mod.size() >= 2 && mod.front() == '[' && mod.back() == ']') mod = mod.substr(1, mod.size() - 2);
        out.module = mod;
    }
    return out;
}

}  // namespace sideband

Result<format::KernelSymbols> read_kallsyms(const std::string& path) {
    format::KernelSymbols out;
    out.symbols.reserve(1 << 17);
    size_t lines = 0;
    size_t malformed = 0;
    bool any_address = false;
    Status st = sideband::for_each_line(path, [&](std::string_view line) {
        if (line.empty()) return true;
        ++lines;
        auto sym = sideband::parse_kallsyms_line(line);
        if (!sym) {
            ++malformed;
            return true;
        }
        if (sym->address == 0) return true;
        any_address = true;
        if (!sideband::is_text_symbol_type(sym->type)) return true;
        out.symbols.push_back(
            format::KernelSymbol{sym->address, sym->type, std::string(sym->name), std::string(sym->module)});
        return true;
    });
    if (!st) return make_error("kernel symbols: " + st.error().message);
    if (lines == 0) return make_error("kernel symbols: " + path + " is empty");
    if (malformed == lines) return make_error("kernel symbols: " + path + " is not in kallsyms format");
    if (!any_address) {
        std::string restrict_value;
        if (sideband::read_file("/proc/sys/kernel/kptr_restrict", restrict_value, 64) == 0)
            restrict_value = " is " + std::string(sideband::trim_newline(restrict_value));
        return make_error("kernel symbols: every address in " + path +
                          " is 0: kernel pointers are hidden (/proc/sys/kernel/kptr_restrict" + restrict_value +
                          "); run as root (CAP_SYSLOG), or set kernel.kptr_restrict=0 and "
                          "kernel.perf_event_paranoid<=1");
    }
    // /proc/kallsyms is nearly always in address order already; sorting 100k+ entries
    // anyway was the largest part of the recorder's start-up cost.
    auto by_address = [](const format::KernelSymbol& a, const format::KernelSymbol& b) { return a.address < b.address; };
    if (!std::is_sorted(out.symbols.begin(), out.symbols.end(), by_address))
        std::stable_sort(out.symbols.begin(), out.symbols.end(), by_address);
    return out;
}

}  // namespace kiln::recorder
