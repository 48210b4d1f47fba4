// libelf handles that close on every path out, shared by the readers of ELF files on the
// recording side (uprobe symbol offsets in pmu/, build-ids in recorder/sideband/).
#pragma once

#include <libelf.h>
#include <unistd.h>

namespace kiln::pmu {

// Whether libelf initialized (elf_version), asked once.
inline bool libelf_ready() {
    static const bool ready = elf_version(EV_CURRENT) != EV_NONE;
    return ready;
}

// A file descriptor and the Elf handle read from it; both released by the destructor.
class ElfFile {
public:
    ElfFile() = default;
    ElfFile(const ElfFile&) = delete;
    ElfFile& operator=(const ElfFile&) = delete;
    ~ElfFile() {
        if (elf) elf_end(elf);
        if (fd >= 0) ::close(fd);
    }
    int fd = -1;
    Elf* elf = nullptr;
};

}  // namespace kiln::pmu
