// perf.data (perf record's file) as a kiln recording: RecordingReader::open() turns a perf.data
// into the chunks kiln record would have written, so every view, output and filter works on
// it unchanged. perf.data holds the same kernel records; what differs is the container:
// - the attrs and their ids, the event names, host, kernel release, perf's command line and
//   the build-ids become the HEADER and a BUILD_IDS chunk;
// - the data section's kernel records become PERF_RECORDS chunks, perf's FINISHED_ROUND
//   records become kiln's ROUND_END (the same ordering rule), zstd-compressed records (-z) are
//   expanded, perf's own records (attrs, id index, thread maps ...) are left out, and DWARF
//   stack copies lose their unused tail as kiln record's do;
// - events recorded with PERF_SAMPLE_ID but not PERF_SAMPLE_IDENTIFIER (perf does that when
//   several events share one sample layout) get PERF_SAMPLE_IDENTIFIER, each record the u64
//   where kiln's readers look for it;
// - perf.data holds no kernel symbols: those of the machine reading it are used when its
//   kernel's build-id is the one the file names (set_running_kernel_source()), else those
//   perf's build-id cache holds for that build-id (perf record's or a `perf archive`
//   unpacked), else kernel frames stay unnamed and a warning says why.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "formats/perf_data.h"
#include "formats/result.h"
#include "formats/sideband.h"

namespace kiln::format {

// The kernel of the machine reading a perf.data: the KALLSYMS_FOLDED payload of its
// /proc/kallsyms, its image (release, build-id, text range) and modules.
struct RunningKernel {
    std::vector<uint8_t> kallsyms_folded;
    KernelImage image;
    KernelModules modules;
};
using RunningKernelSource = std::function<Result<RunningKernel>()>;
// The GNU build-id of a file on this machine (empty when it has none or cannot be read).
using LocalBuildIdSource = std::function<std::vector<uint8_t>(const std::string& path)>;

// Set once by a program that may read perf.data (kiln, kiln-analyze); without them, kernel
// frames of imported files stay unnamed, and mapped files perf listed no build-id for are
// looked up by path only.
void set_running_kernel_source(RunningKernelSource source);
// perf.data lists the build-ids of the files its samples hit, not of every file mapped (a
// caller's library, such as libc's __libc_start_call_main, is missing): for those the
// build-id of this machine's copy is taken, as perf report does, and said in a note.
void set_local_build_id_source(LocalBuildIdSource source);

// perf's build-id cache: $PERF_BUILDID_DIR, else $HOME/.debug ("" without either). perf record
// fills it and `perf archive` packs it: DIR/.build-id/ab/cdef... links to DIR/PATH/BUILD-ID/,
// which holds `elf` (the file), `debug` (its debug file) or, for the kernel, `kallsyms`.
std::string perf_build_id_cache_dir();

// A kallsyms file read as the KALLSYMS_FOLDED payload and the image's text range (the other
// fields are left empty). When the running kernel is not the file's, the kernel's symbols are
// taken from perf's build-id cache (DIR/[kernel.kallsyms]/BUILD-ID/kallsyms) through this.
using KallsymsFileSource = std::function<Result<RunningKernel>(const std::string& path)>;
void set_kallsyms_file_source(KallsymsFileSource source);

// Writes the kiln recording of `in` to fd (a memfd or a temporary file). notes: what was
// carried over differently or not at all (said once each, with the file's name).
Status import_perf_data(const PerfDataReader& in, int fd, const std::string& name, std::vector<std::string>& notes);

}  // namespace kiln::format
