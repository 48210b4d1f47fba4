#include "analyzer/symbolize/binary_locator.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "formats/cache_dirs.h"
#include "formats/perf_data_import.h"
#include "formats/sideband.h"

namespace kiln::analyzer {

namespace {

struct ElfFile {
    int fd = -1;
    Elf* elf = nullptr;
    explicit ElfFile(const std::string& path) {
        elf_version(EV_CURRENT);
        fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    }
    ~ElfFile() {
        if (elf) elf_end(elf);
        if (fd >= 0) close(fd);
    }
    ElfFile(const ElfFile&) = delete;
    ElfFile& operator=(const ElfFile&) = delete;
};

bool is_regular_file(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// ".build-id/ab/cdef....", as debug directories and debuginfod caches lay files out.
std::string build_id_relative(const std::string& hex) { return ".build-id/" + hex.substr(0, 2) + "/" + hex.substr(2); }

std::string join_list(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

}  // namespace

Result<std::vector<uint8_t>> read_elf_build_id(const std::string& path) {
    ElfFile f(path);
    if (f.fd < 0) return make_error(path + ": " + std::strerror(errno));
    if (!f.elf || elf_kind(f.elf) != ELF_K_ELF) return make_error(path + ": not an ELF file");
    const void* id = nullptr;
    const ssize_t n = dwelf_elf_gnu_build_id(f.elf, &id);
    if (n <= 0) return std::vector<uint8_t>{};
    const auto* p = static_cast<const uint8_t*>(id);
    return std::vector<uint8_t>(p, p + n);
}

std::string gnu_debuglink(const std::string& path) {
    ElfFile f(path);
    if (!f.elf) return "";
    GElf_Word crc = 0;
    const char* name = dwelf_elf_gnu_debuglink(f.elf, &crc);
    return name && !std::strchr(name, '/') ? name : "";
}

bool elf_has_debug_info(const std::string& path) {
    ElfFile f(path);
    if (!f.elf) return false;
    size_t shstrndx = 0;
    if (elf_getshdrstrndx(f.elf, &shstrndx) != 0) return false;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(f.elf, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS) continue;
        const char* name = elf_strptr(f.elf, shstrndx, sh.sh_name);
        if (name && (std::strcmp(name, ".debug_info") == 0 || std::strcmp(name, ".zdebug_info") == 0)) return true;
    }
    return false;
}

BinaryLocator::BinaryLocator(LocatorOptions options) : options_(std::move(options)) {
    if (options_.use_perf_build_id_cache) perf_cache_ = format::perf_build_id_cache_dir();
    if (options_.use_kiln_build_id_cache) kiln_cache_ = format::kiln_cache_dir();
}

BinaryLocator::~BinaryLocator() = default;

Result<LocatedBinary> BinaryLocator::locate(const std::string& recorded_path, std::span<const uint8_t> build_id,
                                            LocateFailure* failure) {
    const std::string key = recorded_path + '\0' + format::build_id_hex(build_id);
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it == cache_.end()) it = cache_.emplace(key, find(recorded_path, build_id)).first;
    if (failure) *failure = it->second.failure;
    return it->second.result;
}

std::string BinaryLocator::debuginfod_fetch(std::span<const uint8_t> build_id, bool debuginfo, std::string& error) {
    const char* urls = std::getenv("DEBUGINFOD_URLS");
    if (!options_.use_debuginfod || !urls || !*urls) return "";
    std::string why;
    std::string path = debuginfod_.fetch(build_id, debuginfo, why);
    if (path.empty()) error = std::string("debuginfod (") + urls + "): " + why;
    return path;
}

std::string BinaryLocator::find_debug_file(const std::string& hex, const std::string& binary,
                                           std::vector<std::string>& looked) {
    std::vector<std::string> roots = options_.debug_dirs;
    if (!options_.symfs.empty()) {
        roots.push_back(options_.symfs);
        roots.push_back(options_.symfs + "/usr/lib/debug");
    }
    std::vector<std::string> paths;
    for (const auto& root : roots) paths.push_back(root + "/" + build_id_relative(hex) + ".debug");
    if (!perf_cache_.empty()) paths.push_back(perf_cache_ + "/" + build_id_relative(hex) + "/debug");
    // The .gnu_debuglink name, where GDB looks for it: beside the binary, in .debug/ there,
    // and under each debug directory by the binary's directory.
    const std::string link = gnu_debuglink(binary);
    if (!link.empty()) {
        const size_t slash = binary.rfind('/');
        const std::string dir = slash == std::string::npos ? "." : binary.substr(0, slash);
        paths.push_back(dir + "/" + link);
        paths.push_back(dir + "/.debug/" + link);
        for (const auto& d : options_.debug_dirs) paths.push_back(d + dir + "/" + link);
    }
    for (const auto& p : paths) {
        if (p == binary) continue;
        looked.push_back(p);
        if (!is_regular_file(p)) continue;
        auto id = read_elf_build_id(p);
        if (id && format::build_id_hex(*id) == hex) return p;
    }
    return "";
}

BinaryLocator::Lookup BinaryLocator::find(const std::string& recorded_path, std::span<const uint8_t> build_id) {
    const std::string hex = format::build_id_hex(build_id);
    std::vector<std::string> candidates;  // (path, how) in order of preference
    std::vector<std::string> how;
    candidates.push_back(recorded_path);
    how.push_back("recorded path");
    if (!hex.empty()) {
        for (const auto& d : options_.debug_dirs) {
            candidates.push_back(d + "/" + build_id_relative(hex));
            how.push_back(d + "/.build-id");
        }
    }
    if (!hex.empty() && !kiln_cache_.empty()) {
        candidates.push_back(format::build_id_cache_file(kiln_cache_, hex));
        how.push_back("kiln's build-id cache");
    }
    if (!hex.empty() && !perf_cache_.empty()) {
        // DIR/.build-id/ab/cdef... is a link to DIR/PATH/BUILD-ID/, which holds the file as `elf`.
        candidates.push_back(perf_cache_ + "/" + build_id_relative(hex) + "/elf");
        how.push_back("perf's build-id cache");
    }
    if (!options_.symfs.empty()) {
        candidates.push_back(options_.symfs + recorded_path);
        how.push_back("symfs");
        if (!hex.empty()) {
            candidates.push_back(options_.symfs + "/" + build_id_relative(hex));
            how.push_back("symfs");
        }
    }

    if (hex.empty()) {
        // Nothing to verify against: the first readable candidate is the best there is.
        for (size_t i = 0; i < candidates.size(); ++i)
            if (is_regular_file(candidates[i])) {
                LocatedBinary b{candidates[i], "", how[i] + " (no build-id recorded)"};
                return {std::move(b)};
            }
        return {make_error(recorded_path + ": not found and no build-id recorded to look it up by"),
                LocateFailure::kNotFound};
    }

    std::vector<std::string> looked, mismatches, unreadable;
    LocatedBinary found;
    for (size_t i = 0; i < candidates.size() && found.path.empty(); ++i) {
        looked.push_back(candidates[i]);
        if (!is_regular_file(candidates[i])) continue;
        auto id = read_elf_build_id(candidates[i]);
        if (!id) {
            unreadable.push_back(id.error().message);
            continue;
        }
        const std::string got = format::build_id_hex(*id);
        if (got == hex)
            found = {candidates[i], "", how[i]};
        else
            mismatches.push_back(candidates[i] + " has " + (got.empty() ? "no build-id" : got));
    }
    std::string debuginfod_error;
    if (found.path.empty()) {
        std::string p = debuginfod_fetch(build_id, false, debuginfod_error);
        if (!p.empty()) found = {p, "", "debuginfod"};
    }
    if (found.path.empty()) {
        std::string msg = recorded_path + ": ";
        if (!mismatches.empty())
            msg += "build-id mismatch: recorded " + hex + ", but " + join_list(mismatches) + "; ";
        else
            msg += "not found (build-id " + hex + "); ";
        msg += "looked in " + join_list(looked);
        if (!unreadable.empty()) msg += "; unusable: " + join_list(unreadable);
        if (!debuginfod_error.empty())
            msg += "; " + debuginfod_error;
        else if (!std::getenv("DEBUGINFOD_URLS"))
            msg += " (set DEBUGINFOD_URLS to ask a debuginfod server)";
        return {make_error(msg), mismatches.empty() ? LocateFailure::kNotFound : LocateFailure::kBuildIdMismatch};
    }
    // Stripped binaries keep their DWARF in a separate file with the same build-id.
    if (!elf_has_debug_info(found.path)) {
        std::vector<std::string> debug_looked;
        found.debug_path = find_debug_file(hex, found.path, debug_looked);
        if (found.debug_path.empty()) {
            std::string ignored;
            found.debug_path = debuginfod_fetch(build_id, true, ignored);
        }
    }
    return {std::move(found)};
}

}  // namespace kiln::analyzer
