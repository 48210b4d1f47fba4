// Sideband payload layouts (see SPEC.md). Every payload is `u32 layout version` followed by
// the fields below, little-endian; strings and blobs are `u32 length` + bytes, lists are
// `u32 count` + items.
//
//   PROC_SNAPSHOT  u64 time_ns, list of process:
//                    i32 pid, i32 ppid, str comm, str exe, list of str cmdline,
//                    list of thread (i32 tid, str comm),
//                    list of mapping (u64 start, u64 end, u64 pgoff, u32 prot, u32 flags,
//                                     u64 inode, u32 dev_major, u32 dev_minor, str path,
//                                     blob build_id)
//   KALLSYMS       list of symbol (u64 address, u8 type, str name, str module)
//   MODULES        list of module (str name, u64 base, u64 size, blob build_id)
//   KERNEL_INFO    str release, blob build_id, u64 text_start, u64 text_end
//   PERF_MAP       i32 pid, str contents
//   BUILD_IDS      list of entry (i32 pid, str path, blob build_id)
//
// Decoders read untrusted bytes: every count is checked against the bytes left (using the
// smallest encoding of one item) before anything is reserved. Bytes after the last field are
// ignored: a newer minor version may append fields (SPEC.md, Compatibility).
#include "formats/sideband.h"

#include <optional>
#include <utility>

#include "formats/byte_cursor.h"
#include "formats/byte_io.h"

namespace kiln::format {

namespace {

constexpr uint32_t kSidebandPayloadVersion = 1;

// Smallest encodings of one list item, for checking counts before allocating.
constexpr size_t kU32 = 4;
constexpr size_t kU64 = 8;
constexpr size_t kMinStringSize = kU32;  // a string or blob is at least its length
constexpr size_t kMinProcessSize = kU32 + kU32 + kMinStringSize + kMinStringSize + kU32 + kU32 + kU32;
constexpr size_t kMinThreadSize = kU32 + kMinStringSize;
constexpr size_t kMinMappingSize = kU64 + kU64 + kU64 + kU32 + kU32 + kU64 + kU32 + kU32 + kMinStringSize + kU32;
constexpr size_t kMinKernelSymbolSize = kU64 + 1 + kMinStringSize + kMinStringSize;
constexpr size_t kMinKernelModuleSize = kMinStringSize + kU64 + kU64 + kU32;
constexpr size_t kMinBuildIdEntrySize = kU32 + kMinStringSize + kU32;

uint32_t count32(size_t n) { return static_cast<uint32_t>(n); }

ByteWriter start_payload() {
    ByteWriter w;
    w.u32(kSidebandPayloadVersion);
    return w;
}

// Reads and checks a payload's layout version. False (the cursor failed) when unknown.
bool read_version(ByteCursor& r) {
    const uint32_t v = r.u32();
    if (r.failed()) return false;
    if (v == kSidebandPayloadVersion) return true;
    r.fail("unknown layout version " + std::to_string(v) + " (this kiln reads version " +
           std::to_string(kSidebandPayloadVersion) + "; the recording was written by another kiln)");
    return false;
}

void put_mapping(ByteWriter& w, const MappingEntry& m) {
    w.u64(m.start);
    w.u64(m.end);
    w.u64(m.pgoff);
    w.u32(m.prot);
    w.u32(m.flags);
    w.u64(m.inode);
    w.u32(m.dev_major);
    w.u32(m.dev_minor);
    w.str(m.path);
    w.blob(m.build_id);
}

MappingEntry get_mapping(ByteCursor& r) {
    MappingEntry m;
    m.start = r.u64();
    m.end = r.u64();
    m.pgoff = r.u64();
    m.prot = r.u32();
    m.flags = r.u32();
    m.inode = r.u64();
    m.dev_major = r.u32();
    m.dev_minor = r.u32();
    m.path = r.str();
    m.build_id = r.blob();
    return m;
}

void put_process(ByteWriter& w, const ProcessEntry& p) {
    w.u32(static_cast<uint32_t>(p.pid));
    w.u32(static_cast<uint32_t>(p.ppid));
    w.str(p.comm);
    w.str(p.exe);
    w.u32(count32(p.cmdline.size()));
    for (const auto& arg : p.cmdline) w.str(arg);
    // tids and thread_comms are parallel; a missing name is written as "".
    w.u32(count32(p.tids.size()));
    for (size_t i = 0; i < p.tids.size(); ++i) {
        w.u32(static_cast<uint32_t>(p.tids[i]));
        w.str(i < p.thread_comms.size() ? std::string_view(p.thread_comms[i]) : std::string_view());
    }
    w.u32(count32(p.maps.size()));
    for (const auto& m : p.maps) put_mapping(w, m);
}

ProcessEntry get_process(ByteCursor& r, size_t index) {
    ProcessEntry p;
    r.set_context("process " + std::to_string(index));
    p.pid = r.i32();
    if (!r.failed()) r.set_context("pid " + std::to_string(p.pid));
    p.ppid = r.i32();
    p.comm = r.str();
    p.exe = r.str();
    uint32_t nargs = r.count(kMinStringSize, "cmdline arguments");
    p.cmdline.reserve(nargs);
    for (uint32_t i = 0; i < nargs && !r.failed(); ++i) p.cmdline.emplace_back(r.str());
    uint32_t nthreads = r.count(kMinThreadSize, "threads");
    p.tids.reserve(nthreads);
    p.thread_comms.reserve(nthreads);
    for (uint32_t i = 0; i < nthreads && !r.failed(); ++i) {
        p.tids.push_back(r.i32());
        p.thread_comms.emplace_back(r.str());
    }
    uint32_t nmaps = r.count(kMinMappingSize, "mappings");
    p.maps.reserve(nmaps);
    for (uint32_t i = 0; i < nmaps && !r.failed(); ++i) p.maps.push_back(get_mapping(r));
    r.set_context("");
    return p;
}

template <typename T>
Result<T> finish(const ByteCursor& r, T value) {
    if (r.failed()) return r.error();
    return value;
}

}  // namespace

std::vector<uint8_t> encode(const ProcessSnapshot& s) {
    ByteWriter w = start_payload();
    w.u64(s.time_ns);
    w.u32(count32(s.processes.size()));
    for (const auto& p : s.processes) put_process(w, p);
    return w.take();
}

Result<ProcessSnapshot> decode_process_snapshot(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "process snapshot");
    ProcessSnapshot s;
    if (!read_version(r)) return r.error();
    s.time_ns = r.u64();
    uint32_t n = r.count(kMinProcessSize, "processes");
    s.processes.reserve(n);
    for (uint32_t i = 0; i < n && !r.failed(); ++i) s.processes.push_back(get_process(r, i));
    return finish(r, std::move(s));
}

