// Finds the file to symbolize a recorded binary with, by build-id: the recorded path when
// its build-id matches, then debug directories (.build-id trees), kiln's and perf's build-id caches, a
// --symfs root, then debuginfod. A file whose build-id differs is never used.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "analyzer/symbolize/debuginfod_client.h"
#include "formats/result.h"

namespace kiln::analyzer {

struct LocatorOptions {
    std::string symfs;  // --symfs DIR: DIR + recorded path, and DIR/.build-id/xx/rest[.debug]
    std::vector<std::string> debug_dirs = {"/usr/lib/debug"};  // each holds a .build-id/ tree
    bool use_debuginfod = true;  // only when DEBUGINFOD_URLS is set
    // perf's build-id cache (formats::perf_build_id_cache_dir(): $PERF_BUILDID_DIR or
    // ~/.debug), where perf record and an unpacked `perf archive` keep the files.
    bool use_perf_build_id_cache = true;
    // kiln's build-id cache (formats::kiln_cache_dir()/.build-id), where kiln record keeps the
    // binaries of other mount namespaces and deleted files (recorder/sideband/binary_capture.h).
    bool use_kiln_build_id_cache = true;
};

struct LocatedBinary {
    std::string path;        // ELF file whose build-id matched (symbol tables, code)
    std::string debug_path;  // separate debug file with the same build-id, "" if none
    std::string found_via;   // "recorded path", "/usr/lib/debug/.build-id", "kiln's build-id cache",
                             // "perf's build-id cache", "symfs", "debuginfod"
};

// Why locate() found no file to use.
enum class LocateFailure : uint8_t {
    kNone,             // it found one
    kNotFound,         // no candidate file exists (or none could be read), debuginfod had none
    kBuildIdMismatch,  // candidate files exist, but with another build-id
};

class BinaryLocator {
public:
    explicit BinaryLocator(LocatorOptions options);
    ~BinaryLocator();
    BinaryLocator(const BinaryLocator&) = delete;
    BinaryLocator& operator=(const BinaryLocator&) = delete;

    // build_id empty: unknown, the recorded path (or its symfs copy) is used as it is.
    // Safe to call from several threads. failure, when given, is set to why it failed
    // (kNone when it did not); the error's message says the same with the paths looked in.
    Result<LocatedBinary> locate(const std::string& recorded_path, std::span<const uint8_t> build_id,
                                 LocateFailure* failure = nullptr);

private:
    struct Lookup {
        Result<LocatedBinary> result;
        LocateFailure failure = LocateFailure::kNone;
    };
    Lookup find(const std::string& recorded_path, std::span<const uint8_t> build_id);
    // A separate debug file with build-id hex for binary (by .build-id tree, then by its
    // .gnu_debuglink name); "" if none.
    std::string find_debug_file(const std::string& hex, const std::string& binary, std::vector<std::string>& looked);
    std::string debuginfod_fetch(std::span<const uint8_t> build_id, bool debuginfo, std::string& error);

    LocatorOptions options_;
    std::string perf_cache_;  // perf's build-id cache directory, "" when not used
    std::string kiln_cache_;  // kiln's, "" when not used
    std::map<std::string, Lookup> cache_;
    DebuginfodClient debuginfod_;  // loaded and started on first use
    std::mutex mu_;                // guards all of the above in locate()
};

// The GNU build-id note of an ELF file; empty when it has none. Fails when the file cannot
// be read as ELF.
Result<std::vector<uint8_t>> read_elf_build_id(const std::string& path);

// The file name in an ELF file's .gnu_debuglink section; "" when it has none.
std::string gnu_debuglink(const std::string& path);

// Whether an ELF file carries DWARF debug info (.debug_info).
bool elf_has_debug_info(const std::string& path);

}  // namespace kiln::analyzer
