#include <cstdio>

#include "pmu/event_resolver.h"
#include "tools/commands.h"

namespace kiln::tools {

Runner add_list_command(CLI::App& app) {
    app.add_subcommand("list", "List the events that can be recorded on this machine");
    return []() {
        std::fputs(pmu::list_events().c_str(), stdout);
        return 0;
    };
}

}  // namespace kiln::tools
