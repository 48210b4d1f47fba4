// Writing a command's text output (folded stacks, SVG, reports) to a path or to stdout.
#pragma once

#include <string>

#include "formats/result.h"

namespace kiln::tools {

// Writes text to path ("-" = standard output); errors name the path.
Status write_text(const std::string& path, const std::string& text);

}  // namespace kiln::tools
