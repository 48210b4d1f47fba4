// Writing a command's text output (folded stacks, SVG, reports) to a path or to stdout.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "formats/result.h"

namespace kiln::tools {

// Writes text to path ("-" = standard output); errors name the path.
Status write_text(const std::string& path, const std::string& text);
// Writes what write puts on the stream to path ("-" = standard output) as it goes, without
// holding the whole text (a long recording's timeline is hundreds of MB); errors name the path.
Status write_stream(const std::string& path, const std::function<void(std::ostream&)>& write);
// write_stream(), then the path appended to `written` (the list of files an analysis wrote).
Status write_stream_to(const std::string& path, const std::function<void(std::ostream&)>& write,
                       std::vector<std::string>& written);

}  // namespace kiln::tools
