#include "analyzer/symbolize/debug_sections.h"

#include <gelf.h>
#include <libdeflate.h>
#include <zstd.h>

#include <cstring>
#include <string_view>

#ifndef ELFCOMPRESS_ZSTD
#define ELFCOMPRESS_ZSTD 2  // elf.h of glibc before 2.37
#endif

namespace kiln::analyzer {

namespace {

// Sections libdw indexes that the symbolizer never reads: variable locations and macros.
// Hidden (typed SHT_NOBITS, which libdw skips) rather than decompressed.
bool unread_section(std::string_view name) {
    for (std::string_view s : {".debug_loc", ".debug_loclists", ".debug_macro", ".debug_macinfo"})
        if (name == s) return true;
    return false;
}

struct DeflateDecompressor {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    ~DeflateDecompressor() {
        if (d) libdeflate_free_decompressor(d);
    }
};

// Decompresses `in` (the bytes after the Chdr) into out[0, size); false if it does not give
// exactly size bytes.
bool decompress(uint32_t type, const uint8_t* in, size_t in_size, uint8_t* out, size_t size) {
    if (type == ELFCOMPRESS_ZLIB) {
        thread_local DeflateDecompressor z;
        size_t got = 0;
        return z.d && libdeflate_zlib_decompress(z.d, in, in_size, out, size, &got) == LIBDEFLATE_SUCCESS && got == size;
    }
    if (type == ELFCOMPRESS_ZSTD) {
        const size_t got = ZSTD_decompress(out, size, in, in_size);
        return !ZSTD_isError(got) && got == size;
    }
    return false;
}

// The most `in` can decompress to, so that a header claiming more (a damaged or hostile
// file: 4 GiB from a few bytes) is refused before that much is allocated. Deflate expands
// at most 1032:1 (a 258-byte match per 2 bits); a zstd frame states its size, or else
// expands at most 32768:1 (a 128 KiB RLE block per 4 bytes).
size_t max_decompressed(uint32_t type, const uint8_t* in, size_t in_size) {
    if (type == ELFCOMPRESS_ZLIB) return in_size * 1032 + 64;
    if (type == ELFCOMPRESS_ZSTD) {
        const unsigned long long stated = ZSTD_getFrameContentSize(in, in_size);
        if (stated != ZSTD_CONTENTSIZE_UNKNOWN && stated != ZSTD_CONTENTSIZE_ERROR) return static_cast<size_t>(stated);
        return in_size * 32768 + 64;
    }
    return 0;
}

}  // namespace

void DebugSectionInflater::prepare(Elf* elf) {
    size_t shstrndx = 0;
    if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0) return;
    const int elf_class = gelf_getclass(elf);
    const size_t chdr_size = elf_class == ELFCLASS64 ? sizeof(Elf64_Chdr) : sizeof(Elf32_Chdr);
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn)) != nullptr;) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_COMPRESSED) || shdr.sh_type == SHT_NOBITS) continue;
        const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
        if (!name || std::strncmp(name, ".debug_", 7) != 0) continue;
        if (unread_section(name)) {
            shdr.sh_type = SHT_NOBITS;
            if (gelf_update_shdr(scn, &shdr)) ++hidden_;
            continue;
        }
        auto fail = [&] { failed_.append(failed_.empty() ? "" : ", ").append(name); };
        GElf_Chdr chdr;
        if (!gelf_getchdr(scn, &chdr) || chdr.ch_size == 0 || chdr.ch_size > (size_t{1} << 32)) {
            fail();
            continue;
        }
        // The section's data descriptor, holding the compressed bytes (Chdr first); libdw's own
        // elf_getdata later returns this same descriptor, now with the decompressed bytes.
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (!data || !data->d_buf || data->d_size <= chdr_size) {
            fail();
            continue;
        }
        const size_t size = static_cast<size_t>(chdr.ch_size);
        const auto* in = static_cast<const uint8_t*>(data->d_buf) + chdr_size;
        const size_t in_size = data->d_size - chdr_size;
        if (size > max_decompressed(chdr.ch_type, in, in_size)) {
            fail();
            continue;
        }
        std::unique_ptr<uint8_t[]> out(new uint8_t[size]);  // default-initialised: fully written
        if (!decompress(chdr.ch_type, in, in_size, out.get(), size)) {
            fail();
            continue;
        }
        GElf_Shdr plain = shdr;
        plain.sh_flags &= ~static_cast<GElf_Xword>(SHF_COMPRESSED);
        plain.sh_size = size;
        plain.sh_addralign = chdr.ch_addralign;
        if (!gelf_update_shdr(scn, &plain)) continue;
        data->d_buf = out.get();
        data->d_size = size;
        data->d_type = ELF_T_BYTE;
        data->d_align = chdr.ch_addralign;
        data->d_off = 0;
        buffers_.push_back(std::move(out));
    }
}

bool has_debug_info_section(Elf* elf) {
    size_t shstrndx = 0;
    if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0) return false;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn)) != nullptr;) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS) continue;
        const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
        if (name && (std::strcmp(name, ".debug_info") == 0 || std::strcmp(name, ".zdebug_info") == 0)) return true;
    }
    return false;
}

uint64_t first_load_address(Elf* elf) {
    size_t n = 0;
    if (!elf || elf_getphdrnum(elf, &n) != 0) return ~0ull;
    for (size_t i = 0; i < n; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD) {
            const uint64_t align = ph.p_align > 1 ? ph.p_align : 1;
            return ph.p_vaddr & ~(align - 1);
        }
    }
    return ~0ull;
}

}  // namespace kiln::analyzer
