// kiln: the command line. Wires the modules together; holds no logic of its own.
//
// This executable records and inspects: it links the recorder's libraries only, so a
// recording never loads libdw, libunwind or protobuf (DESIGN.md: the recorder stays lean;
// loading them was ~1.5 ms and 2.5 MB of every recording). `kiln analyze` and `kiln diff` run
// kiln-analyze, installed beside this executable, with the same arguments.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tools/running_kernel.h"
#include "tools/command_line_words.h"

namespace {

constexpr const char* kAnalyzeExecutable = "kiln-analyze";

// Replaces this process with kiln-analyze; returns only on failure, with the exit code.
int run_analyze_executable(char** argv) {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::filesystem::path helper = ec ? std::filesystem::path(kAnalyzeExecutable)
                                            : self.parent_path() / kAnalyzeExecutable;
    ::execv(helper.c_str(), argv);
    std::fprintf(stderr, "kiln: cannot run %s for `kiln %s`: %s (it is built and installed beside kiln)\n",
                 helper.c_str(), argv[1], std::strerror(errno));
    return 127;
}

}  // namespace

int main(int argc, char** argv) {
    kiln::tools::use_running_kernel_for_perf_data();
    if (argc > 1 && (std::strcmp(argv[1], "analyze") == 0 || std::strcmp(argv[1], "diff") == 0))
        return run_analyze_executable(argv);

    std::vector<std::string> args(argv, argv + argc);

    CLI::App app{"kiln: a sampling profiler. Record with `kiln record`, turn it into flame graphs and pprof with `kiln analyze`, compare with `kiln diff`, inspect with `kiln info`."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "kiln 0.1.0");
    auto record = kiln::tools::add_record_command(app, args);
    auto monitor = kiln::tools::add_monitor_command(app, args);
    auto info = kiln::tools::add_info_command(app);
    auto list = kiln::tools::add_list_command(app);
    // Listed for --help; main() hands them to kiln-analyze before parsing.
    app.add_subcommand("analyze", kiln::tools::kAnalyzeSummary)->allow_extras();
    app.add_subcommand("diff", kiln::tools::kDiffSummary)->allow_extras();

    std::vector<std::string> prepared;
    if (auto stop = kiln::tools::parse_command_line(app, args, prepared)) return *stop;
    for (auto* sub : app.get_subcommands()) {
        const std::string& name = sub->get_name();
        if (name == "record") return record(prepared);
        if (name == "monitor") return monitor(prepared);
        if (name == "info") return info();
        if (name == "list") return list();
    }
    return 2;
}
