#include <string>
#include <vector>

#include "tools/commands.h"

namespace kiln::tools {

std::vector<std::string> normalize_call_graph_flag(std::vector<std::string> args) {
    auto is_mode = [](const std::string& s) {
        return s == "fp" || s == "none" || s == "dwarf" || s.rfind("dwarf,", 0) == 0;
    };
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--") break;
        if ((args[i] == "-g" || args[i] == "--call-graph") && (i + 1 == args.size() || !is_mode(args[i + 1])))
            args.insert(args.begin() + static_cast<long>(i) + 1, "fp");
        // A bare --mem means all of it; its value only ever follows an '=' (--mem=malloc).
        if (args[i] == "--mem") args[i] = "--mem=faults,mmap,malloc";
    }
    return args;
}

}  // namespace kiln::tools