std::vector<uint8_t> encode(const KernelSymbols& s) {
    ByteWriter w = start_payload();
    w.u32(count32(s.symbols.size()));
    for (const auto& sym : s.symbols) {
        w.u64(sym.address);
        w.u8(static_cast<uint8_t>(sym.type));
        w.str(sym.name);
        w.str(sym.module);
    }
    return w.take();
}

Result<KernelSymbols> decode_kernel_symbols(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "kernel symbols");
    KernelSymbols s;
    if (!read_version(r)) return r.error();
    uint32_t n = r.count(kMinKernelSymbolSize, "symbols");
    s.symbols.reserve(n);
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
        KernelSymbol sym;
        sym.address = r.u64();
        sym.type = static_cast<char>(r.u8());
        sym.name = r.str();
        sym.module = r.str();
        s.symbols.push_back(std::move(sym));
    }
    return finish(r, std::move(s));
}

std::vector<uint8_t> encode(const KernelModules& s) {
    ByteWriter w = start_payload();
    w.u32(count32(s.modules.size()));
    for (const auto& m : s.modules) {
        w.str(m.name);
        w.u64(m.base);
        w.u64(m.size);
        w.blob(m.build_id);
    }
    return w.take();
}

Result<KernelModules> decode_kernel_modules(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "kernel modules");
    KernelModules s;
    if (!read_version(r)) return r.error();
    uint32_t n = r.count(kMinKernelModuleSize, "modules");
    s.modules.reserve(n);
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
        KernelModule m;
        m.name = r.str();
        m.base = r.u64();
        m.size = r.u64();
        m.build_id = r.blob();
        s.modules.push_back(std::move(m));
    }
    return finish(r, std::move(s));
}

std::vector<uint8_t> encode(const KernelImage& s) {
    ByteWriter w = start_payload();
    w.str(s.release);
    w.blob(s.build_id);
    w.u64(s.text_start);
    w.u64(s.text_end);
    return w.take();
}

Result<KernelImage> decode_kernel_image(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "kernel image");
    KernelImage s;
    if (!read_version(r)) return r.error();
    s.release = r.str();
    s.build_id = r.blob();
    s.text_start = r.u64();
    s.text_end = r.u64();
    return finish(r, std::move(s));
}

std::vector<uint8_t> encode(const PerfMapFile& s) {
    ByteWriter w = start_payload();
    w.u32(static_cast<uint32_t>(s.pid));
    w.str(s.contents);
    return w.take();
}

Result<PerfMapFile> decode_perf_map(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "perf map");
    PerfMapFile s;
    if (!read_version(r)) return r.error();
    s.pid = r.i32();
    s.contents = r.str();
    return finish(r, std::move(s));
}

std::vector<uint8_t> encode(const BuildIdTable& s) {
    ByteWriter w = start_payload();
    w.u32(count32(s.entries.size()));
    for (const auto& e : s.entries) {
        w.u32(static_cast<uint32_t>(e.pid));
        w.str(e.path);
        w.blob(e.build_id);
    }
    return w.take();
}

Result<BuildIdTable> decode_build_ids(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "build-id table");
    BuildIdTable s;
    if (!read_version(r)) return r.error();
    uint32_t n = r.count(kMinBuildIdEntrySize, "build-id entries");
    s.entries.reserve(n);
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
        BuildIdEntry e;
        e.pid = r.i32();
        e.path = r.str();
        e.build_id = r.blob();
        s.entries.push_back(std::move(e));
    }
    return finish(r, std::move(s));
}

std::string build_id_hex(std::span<const uint8_t> id) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(id.size() * 2);
    for (uint8_t b : id) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0xf]);
    }
    return out;
}

}  // namespace kiln::format
