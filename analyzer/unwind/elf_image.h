// A binary's bytes as the unwinder reads them: its loadable segments (so addresses of the
// running image map to file bytes) and the .eh_frame_hdr binary-search table that locates
// the CFI of an address.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "formats/result.h"

namespace kiln::analyzer {

class ElfImage {
public:
    struct Segment {
        uint64_t vaddr, offset, filesz, memsz;
        bool exec;
    };
    static Result<std::unique_ptr<ElfImage>> open(const std::string& path);
    ~ElfImage();
    ElfImage(const ElfImage&) = delete;
    ElfImage& operator=(const ElfImage&) = delete;

    const std::string& path() const { return path_; }
    // The whole file, mapped privately.
    const uint8_t* bytes() const { return data_; }
    // The same bytes for libelf, which may rewrite section headers in them (this process's
    // copy of the page only).
    uint8_t* private_bytes() { return data_; }
    size_t size() const { return size_; }
    const std::vector<Segment>& segments() const { return segments_; }
    // The loadable segment holding a file offset, or nullptr.
    const Segment* segment_of_offset(uint64_t offset) const;
    // Reads n bytes at an ELF virtual address; false when not backed by file bytes.
    bool read_vaddr(uint64_t vaddr, void* out, size_t n) const;

    bool has_eh_frame_hdr() const { return eh_frame_hdr_vaddr_ != 0; }
    uint64_t eh_frame_hdr_vaddr() const { return eh_frame_hdr_vaddr_; }
    uint64_t fde_count() const { return fde_count_; }
    // Offset of the search table from the start of .eh_frame_hdr.
    uint64_t table_offset() const { return table_offset_; }
    // Why there is no usable table ("" when there is one).
    const std::string& eh_frame_problem() const { return eh_frame_problem_; }

private:
    ElfImage() = default;
    std::string path_;
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    std::vector<Segment> segments_;
    uint64_t eh_frame_hdr_vaddr_ = 0;
    uint64_t fde_count_ = 0;
    uint64_t table_offset_ = 0;
    std::string eh_frame_problem_;
};

}  // namespace kiln::analyzer
