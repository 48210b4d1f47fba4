// gzip-compressed bytes (gzip framing, as `go tool pprof` and browsers' DecompressionStream
// expect), for pprof files and the HTML report's embedded data.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "formats/result.h"

namespace kiln::analyzer {

Result<std::vector<uint8_t>> gzip(std::string_view raw);

}  // namespace kiln::analyzer
