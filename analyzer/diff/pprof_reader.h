// pprof input: a profile.proto file (gzip-compressed or not) from kiln or any other producer
// (Go's runtime/pprof, pprof -proto, ...) read back into a Profile. The inverse of
// analyzer/output/pprof_writer. The bytes are untrusted: every id is checked, and any
// problem is one error naming the file and what was wrong.
//
// What comes back: sample types and default_sample_type (a producer that leaves it unset
// gets the last sample type, as `go tool pprof` shows), functions from Line→Function
// (locations without lines get a "0xADDRESS" function), locations leaf first as stored,
// string and numeric labels. A location is FrameKind::Kernel when its mapping is
// "[kernel.kallsyms]" (how kiln writes kernel code), User otherwise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/profile/profile.h"
#include "formats/result.h"

namespace kiln::analyzer {

// True when bytes start like a gzip stream (1f 8b), the usual pprof file.
bool looks_gzipped(const std::vector<uint8_t>& bytes);

// source names the input in errors.
Result<Profile> decode_pprof(const std::vector<uint8_t>& bytes, const std::string& source);

Result<Profile> read_pprof(const std::string& path);

}  // namespace kiln::analyzer
