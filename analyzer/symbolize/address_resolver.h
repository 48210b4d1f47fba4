// Turns raw frames into profile locations: user code through the binary found by build-id
// and its ELF/DWARF data, kernel code through the recorded kallsyms, JIT code through the
// recorded perf maps. Each distinct frame is resolved once; each binary is opened once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/model/process_model.h"
#include "analyzer/profile/profile.h"
#include "analyzer/symbolize/binary_preloader.h"
#include "analyzer/symbolize/dwarf_symbolizer.h"
#include "analyzer/symbolize/jit_symbols.h"
#include "analyzer/symbolize/kernel_symbols.h"
#include "analyzer/unwind/raw_frame.h"

namespace kiln::analyzer {

// What happened to one binary the samples touched.
struct BinaryStatus {
    std::string path;
    std::string build_id;     // hex, "" if none was recorded
    std::string found_at;     // file used, "" when none
    std::string found_via;
    std::string problem;      // why frames show as binary+0xOFFSET, "" when fine
    std::string damage;       // what in the file found is malformed ("; "-joined), "" when whole
    bool has_dwarf = false;
    uint32_t mapping = 0;     // Profile mapping id (index + 1)
};

class AddressResolver {
public:
    // kernel, jit and binaries are borrowed: one set serves the profiles of every view.
    AddressResolver(const ProcessModel& model, const KernelSymbolTable& kernel, const JitSymbolTable& jit,
                    BinaryOpener& binaries, Profile& profile, std::vector<uint8_t> kernel_build_id);
    ~AddressResolver();

    // Index into profile.locations.
    uint32_t location(const RawFrame& frame);
    std::vector<BinaryStatus> binaries() const;

private:
    struct Binary;
    Binary& binary(uint32_t dso);
    uint32_t function(const std::string& name, const std::string& system_name, const std::string& file,
                      int64_t start_line);
    uint32_t add_location(Location loc);
    uint32_t kernel_location(uint64_t ip);
    uint32_t user_location(const RawFrame& frame);
    uint32_t anonymous_location(const Dso& dso, uint64_t ip);
    uint32_t named_location(uint32_t mapping, uint64_t address, FrameKind kind, const std::string& name);

    const ProcessModel& model_;
    const KernelSymbolTable& kernel_;
    const JitSymbolTable& jit_;
    BinaryOpener& opener_;
    Profile& profile_;
    std::vector<uint8_t> kernel_build_id_;
    uint32_t kernel_mapping_ = 0;
    std::unordered_map<RawFrame, uint32_t, RawFrameHash> cache_;
    std::unordered_map<std::string, uint32_t> functions_;
    std::unordered_map<uint32_t, std::unique_ptr<Binary>> binaries_;
};

}  // namespace kiln::analyzer
