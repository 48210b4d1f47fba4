#include "analyzer/unwind/elf_image.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kiln::analyzer {

namespace {
constexpr uint8_t kPeOmit = 0xff, kPeUdata4 = 0x03, kPeSdata4 = 0x0b, kPeDatarel = 0x30;
}

Result<std::unique_ptr<ElfImage>> ElfImage::open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(path + ": " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(Elf64_Ehdr))) {
        ::close(fd);
        return make_error(path + ": too small for an ELF file");
    }
    // Writable but private: CfiRules hands these bytes to libelf (elf_memory), which uses the
    // section headers in place and rewrites them when libdw decompresses a .debug_* section
    // (a binary built with -gz, asked for .debug_frame). Those writes stay in this process's
    // copy of the page; the file never changes.
    void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) return make_error(path + ": mmap: " + std::strerror(errno));
    std::unique_ptr<ElfImage> img(new ElfImage());
    img->path_ = path;
    img->data_ = static_cast<uint8_t*>(p);
    img->size_ = static_cast<size_t>(st.st_size);

    Elf64_Ehdr eh;
    std::memcpy(&eh, img->data_, sizeof eh);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
        return make_error(path + ": not a 64-bit ELF file");
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > img->size_ ||
        eh.e_phnum > (img->size_ - eh.e_phoff) / sizeof(Elf64_Phdr))
        return make_error(path + ": bad program headers");
    uint64_t hdr_offset = 0, hdr_size = 0;
    for (size_t i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph;
        std::memcpy(&ph, img->data_ + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_LOAD && ph.p_offset <= img->size_ && ph.p_filesz <= img->size_ - ph.p_offset)
            img->segments_.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz, (ph.p_flags & PF_X) != 0});
        if (ph.p_type == PT_GNU_EH_FRAME) {
            img->eh_frame_hdr_vaddr_ = ph.p_vaddr;
            hdr_offset = ph.p_offset;
            hdr_size = ph.p_filesz;
        }
    }
    if (img->eh_frame_hdr_vaddr_ == 0) {
        img->eh_frame_problem_ = "no .eh_frame_hdr (PT_GNU_EH_FRAME)";
        return img;
    }
    // version, eh_frame_ptr encoding, fde_count encoding, table encoding, then the
    // encoded eh_frame_ptr and fde_count. The search table libunwind reads must be
    // datarel sdata4 pairs; linkers always write that.
    if (hdr_offset > img->size_ || hdr_size > img->size_ - hdr_offset || hdr_size < 12) {
        img->eh_frame_hdr_vaddr_ = 0;
        img->eh_frame_problem_ = ".eh_frame_hdr lies outside the file";
        return img;
    }
    const uint8_t* h = img->data_ + hdr_offset;
    const uint8_t ptr_enc = h[1], count_enc = h[2], table_enc = h[3];
    size_t at = 4 + (ptr_enc == kPeOmit ? 0 : 4);
    if (h[0] != 1 || (ptr_enc != kPeOmit && (ptr_enc & 0x0f) != kPeSdata4) || count_enc != kPeUdata4 ||
        table_enc != (kPeDatarel | kPeSdata4)) {
        img->eh_frame_hdr_vaddr_ = 0;
        img->eh_frame_problem_ = ".eh_frame_hdr has an encoding kiln does not read";
        return img;
    }
    uint32_t count;
    std::memcpy(&count, h + at, 4);
    at += 4;
    img->fde_count_ = count;
    img->table_offset_ = at;
    if (at + 8ull * count > hdr_size) {
        img->eh_frame_hdr_vaddr_ = 0;
        img->eh_frame_problem_ = ".eh_frame_hdr table is truncated";
    }
    return img;
}

ElfImage::~ElfImage() {
    if (data_) munmap(data_, size_);
}

const ElfImage::Segment* ElfImage::segment_of_offset(uint64_t offset) const {
    for (const auto& s : segments_)
        if (offset >= s.offset && offset < s.offset + s.filesz) return &s;
    return nullptr;
}

bool ElfImage::read_vaddr(uint64_t vaddr, void* out, size_t n) const {
    for (const auto& s : segments_) {
        if (vaddr < s.vaddr || vaddr >= s.vaddr + s.filesz) continue;
        if (n > s.vaddr + s.filesz - vaddr) return false;
        std::memcpy(out, data_ + s.offset + (vaddr - s.vaddr), n);
        return true;
    }
    return false;
}

}  // namespace kiln::analyzer
