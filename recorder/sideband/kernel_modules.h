// Parsing /proc/modules: "name size refcount deps state address [taints]".
#pragma once

#include <string_view>

#include "formats/result.h"
#include "formats/sideband.h"

namespace kiln::recorder::sideband {

// Name, size and base of every module (build-ids left empty); the error names the first
// malformed line.
Result<format::KernelModules> parse_modules(std::string_view text);

}  // namespace kiln::recorder::sideband
