// User-space probes through the kernel's uprobe PMU: uprobe:PATH:SYMBOL[+OFFSET] and
// uretprobe:PATH:SYMBOL, resolved to a file offset with libelf (no tracefs probe is created).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "formats/result.h"
#include "pmu/event_resolver.h"

namespace kiln::pmu {

struct UprobeSpec {
    bool retprobe = false;
    std::string path;         // as given
    std::string symbol;
    uint64_t offset = 0;      // bytes past the symbol's entry (uprobe only)
    std::string offset_text;  // "+OFFSET" as given, empty without one
};

// Whether spec asks for a uprobe or uretprobe ("uprobe:..." / "uretprobe:...").
bool is_uprobe_spec(std::string_view spec);
Result<UprobeSpec> parse_uprobe_spec(std::string_view spec);

struct SymbolOffset {
    uint64_t file_offset = 0;  // of the symbol's first byte in the file
    uint64_t size = 0;         // st_size (0 when the symbol table does not say)
};
// Finds the function SYMBOL (.symtab, then .dynsym) in the ELF file at path. An unknown
// name fails with the closest function names of that file.
Result<SymbolOffset> find_function(const std::string& path, std::string_view symbol);

struct UprobePmu {
    uint32_t type = 0;
    uint64_t retprobe_bit = 0;  // the config bit that makes a uretprobe
};
// Reads the uprobe PMU's type and retprobe format bit under sysfs_dir.
Result<UprobePmu> uprobe_pmu(const std::string& sysfs_dir = "/sys/bus/event_source/devices/uprobe");

// The whole spec to an event of kind kUprobe: probe_path holds the absolute path, which the
// recorder points attr.config1 at when it opens the event; attr.config2 is the file offset.
// Does not ask the kernel; resolve_event() does.
Result<ResolvedEvent> make_uprobe_event(std::string_view spec, const std::string& sysfs_dir = "/sys/bus/event_source/devices/uprobe");

}  // namespace kiln::pmu
