// kiln: the command line. Wires the modules together; holds no logic of its own.
#include <cstdio>
#include <string>
#include <vector>

#include "tools/commands.h"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    std::vector<std::string> normalized = kiln::tools::normalize_call_graph_flag(args);

    CLI::App app{"kiln: a sampling profiler. Record with `kiln record`, turn it into flame graphs and pprof with `kiln analyze`, compare with `kiln diff`, inspect with `kiln info`."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "kiln 0.1.0");
    auto record = kiln::tools::add_record_command(app, args);
    auto info = kiln::tools::add_info_command(app);
    auto list = kiln::tools::add_list_command(app);
    auto analyze = kiln::tools::add_analyze_command(app);
    auto diff = kiln::tools::add_diff_command(app);

    std::vector<const char*> cargv;
    for (const auto& a : normalized) cargv.push_back(a.c_str());
    try {
        app.parse(static_cast<int>(cargv.size()), cargv.data());
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    for (auto* sub : app.get_subcommands()) {
        const std::string& name = sub->get_name();
        if (name == "record") return record();
        if (name == "info") return info();
        if (name == "list") return list();
        if (name == "analyze") return analyze();
        if (name == "diff") return diff();
    }
    return 2;
}
