// pprof output: the Profile as profile.proto (analyzer/output/profile.proto), gzip-compressed,
// as `go tool pprof` and Speedscope read it.
//
// Ids: Profile::mappings[i], locations[i] and functions[i] get pprof id i + 1
// (Location::mapping is already 1-based, 0 = none). Lines keep their order (innermost first),
// sample stacks theirs (leaf first). Labels with a string value become Label.str, the others
// Label.num. default_sample_type becomes the string index of that type's name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/profile/profile.h"
#include "formats/result.h"

namespace kiln::analyzer {

// Serialized and gzip-compressed (gzip header, as `go tool pprof` expects). A Profile whose
// indexes dangle (a sample naming a location that does not exist, a value count that differs
// from the number of sample types, ...) is an error naming the first such index: pprof would
// reject the file or, worse, show the wrong numbers.
Result<std::vector<uint8_t>> encode_pprof(const Profile& p);

// encode_pprof written to path; "-" writes to standard output. Errors name the path.
Status write_pprof(const Profile& p, const std::string& path);

}  // namespace kiln::analyzer
