// kiln-analyze: `kiln analyze` and `kiln diff`, which kiln runs with its own arguments. Kept
// apart from kiln so that recording never loads the analyzer's libraries (kiln_main.cpp).
#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tools/running_kernel.h"
#include "tools/kernel_symbols_lookup.h"
#include "tools/command_line_words.h"

int main(int argc, char** argv) {
    kiln::tools::use_running_kernel_for_perf_data();
    kiln::tools::use_kernel_symbols_cache();
    // The analyzer frees and allocates buffers of a few MiB all along (decompressed chunks,
    // expanded stack slices, debug sections). By default glibc gives such blocks back to the
    // kernel at once, so each reuse faulted its pages in again: a third of the analyzer's CPU
    // on a VM where a page fault costs 10-15 us. Freed memory stays with the process instead.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    CLI::App app{"kiln: analyze and compare recordings (run as `kiln analyze` and `kiln diff`)."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "kiln 0.1.0");
    auto analyze = kiln::tools::add_analyze_command(app);
    auto diff = kiln::tools::add_diff_command(app);
    std::vector<std::string> prepared;
    if (auto stop = kiln::tools::parse_command_line(app, std::vector<std::string>(argv, argv + argc), prepared)) return *stop;
    for (auto* sub : app.get_subcommands()) {
        const std::string& name = sub->get_name();
        if (name == "analyze") return analyze();
        if (name == "diff") return diff();
    }
    return 2;
}
