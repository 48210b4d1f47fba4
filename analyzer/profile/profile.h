// The analyzer's central data: a weighted stack profile shaped like pprof's profile.proto
// (mappings, functions, locations with inline Lines, samples with one value per sample type
// and labels). Views build it; writers (folded, SVG, pprof, top) only read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/profile/label_text.h"

namespace kiln::analyzer {

enum class FrameKind : uint8_t {
    User,     // native user-space code
    Kernel,   // kernel or module code
    Jit,      // from a perf-PID.map
    Unknown,  // an address no binary or symbol explains (shown as binary+0xOFF or [unknown])
    Synthetic, // a frame kiln adds: process root, [truncated] ...
    OffCpu    // a frame kiln adds to off-CPU stacks ([sleep], [io], [preempted] ...): a sample
              // with one is off-CPU time, which flame graphs colour apart
};

struct SampleType {
    std::string type;  // "samples", "cpu", ...
    std::string unit;  // "count", "nanoseconds", "bytes"
};

struct Mapping {
    uint64_t start = 0;       // runtime address range of the mapping
    uint64_t limit = 0;
    uint64_t file_offset = 0;
    std::string file;         // recorded path, "[kernel.kallsyms]", module name ...
    std::string build_id;     // lowercase hex, "" if unknown
    bool has_functions = false;
    bool has_filenames = false;
    bool has_line_numbers = false;
    bool has_inline_frames = false;
};

struct Function {
    std::string name;         // demangled, what people read
    std::string system_name;  // as in the symbol table (mangled), may equal name
    std::string file;         // source file, "" if unknown
    int64_t start_line = 0;
};

struct Line {
    uint32_t function = 0;    // index into Profile::functions
    int64_t line = 0;         // 0 if unknown
};

struct Location {
    uint32_t mapping = 0;     // index into Profile::mappings + 1; 0 = no mapping
    uint64_t address = 0;     // runtime address (the instruction, return addresses adjusted by -1)
    FrameKind kind = FrameKind::User;
    // pprof order: lines[0] is the innermost (inlined) function, lines.back() the
    // function the address physically belongs to.
    std::vector<Line> lines;
};

struct Label {
    LabelText key;            // "pid", "tid", "comm", "cpu", "thread_comm"
    LabelText str;            // string value, or "" for a numeric label
    int64_t num = 0;
    bool is_number() const { return str.empty(); }
};

struct Sample {
    std::vector<uint32_t> locations;  // indexes into Profile::locations, LEAF FIRST (pprof order)
    std::vector<int64_t> values;      // one per Profile::sample_types
    std::vector<Label> labels;
};

struct Profile {
    std::vector<SampleType> sample_types;
    int default_sample_type = 0;      // index into sample_types shown by default
    std::vector<Mapping> mappings;
    std::vector<Function> functions;
    std::vector<Location> locations;
    std::vector<Sample> samples;      // already aggregated: equal stack+labels appear once
    int64_t time_nanos = 0;           // wall-clock start of the recording (ns since epoch), 0 if unknown
    int64_t duration_nanos = 0;
    SampleType period_type;
    int64_t period = 0;
    std::vector<std::string> comments;
};

}  // namespace kiln::analyzer
