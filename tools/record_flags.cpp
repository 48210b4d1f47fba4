#include "tools/record_flags.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "formats/duration_text.h"
#include "recorder/mem_events.h"
#include "recorder/targets.h"

namespace kiln::tools {

namespace {

// A counter interval: 0 (off, where allowed) or at least 100 us, about what one round of
// /proc reads costs (a bare "100" is 100 ns, surely meant otherwise).
Result<uint64_t> interval_flag(const std::string& text, const std::string& option, bool zero_allowed) {
    auto ns = format::parse_duration_ns(text, option);
    if (!ns) return ns.error();
    if (*ns == 0 && zero_allowed) return ns;
    if (*ns < 100'000)
        return make_error(option + " " + text + ": must be " + (zero_allowed ? "0 (off) or " : "") +
                          "at least 100us (a bare number is ns; write e.g. 100ms or 1s)");
    return ns;
}

// -g MODE[,BYTES]: BYTES into bytes when given (range checks are RecordingSession's).
Status stack_bytes_flag(const std::string& flag, const std::string& mode, uint32_t& bytes) {
    if (flag.size() <= mode.size() + 1) return Status::success();
    const std::string number = flag.substr(mode.size() + 1);
    try {
        size_t used = 0;
        const unsigned long v = std::stoul(number, &used);
        if (used != number.size()) throw std::invalid_argument(number);
        bytes = static_cast<uint32_t>(std::min<unsigned long>(v, 1u << 30));
        return Status::success();
    } catch (const std::exception&) {
        return make_error("-g " + flag + ": expected " + mode + ",BYTES with a number of bytes");
    }
}

}  // namespace

Status apply_record_flags(RecordFlags& f) {
    auto& o = f.opt;
    if (f.frequency) o.frequency = f.frequency;
    if (f.period) o.period = f.period;
    if (f.call_graph == "fp" || f.call_graph.rfind("fp,", 0) == 0) {
        o.call_graph = recorder::CallGraph::kFramePointer;
        if (auto st = stack_bytes_flag(f.call_graph, "fp", o.fp_stack_bytes); !st) return st;
    } else if (f.call_graph == "none") {
        o.call_graph = recorder::CallGraph::kNone;
    } else if (f.call_graph == "dwarf" || f.call_graph.rfind("dwarf,", 0) == 0) {
        o.call_graph = recorder::CallGraph::kDwarf;
        if (auto st = stack_bytes_flag(f.call_graph, "dwarf", o.dwarf_stack_bytes); !st) return st;
    } else {
        return make_error("-g " + f.call_graph + ": expected fp[,BYTES], dwarf[,BYTES] or none");
    }
    if (!f.pids.empty()) {
        auto p = recorder::parse_id_list(f.pids, "pid");
        if (!p) return p.error();
        o.pids = *p;
    }
    if (!f.tids.empty()) {
        auto t = recorder::parse_id_list(f.tids, "tid");
        if (!t) return t.error();
        o.tids = *t;
    }
    if (!f.cpus.empty()) {
        auto c = recorder::parse_cpu_list(f.cpus);
        if (!c) return c.error();
        o.cpus = *c;
    }
    if (!f.mem.empty()) {
        auto m = recorder::parse_mem_flag(f.mem);
        if (!m) return m.error();
        m->alloc_libs = o.mem.alloc_libs;
        o.mem = *m;
    }
    auto counter = interval_flag(f.counter_interval, "--counter-interval", true);
    if (!counter) return counter.error();
    o.counter_interval_ns = *counter;
    auto proc = interval_flag(f.proc_interval, "--proc-interval", false);
    if (!proc) return proc.error();
    o.proc_interval_ns = *proc;
    if (!f.alloc_sample.empty()) {
        auto mean = parse_size_bytes(f.alloc_sample, "--alloc-sample");
        if (!mean) return mean.error();
        if (*mean == 0) return make_error("--alloc-sample " + f.alloc_sample + ": the mean bytes between samples must be at least 1");
        if (o.command.empty())
            return make_error("--alloc-sample preloads kiln's sampler into the command kiln starts: give a command after --; "
                              "for -p and -t, --mem=malloc probes every allocator call");
        if (!o.mem.alloc_libs.empty())
            return make_error("--alloc-sample samples whichever allocator the command uses; --alloc-lib is for --mem=malloc");
        o.mem.sample_mean = *mean;
        o.mem.malloc = true;  // --alloc-sample alone asks for the sampled allocator calls
    }
    // --alloc-lib alone asks for allocator probes (of libc too).
    if (!o.mem.alloc_libs.empty()) o.mem.malloc = true;
    int targets = (!o.pids.empty()) + (!o.tids.empty()) + (!o.command.empty() && !o.system_wide);
    if (targets > 1) return make_error("choose one target: a command after --, -p PID or -t TID");
    if (o.zstd_level < 0 || o.zstd_level > 19) return make_error("-z LEVEL must be between 0 (off) and 19");
    if (o.zstd_small_chunk_level < 0) o.zstd_small_chunk_level = o.zstd_level;  // -z given: every chunk at it
    return {};
}

Status apply_switch_output(RecordFlags& f) {
    auto& o = f.opt;
    if (f.switch_output.empty()) {
        if (o.max_files > 0) return make_error("--max-files needs --switch-output");
        return {};
    }
    // A size ends in a size unit (64M, 1G, 500K, 2MB); anything else is a duration (60s, 500ms).
    const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(f.switch_output.back())));
    if (last == 'K' || last == 'M' || last == 'G' || last == 'B') {
        auto bytes = parse_size_bytes(f.switch_output, "--switch-output");
        if (!bytes) return bytes.error();
        if (*bytes < (1u << 20)) return make_error("--switch-output " + f.switch_output + ": at least 1M per file");
        o.switch_output_bytes = *bytes;
    } else {
        auto ns = format::parse_duration_ns(f.switch_output, "--switch-output");
        if (!ns) return ns.error();
        if (*ns < 1'000'000'000ull) return make_error("--switch-output " + f.switch_output + ": at least 1s per file");
        o.switch_output_ns = *ns;
    }
    if (o.output == "-") return make_error("--switch-output writes files: it cannot go with -o -");
    return {};
}

void add_record_flags(CLI::App& sub, RecordFlags& flags) {
    auto& o = flags.opt;
    sub.add_option("-e,--event", o.events, "Event to sample (repeatable; default cycles, see `kiln list`)");
    sub.add_option("-F,--freq", flags.frequency, "Sampling frequency in Hz (default 999)");
    sub.add_option("-c,--count", flags.period, "Sample every PERIOD events instead of a frequency");
    sub.add_option("-g,--call-graph", flags.call_graph, "Call graphs: fp[,BYTES] (default; BYTES of the stack top, 32 by default, name the callers of frameless leaf functions), dwarf[,BYTES] or none");
    sub.add_option("-p,--pid", flags.pids, "Record existing processes (comma-separated pids)");
    sub.add_option("-t,--tid", flags.tids, "Record existing threads (comma-separated tids)");
    sub.add_flag("-a,--all-cpus", o.system_wide, "Record the whole machine");
    sub.add_option("-C,--cpu", flags.cpus, "Record only these CPUs (e.g. 0-3,6); implies -a without a target");
    sub.add_option("-d,--duration", o.duration_s, "Stop after SECONDS");
    sub.add_option("-z,--compression-level", o.zstd_level,
                   "zstd level, 0 to store uncompressed (default 1, and 9 for chunks under 1 MiB without stack copies)")
        ->each([&o](const std::string&) { o.zstd_small_chunk_level = -1; });
    sub.add_option("-m,--mmap-pages", o.mmap_pages, "Ring buffer data pages per CPU (default: sized to the rate)");
    sub.add_flag("--off-cpu", o.off_cpu,
                  "Also record context switches and wakeups with stacks (sched:sched_switch, "
                  "sched:sched_waking) for the offcpu, hotcold and wakeup views");
    sub.add_flag("--sched", o.sched,
                  "Also record the scheduler: switches, wakeups, migrations, fork, exec and exit "
                  "(sched:* tracepoints, without stacks unless --off-cpu) for the sched, portrait and timeline views");
    sub.add_flag("--syscalls", o.syscalls,
                  "Also record every syscall's entry (arguments) and exit (return value) of the target's "
                  "threads (all threads with -a) for the syscalls, portrait and timeline views");
    sub.add_option("--mem", flags.mem,
                    "Record memory use (faults, mmap, malloc; all without =LIST): page faults, mmap/brk "
                    "syscalls and allocator calls with stacks, for the faults, mmap, alloc, allocs and inuse views");
    sub.add_option("--alloc-lib", o.mem.alloc_libs,
                    "With --mem: also probe malloc, free ... in this allocator library (jemalloc, tcmalloc); repeatable");
    sub.add_option("--alloc-sample", flags.alloc_sample,
                    "Sample allocations instead of probing every call: preload kiln's sampler into the command, "
                    "which reports about one allocation per BYTES allocated (e.g. 512K) and the frees of those; the "
                    "alloc, allocs and inuse views scale them to estimates. For allocation-heavy programs");
    sub.add_option("--counter-interval", flags.counter_interval,
                    "Read load, pressure and the targets' CPU/RSS/IO/switches from /proc every DURATION "
                    "(default 100ms; 0: off). The kernel updates load averages only every 5 s: the "
                    "instantaneous run-queue length is procs_running");
    sub.add_option("--proc-interval", flags.proc_interval,
                    "With -a: read every process's counters every DURATION (default 1s)");
    sub.add_option("command", o.command, "Command to run and record (after --)");
}

}  // namespace kiln::tools

namespace kiln::tools {

Result<uint64_t> parse_size_bytes(const std::string& text, const std::string& option) {
    // CLI11's size units with every prefix a power of 1024 (k, kb, kib, M, MB, MiB, ...; any case).
    // (It reports some errors by throwing, others by returning them; it takes "-1" as a number.)
    std::string value = text;
    std::string why = "-";
    uint64_t bytes = 0;
    size_t used = 0;
    try {
        if (!text.empty() && text[0] != '-') why = CLI::AsSizeValue(false)(value);
        if (why.empty() && !value.empty()) bytes = std::stoull(value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (!why.empty() || used == 0 || used != value.size())
        return make_error(option + " " + text + ": expected a size such as 64M, 1G, 512K or a number of bytes");
    return bytes;
}

}  // namespace kiln::tools
