#include "analyzer/symbolize/address_resolver.h"

#include <cstdio>

#include "formats/sideband.h"

namespace kiln::analyzer {

namespace {
// User objects get disjoint synthetic address ranges in the profile, so that pprof's
// address - start + offset arithmetic yields the file offset and mappings never overlap.
constexpr uint64_t kSyntheticBase = 1ull << 40;
constexpr uint64_t kSyntheticSpan = 1ull << 36;

std::string base_name(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string offset_name(const std::string& what, uint64_t off) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "+0x%llx", static_cast<unsigned long long>(off));
    return what + buf;
}
}  // namespace

struct AddressResolver::Binary {
    BinaryStatus status;
    std::shared_ptr<BinarySymbols> symbols;
    uint64_t base = 0;
};

AddressResolver::AddressResolver(const ProcessModel& model, const KernelSymbolTable& kernel,
                                 const JitSymbolTable& jit, BinaryOpener& binaries, Profile& profile,
                                 std::vector<uint8_t> kernel_build_id)
    : model_(model),
      kernel_(kernel),
      jit_(jit),
      opener_(binaries),
      profile_(profile),
      kernel_build_id_(std::move(kernel_build_id)) {}

AddressResolver::~AddressResolver() = default;

uint32_t AddressResolver::function(const std::string& name, const std::string& system_name, const std::string& file,
                                   int64_t start_line) {
    std::string key = name + '\0' + system_name + '\0' + file;
    auto [it, inserted] = functions_.emplace(std::move(key), static_cast<uint32_t>(profile_.functions.size()));
    if (inserted) profile_.functions.push_back({name, system_name.empty() ? name : system_name, file, start_line});
    return it->second;
}

uint32_t AddressResolver::add_location(Location loc) {
    profile_.locations.push_back(std::move(loc));
    return static_cast<uint32_t>(profile_.locations.size() - 1);
}

uint32_t AddressResolver::named_location(uint32_t mapping, uint64_t address, FrameKind kind, const std::string& name) {
    Location loc;
    loc.mapping = mapping;
    loc.address = address;
    loc.kind = kind;
    loc.lines.push_back({function(name, name, "", 0), 0});
    return add_location(std::move(loc));
}

uint32_t AddressResolver::location(const RawFrame& frame) {
    auto it = cache_.find(frame);
    if (it != cache_.end()) return it->second;
    uint32_t id;
    if (frame.dso == kKernelDso)
        id = kernel_location(frame.addr);
    else if (frame.dso == kTruncatedDso)
        id = named_location(0, 0, FrameKind::Synthetic, "[truncated]");
    else if (frame.dso == kUnmappedDso)
        id = named_location(0, frame.addr, FrameKind::Unknown, "[unknown]");
    else
        id = user_location(frame);
    cache_.emplace(frame, id);
    return id;
}

uint32_t AddressResolver::kernel_location(uint64_t ip) {
    if (kernel_mapping_ == 0) {
        Mapping m;
        m.start = 0x8000000000000000ull;
        m.limit = UINT64_MAX;
        m.file = "[kernel.kallsyms]";
        m.build_id = format::build_id_hex(kernel_build_id_);
        m.has_functions = !kernel_.empty();
        profile_.mappings.push_back(std::move(m));
        kernel_mapping_ = static_cast<uint32_t>(profile_.mappings.size());
    }
    KernelFrame k = kernel_.resolve(ip);
    return named_location(kernel_mapping_, ip, k.found ? FrameKind::Kernel : FrameKind::Unknown, k.name);
}

AddressResolver::Binary& AddressResolver::binary(uint32_t dso_index) {
    auto& slot = binaries_[dso_index];
    if (slot) return *slot;
    slot = std::make_unique<Binary>();
    Binary& b = *slot;
    const Dso& dso = model_.dsos()[dso_index];
    b.status.path = dso.path;
    b.status.build_id = format::build_id_hex(dso.build_id);
    b.base = kSyntheticBase + kSyntheticSpan * dso_index;

    Mapping m;
    m.start = b.base;
    m.limit = b.base + kSyntheticSpan;
    m.file = dso.path;
    m.build_id = b.status.build_id;
    if (dso.kind == Dso::Kind::File) {
        OpenedBinary opened = opener_.open(dso.path, dso.build_id);
        auto& found = opened.located;
        if (!found) {
            b.status.problem = found.error().message;
        } else {
            b.status.found_at = found->path;
            b.status.found_via = found->found_via;
            auto& syms = opened.symbols;
            if (!syms) {
                b.status.problem = syms.error().message;
            } else {
                b.symbols = *syms;
                b.status.has_dwarf = b.symbols->has_dwarf();
                for (const auto& d : b.symbols->damage())
                    b.status.damage += (b.status.damage.empty() ? "" : "; ") + d;
                m.has_functions = true;
                m.has_filenames = m.has_line_numbers = m.has_inline_frames = b.status.has_dwarf;
            }
        }
    }
    profile_.mappings.push_back(std::move(m));
    b.status.mapping = static_cast<uint32_t>(profile_.mappings.size());
    return b;
}

uint32_t AddressResolver::user_location(const RawFrame& frame) {
    const Dso& dso = model_.dsos()[frame.dso];
    if (dso.kind == Dso::Kind::Anonymous) return anonymous_location(dso, frame.addr);
    Binary& b = binary(frame.dso);
    const uint64_t address = b.base + frame.addr;
    if (dso.kind != Dso::Kind::File) return named_location(b.status.mapping, address, FrameKind::Unknown, dso.path);
    std::vector<SymbolizedFrame> frames;
    if (b.symbols) frames = b.symbols->resolve(frame.addr);
    if (frames.empty())
        return named_location(b.status.mapping, address, FrameKind::Unknown, offset_name(base_name(dso.path), frame.addr));
    Location loc;
    loc.mapping = b.status.mapping;
    loc.address = address;
    loc.kind = FrameKind::User;
    for (const auto& f : frames)
        loc.lines.push_back({function(f.function, f.mangled, f.file, f.function_start_line), f.line});
    return add_location(std::move(loc));
}

uint32_t AddressResolver::anonymous_location(const Dso& dso, uint64_t ip) {
    if (const std::string* name = jit_.resolve(dso.pid, ip)) return named_location(0, ip, FrameKind::Jit, *name);
    return named_location(0, ip, FrameKind::Unknown, "[unknown]");
}

std::vector<BinaryStatus> AddressResolver::binaries() const {
    std::vector<BinaryStatus> out;
    for (const auto& [dso, b] : binaries_)
        if (model_.dsos()[dso].kind == Dso::Kind::File) out.push_back(b->status);
    return out;
}

}  // namespace kiln::analyzer
