// libFuzzer target: any bytes as a pprof file given to `kiln diff` (gzip-compressed or a raw
// profile.proto, told apart as the reader does), through what the command does with it:
// decode_pprof() (gunzip, protobuf, every id and string index checked), run_from_profile()
// (name-keyed stacks, totals), diff_runs() of half of its samples against all of them, the
// gate, the Markdown and JSON reports, the differential flame graph and the diff pprof.
// It must never crash, hang or read out of bounds; errors are fine.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "analyzer/diff/diff_input.h"
#include "analyzer/diff/diff_outputs.h"
#include "analyzer/diff/diff_report.h"
#include "analyzer/diff/differ.h"
#include "analyzer/diff/pprof_reader.h"
#include "analyzer/output/flame_svg.h"
#include "analyzer/output/pprof_writer.h"

using namespace kiln::analyzer;

// protobuf logs every string field that is not UTF-8 to stderr: a line per input.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    google::protobuf::SetLogHandler(nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<uint8_t> bytes(data, data + size);
    auto profile = decode_pprof(bytes, "fuzz.pb.gz");
    if (!profile) return 0;
    const ProfileRun now = run_from_profile(*profile, "new.pb.gz", "pprof");
    // BASE: every other sample of the same profile, so that shares differ between the sides.
    Profile half = *profile;
    half.samples.clear();
    for (size_t i = 0; i < profile->samples.size(); i += 2) half.samples.push_back(profile->samples[i]);
    const ProfileRun base = run_from_profile(half, "base.pb.gz", "pprof");
    // load_run() refuses an empty profile before anything is compared.
    if (now.total_value <= 0 || base.total_value <= 0) return 0;

    auto d = diff_runs({base}, {now}, {});
    if (!d) return 0;
    const GateResult gate = apply_gate(*d, {});
    DiffReportOptions ropt;
    ropt.gate = &gate;
    std::ostringstream out;
    write_diff_markdown(*d, ropt, out);
    write_diff_json(*d, ropt, out);
    FlameSvgOptions svg;
    svg.differential = true;
    write_flame_svg(build_diff_tree({base}, {now}), svg, out);
    (void)encode_pprof(build_diff_pprof({base}, {now}));
    return 0;
}
