// pprof output: the Profile as profile.proto, gzip-compressed, as `go tool pprof` and
// Speedscope read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/profile/profile.h"
#include "formats/result.h"

namespace kiln::analyzer {

// Serialized and gzip-compressed.
Result<std::vector<uint8_t>> encode_pprof(const Profile& p);
// path "-" writes to standard output; errors name the path.
Status write_pprof(const Profile& p, const std::string& path);

}  // namespace kiln::analyzer
