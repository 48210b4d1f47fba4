// perf.data files hold no kernel symbols: kiln takes those of the machine reading the file
// when its kernel is the one the file was recorded on, else those in perf's build-id cache
// (formats/perf_data_import.h).
#pragma once

namespace kiln::tools {

// Makes this machine's /proc/kallsyms, kernel image and modules, and the reading of cached
// kallsyms files (recorder/sideband) available to perf.data imports. Read only when a
// perf.data is opened.
void use_running_kernel_for_perf_data();


}  // namespace kiln::tools
