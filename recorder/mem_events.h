// The events of `kiln record --mem[=faults,mmap,malloc]`: the page-faults software event,
// the syscalls tracepoints of mmap/munmap/mremap/brk, and uprobes + uretprobes on the
// allocator functions of the target's libc (and of --alloc-lib libraries), resolved to file
// offsets from their ELF symbol tables. The analyzer's faults, mmap, alloc, allocs and inuse
// views read them (analyzer/views/faults_view, mmap_view, alloc_view).
#pragma once

#include <string>
#include <vector>

#include "formats/result.h"
#include "pmu/event_resolver.h"
#include "recorder/record_options.h"

namespace kiln::recorder {

// "" (all), or a comma-separated subset of faults, mmap, malloc.
Result<MemRecording> parse_mem_flag(const std::string& value);

// Allocator entry points probed in each library; free has no return probe.
inline constexpr const char* kAllocFunctions[] = {"malloc",         "calloc",        "realloc", "free",
                                                  "posix_memalign", "aligned_alloc", "memalign"};
// Bytes of user stack copied at posix_memalign's return in -g fp mode: the pointer it stored
// is read from there when the caller's out-parameter lies in that part of its stack.
inline constexpr uint32_t kMemalignReturnStackBytes = 512;

// The markers of kiln's allocation sampler (recorder/alloc_sampler/alloc_sampler.c).
inline constexpr const char* kSampledAllocMarker = "kiln_sampled_alloc";
inline constexpr const char* kSampledFreeMarker = "kiln_sampled_free";
// With -g fp: a batch of sampled blocks and frees, in the stack the uprobe copies
// (formats/alloc_sample_batch_layout.h).
inline constexpr const char* kSampledBatchMarker = "kiln_sampled_batch";
// The sampler's file name, and the environment variable that gives it its mean.
inline constexpr const char* kAllocSamplerFile = "libkiln-alloc-sampler.so";
inline constexpr const char* kAllocSampleMeanEnv = "KILN_ALLOC_SAMPLE_MEAN";
inline constexpr const char* kAllocSampleBatchEnv = "KILN_ALLOC_SAMPLE_BATCH";

// The allocation sampler beside the running kiln executable (or KILN_ALLOC_SAMPLER's path), checked
// to be a readable library with both markers.
Result<std::string> alloc_sampler_path();
// What the command's environment gets for --alloc-sample: LD_PRELOAD with the sampler in front
// of any the environment already had, the mean, and with batches (-g fp: the sampler walks the
// frame pointers itself) the switch that turns them on.
std::vector<std::string> alloc_sampler_environment(const std::string& sampler, uint64_t mean, bool batches);

// The libc the target uses: for -p/-t the one mapped in the first target process, else
// (a command, -a) the one kiln itself runs with, which on one machine is the system's.
Result<std::string> target_libc(const RecordOptions& opt);

// The memory events opt.mem asks for, in a fixed order. libc: the allocator library to
// probe besides opt.mem.alloc_libs (ignored without malloc); with opt.mem.sample_mean, the
// sampler's path, whose markers are probed instead. An --alloc-lib that cannot be
// read or has no malloc and free is an error naming it.
Result<std::vector<pmu::ResolvedEvent>> mem_events(const RecordOptions& opt, const std::string& libc);

}  // namespace kiln::recorder
