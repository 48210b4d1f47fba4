#include "recorder/mem_events.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "formats/alloc_sample_batch_layout.h"
#include "pmu/uprobes.h"
#include "recorder/sideband/proc_maps.h"

namespace kiln::recorder {

namespace {

constexpr const char* kMmapSyscalls[] = {"mmap", "munmap", "mremap", "brk"};

bool is_libc_path(const std::string& path) {
    const std::string base = path.substr(path.rfind('/') + 1);
    return base.starts_with("libc.so") || (base.starts_with("libc-") && base.ends_with(".so"));
}

Result<std::string> libc_in_maps(const std::string& maps_path, const std::string& whose) {
    std::ifstream f(maps_path);
    if (!f) return make_error("cannot read " + maps_path + " to find the libc of " + whose);
    std::stringstream text;
    text << f.rdbuf();
    auto maps = sideband::parse_maps(text.str());
    if (!maps) return make_error(maps_path + ": " + maps.error().message);
    for (const auto& m : *maps)
        if (!m.deleted && is_libc_path(m.entry.path)) return m.entry.path;
    return make_error(whose + " has no libc mapped (" + maps_path +
                      "): a static binary's allocator cannot be found this way; name it with --alloc-lib");
}

Status add_event(std::vector<pmu::ResolvedEvent>& out, const std::string& spec) {
    auto ev = pmu::resolve_event(spec);
    if (!ev) return ev.error();
    out.push_back(std::move(*ev));
    return {};
}

// Entry probes on every allocator function the library defines, return probes on those that
// return memory. malloc and free must be there: a library without them is no allocator.
Status add_allocator(std::vector<pmu::ResolvedEvent>& out, const std::string& lib, bool named_by_user) {
    for (const char* required : {"malloc", "free"}) {
        auto fn = pmu::find_function(lib, required);
        if (!fn)
            return make_error(std::string(named_by_user ? "--alloc-lib " : "libc ") + lib + ": " + fn.error().message +
                              (named_by_user ? "; name a shared library that defines malloc and free (jemalloc, tcmalloc)"
                                             : ""));
    }
    for (const char* fn : kAllocFunctions) {
        if (!pmu::find_function(lib, fn)) continue;  // an allocator without memalign is still one
        const std::string name = std::string(":") + fn;
        KILN_TRY(add_event(out, "uprobe:" + lib + name));
        if (std::string_view(fn) == "free") continue;
        KILN_TRY(add_event(out, "uretprobe:" + lib + name));
        if (std::string_view(fn) == "posix_memalign") out.back().user_stack_bytes = kMemalignReturnStackBytes;
    }
    return {};
}

}  // namespace

Result<std::string> alloc_sampler_path() {
    std::string path;
    if (const char* given = std::getenv("KILN_ALLOC_SAMPLER"); given && *given) {
        path = given;
    } else {
        std::error_code ec;
        const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
        if (ec) return make_error("--alloc-sample: cannot find kiln's own executable to find " + std::string(kAllocSamplerFile) +
                                  " beside it: " + ec.message());
        path = (self.parent_path() / kAllocSamplerFile).string();
    }
    if (path.find_first_of(" :") != std::string::npos)
        return make_error("--alloc-sample: the sampler's path " + path + " holds a space or a colon, which LD_PRELOAD cannot carry");
    for (const char* marker : {kSampledAllocMarker, kSampledFreeMarker, kSampledBatchMarker})
        if (auto fn = pmu::find_function(path, marker); !fn)
            return make_error("--alloc-sample: kiln's allocation sampler " + path + " is missing or broken (" +
                              fn.error().message + "); it is built and installed beside kiln");
    return path;
}

std::vector<std::string> alloc_sampler_environment(const std::string& sampler, uint64_t mean, bool batches) {
    const char* had = std::getenv("LD_PRELOAD");
    return {"LD_PRELOAD=" + sampler + (had && *had ? std::string(" ") + had : std::string()),
            std::string(kAllocSampleMeanEnv) + "=" + std::to_string(mean),
            std::string(kAllocSampleBatchEnv) + "=" + (batches ? "1" : "0")};
}

Result<MemRecording> parse_mem_flag(const std::string& value) {
    MemRecording m;
    if (value.empty()) {
        m.faults = m.mmap = m.malloc = true;
        return m;
    }
    std::stringstream in(value);
    std::string part;
    while (std::getline(in, part, ',')) {
        if (part == "faults") m.faults = true;
        else if (part == "mmap") m.mmap = true;
        else if (part == "malloc") m.malloc = true;
        else return make_error("--mem=" + value + ": unknown part '" + part + "'; expected faults, mmap and/or malloc");
    }
    if (!m.any()) return make_error("--mem=" + value + ": expected faults, mmap and/or malloc");
    return m;
}

Result<std::string> target_libc(const RecordOptions& opt) {
    if (!opt.pids.empty()) return libc_in_maps("/proc/" + std::to_string(opt.pids.front()) + "/maps",
                                               "pid " + std::to_string(opt.pids.front()));
    if (!opt.tids.empty()) return libc_in_maps("/proc/" + std::to_string(opt.tids.front()) + "/maps",
                                               "tid " + std::to_string(opt.tids.front()));
    return libc_in_maps("/proc/self/maps", "kiln");
}

Result<std::vector<pmu::ResolvedEvent>> mem_events(const RecordOptions& opt, const std::string& libc) {
    std::vector<pmu::ResolvedEvent> out;
    if (opt.mem.faults) KILN_TRY(add_event(out, "page-faults"));
    if (opt.mem.mmap)
        for (const char* sc : kMmapSyscalls)
            for (const char* side : {"sys_enter_", "sys_exit_"}) KILN_TRY(add_event(out, std::string("syscalls:") + side + sc));
    if (opt.mem.malloc && opt.mem.sample_mean) {
        // `libc` is the sampler here: its markers are entered once per sampled block and per free of
        // one (-g dwarf), or once per batch of them (-g fp).
        for (const char* marker : {kSampledAllocMarker, kSampledFreeMarker})
            KILN_TRY(add_event(out, "uprobe:" + libc + ":" + marker));
        if (opt.call_graph == CallGraph::kFramePointer) {
            KILN_TRY(add_event(out, "uprobe:" + libc + ":" + kSampledBatchMarker));
            out.back().user_stack_bytes = KILN_ALLOC_BATCH_STACK_BYTES;
        }
        return out;
    }
    if (opt.mem.malloc) KILN_TRY(add_allocator(out, libc, false));
    for (const auto& lib : opt.mem.alloc_libs) KILN_TRY(add_allocator(out, lib, true));
    return out;
}

}  // namespace kiln::recorder
