// read_build_id(): the GNU build-id of an ELF file through libelf. The file is read with
// ELF_C_READ (pread of the headers and note data only), not mmap: a file truncated while we
// read it must give an error, not a SIGBUS.
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "pmu/elf_file.h"
#include "recorder/sideband/note_parser.h"
#include "recorder/sideband/proc_files.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::recorder {

namespace {

// Build-id notes are a few dozen bytes; a note area larger than this is not worth reading.
constexpr uint64_t kMaxNoteBytes = 1u << 20;

std::optional<std::vector<uint8_t>> build_id_in(Elf_Data* data) {
    if (!data || !data->d_buf) return std::nullopt;
    GElf_Nhdr nhdr;
    size_t name_off = 0;
    size_t desc_off = 0;
    size_t offset = 0;
    while (offset < data->d_size) {
        size_t next = gelf_getnote(data, offset, &nhdr, &name_off, &desc_off);
        if (next == 0) break;
        const auto* base = static_cast<const uint8_t*>(data->d_buf);
        if (nhdr.n_type == sideband::kNoteGnuBuildId && nhdr.n_namesz == 4 &&
            std::memcmp(base + name_off, "GNU", 4) == 0 && desc_off + nhdr.n_descsz <= data->d_size)
            return std::vector<uint8_t>(base + desc_off, base + desc_off + nhdr.n_descsz);
        offset = next;
    }
    return std::nullopt;
}

std::optional<std::vector<uint8_t>> from_segments(Elf* elf) {
    size_t count = 0;
    if (elf_getphdrnum(elf, &count) != 0) return std::nullopt;
    for (size_t i = 0; i < count; ++i) {
        GElf_Phdr phdr;
        if (!gelf_getphdr(elf, static_cast<int>(i), &phdr) || phdr.p_type != PT_NOTE || phdr.p_filesz > kMaxNoteBytes)
            continue;
        Elf_Data* data = elf_getdata_rawchunk(elf, static_cast<int64_t>(phdr.p_offset), phdr.p_filesz,
                                              phdr.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
        if (auto id = build_id_in(data)) return id;
    }
    return std::nullopt;
}

std::optional<std::vector<uint8_t>> from_sections(Elf* elf) {
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE || shdr.sh_size > kMaxNoteBytes) continue;
        for (Elf_Data* data = elf_getdata(scn, nullptr); data; data = elf_getdata(scn, data))
            if (auto id = build_id_in(data)) return id;
    }
    return std::nullopt;
}

}  // namespace

Result<std::vector<uint8_t>> read_build_id(const std::string& path) {
    if (!pmu::libelf_ready()) return make_error(path + ": libelf failed to initialize: " + elf_errmsg(-1));
    pmu::ElfFile f;
    // O_NONBLOCK: opening a FIFO that a maps path now names must not block.
    f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (f.fd < 0) return make_error(sideband::read_error(path, errno));
    struct stat st;
    if (::fstat(f.fd, &st) != 0) return make_error(sideband::read_error(path, errno));
    if (!S_ISREG(st.st_mode)) return make_error(path + ": not a regular file, no build-id read");
    f.elf = elf_begin(f.fd, ELF_C_READ, nullptr);
    if (!f.elf) return make_error(path + ": cannot read as ELF: " + elf_errmsg(-1));
    if (elf_kind(f.elf) != ELF_K_ELF) return make_error(path + ": not an ELF file");
    if (auto id = from_segments(f.elf)) return std::move(*id);
    if (auto id = from_sections(f.elf)) return std::move(*id);
    return make_error(path + ": no GNU build-id note (link with --build-id to have one)");
}

Result<std::vector<uint8_t>> build_id_of_image(std::vector<uint8_t>& image, const std::string& name) {
    if (!pmu::libelf_ready()) return make_error(name + ": libelf failed to initialize: " + elf_errmsg(-1));
    Elf* elf = elf_memory(reinterpret_cast<char*>(image.data()), image.size());
    if (!elf) return make_error(name + ": cannot read as ELF: " + elf_errmsg(-1));
    std::optional<std::vector<uint8_t>> id;
    if (elf_kind(elf) == ELF_K_ELF) {
        id = from_segments(elf);
        if (!id) id = from_sections(elf);
    }
    elf_end(elf);
    if (!id) return make_error(name + ": no GNU build-id note");
    return std::move(*id);
}

}  // namespace kiln::recorder
