// The flags `kiln record` and `kiln monitor` share (events, target, rates, what to record),
// registered on a CLI11 subcommand and turned into RecordOptions.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "formats/result.h"
#include "recorder/record_options.h"

namespace kiln::tools {

struct RecordFlags {
    recorder::RecordOptions opt;
    std::string call_graph = "fp";
    std::string pids, tids, cpus;
    uint64_t frequency = 0, period = 0;
    std::string mem;  // --mem=LIST ("" when not given; a bare --mem arrives as the full list)
    std::string alloc_sample;  // --alloc-sample BYTES ("" when not given)
    std::string counter_interval = "100ms", proc_interval = "1s";
    std::string switch_output;  // kiln record only
    bool cleanup = false;       // kiln record --cleanup
};

// Every flag but -o/--output and -q/--quiet, whose meaning differs between the verbs.
void add_record_flags(CLI::App& sub, RecordFlags& flags);
// Turns the flags' text into flags.opt; errors name the flag.
Status apply_record_flags(RecordFlags& flags);
// --switch-output DURATION|SIZE and --max-files into flags.opt.
Status apply_switch_output(RecordFlags& flags);

}  // namespace kiln::tools

namespace kiln::tools {

// "64M", "512K", "100MB", "1GiB" or bytes → bytes (powers of 1024, as perf's --switch-output
// and --max-size); option names the flag in errors.
Result<uint64_t> parse_size_bytes(const std::string& text, const std::string& option);

}  // namespace kiln::tools
