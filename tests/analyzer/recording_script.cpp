#include "tests/analyzer/recording_script.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "formats/byte_io.h"
#include "formats/chunk_writer.h"
#include "formats/counters.h"
#include "formats/kiln_format.h"
#include "formats/recording_header.h"
#include "formats/recording_stats.h"
#include "formats/perf_sample.h"
#include "formats/sideband.h"
#include "recorder/user_regs.h"
#include "tests/analyzer/dwarf_stack.h"
#include "tests/analyzer/eh_frame_table.h"
#include "tests/analyzer/script_counters.h"
#include "tests/analyzer/script_elf.h"

namespace kiln::testing {

namespace {

constexpr uint64_t kStart = kScriptStartNs;
constexpr uint64_t kUserSp = 0x7ffdfffff000ull;     // the sampled sp of every dsample

// sched:sched_switch's tracefs format as Linux 6.x prints it (abridged print fmt), stored in
// the header as `kiln record --off-cpu` stores it; `switch` lines fill its RAW payload.
constexpr const char* kSchedSwitchFormat =
    "name: sched_switch\nID: 372\nformat:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
    "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
    "\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
    "\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
    "\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
    "\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
    "\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
    "\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n\n"
    "print fmt: \"prev_pid=%d next_pid=%d\", REC->prev_pid, REC->next_pid\n";

std::vector<uint8_t> parse_hex_bytes(const std::string& hex) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    return out;
}

class ScriptRecording {
public:
    Status line(const std::string& text) {
        std::istringstream in(text);
        std::string op;
        in >> op;
        if (op.empty() || op[0] == '#') return Status::success();
        if (op == "event") return event(in);
        if (op == "binary") {
            std::string alias, path, as, recorded;
            in >> alias >> path >> as >> recorded;
            auto info = read_elf(path);
            if (!info) return info.error();
            binaries_[alias] = {as == "as" ? recorded : path, std::move(*info)};
            return Status::success();
        }
        if (op == "cfi") return cfi(in);
        if (op == "mmap") return mmap(in);
        if (op == "anon") {  // executable anonymous memory, where JIT code lives
            uint32_t pid;
            std::string start, len;
            in >> pid >> start >> len;
            ByteWriter w;
            w.u32(pid);
            w.u32(pid);
            w.u64(std::stoull(start, nullptr, 16));
            w.u64(std::stoull(len, nullptr, 16));
            w.u64(0);
            uint8_t union_bytes[24] = {};
            w.raw(union_bytes, sizeof union_bytes);
            w.u32(7);     // PROT_READ | PROT_WRITE | PROT_EXEC
            w.u32(0x22);  // MAP_PRIVATE | MAP_ANONYMOUS
            std::string name = "//anon";
            name.resize(8, '\0');
            w.raw(name.data(), name.size());
            trailer(w, pid, pid);
            record(PERF_RECORD_MMAP2, 0, w);
            return Status::success();
        }
        if (op == "comm") {
            uint32_t pid, tid;
            std::string name, exec;
            in >> pid >> tid >> name >> exec;
            ByteWriter w;
            w.u32(pid);
            w.u32(tid);
            std::string padded = name;
            padded.resize((name.size() + 8) & ~size_t{7}, '\0');
            w.raw(padded.data(), padded.size());
            trailer(w, pid, tid);
            record(PERF_RECORD_COMM, exec == "exec" ? PERF_RECORD_MISC_COMM_EXEC : 0, w);
            return Status::success();
        }
        if (op == "fork") {
            uint32_t pid, ppid, tid;
            in >> pid >> ppid >> tid;
            for (const auto& [key, base] : std::map(bases_))
                if (key.first == ppid) bases_[{pid, key.second}] = base;
            ByteWriter w;
            w.u32(pid);
            w.u32(ppid);
            w.u32(tid);
            w.u32(ppid);
            w.u64(time_);
            trailer(w, pid, tid);
            record(PERF_RECORD_FORK, 0, w);
            return Status::success();
        }
        if (op == "ksym") {
            format::KernelSymbol s;
            std::string addr;
            in >> addr >> s.name >> s.module;
            s.address = std::stoull(addr, nullptr, 16);
            ksyms_.symbols.push_back(s);
            return Status::success();
        }
        if (op == "perfmap") {
            int32_t pid;
            std::string start, size, name;
            in >> pid >> start >> size;
            std::getline(in >> std::ws, name);
            perf_maps_[pid] += start + " " + size + " " + name + "\n";
            return Status::success();
        }
        if (op == "time") {
            in >> time_;
            return Status::success();
        }
        if (op == "round") {
            ByteWriter w;
            record(format::kRecordRoundEnd, 0, w);
            return Status::success();
        }
        if (op == "sample") return sample(in);
        if (op == "counters") return counters(in);
        if (op == "switch") return sched_switch(in);
        if (op == "dsample") return dsample(in);
        return make_error("unknown script command '" + op + "'");
    }

    Status write(const std::string& path) {
        format::RecordingHeader h;
        h.kiln_version = "test";
        h.hostname = "golden";
        h.kernel_release = "6.0.0-test";
        h.arch = "x86_64";
        h.start_time_ns = kStart;
        h.start_realtime_ns = 1'700'000'000'000'000'000ull;
        h.cpu_count = 2;
        h.target = format::TargetKind::kCommand;
        h.events = events_;
        int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) return make_error("cannot create " + path);
        format::ChunkWriter cw(fd, path, 1);
        Status st = cw.write_preamble();
        auto chunk = [&](format::ChunkType t, const std::vector<uint8_t>& bytes) {
            if (st) st = cw.write_chunk(t, bytes);
        };
        chunk(format::ChunkType::kHeader, format::encode(h));
        std::sort(ksyms_.symbols.begin(), ksyms_.symbols.end(),
                  [](const auto& a, const auto& b) { return a.address < b.address; });
        chunk(format::ChunkType::kKallsyms, format::encode(ksyms_));
        chunk(format::ChunkType::kPerfRecords, records_.bytes());
        for (const auto& c : counters_) chunk(format::ChunkType::kCounters, format::encode(c));
        for (const auto& [pid, text] : perf_maps_) chunk(format::ChunkType::kPerfMap, format::encode(format::PerfMapFile{pid, text}));
        format::RecordingStats stats;
        stats.end_time_ns = kStart + time_;
        chunk(format::ChunkType::kStats, format::encode(stats));
        close(fd);
        return st;
    }

    const ScriptFacts& facts() const { return facts_; }

private:
    struct Binary {
        std::string path;
        ElfInfo info;
        std::optional<EhFrameTable> cfi;
    };

    Status event(std::istringstream& in) {
        std::string name, kind, mode;
        uint64_t freq = 0;
        uint32_t stack_bytes = 0;
        in >> name >> kind >> freq >> mode >> stack_bytes;
        if (!mode.empty() && (mode != "dwarf" || stack_bytes == 0 || stack_bytes % 8 != 0))
            return make_error("event: expected 'dwarf BYTES' (a multiple of 8) after the frequency");
        if (kind == "switch") return switch_event(name);
        perf_event_attr a{};
        a.size = sizeof a;
        a.type = kind == "clock" || kind == "faults" ? PERF_TYPE_SOFTWARE : PERF_TYPE_HARDWARE;
        a.config = kind == "clock"    ? uint64_t{PERF_COUNT_SW_CPU_CLOCK}
                   : kind == "faults" ? uint64_t{PERF_COUNT_SW_PAGE_FAULTS}
                                      : uint64_t{PERF_COUNT_HW_INSTRUCTIONS};
        a.freq = kind == "faults" ? 0 : 1;  // page faults: one sample per FREQ faults, as --mem=faults
        if (a.freq)
            a.sample_freq = freq;
        else
            a.sample_period = freq;
        a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                        PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN;
        a.sample_id_all = 1;
        if (mode == "dwarf") {  // as recorder::EventSet::make_attr for -g dwarf,BYTES
            a.sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
            a.sample_regs_user = recorder::user_regs_mask();
            a.sample_stack_user = stack_bytes;
            a.exclude_callchain_user = 1;
        }
        format::EventDescription e;
        e.name = name;
        e.attr.resize(sizeof a);
        std::memcpy(e.attr.data(), &a, sizeof a);
        e.ids = {100 + events_.size()};
        e.is_clock = kind == "clock";
        events_.push_back(std::move(e));
        attr_ = a;
        return Status::success();
    }

    Status cfi(std::istringstream& in) {
        std::string alias, path;
        in >> alias >> path;
        auto b = binaries_.find(alias);
        if (b == binaries_.end()) return make_error("cfi: unknown binary " + alias);
        std::ifstream f(path);
        if (!f) return make_error("cannot open " + path + " (the test build writes it with readelf)");
        std::stringstream text;
        text << f.rdbuf();
        auto table = EhFrameTable::parse(text.str());
        if (!table) return make_error(path + ": " + table.error().message);
        b->second.cfi = std::move(*table);
        return Status::success();
    }

    Status mmap(std::istringstream& in) {
        uint32_t pid;
        std::string base_text, alias, id_text;
        in >> pid >> base_text >> alias >> id_text;
        auto b = binaries_.find(alias);
        if (b == binaries_.end()) return make_error("mmap: unknown binary " + alias);
        const uint64_t base = std::stoull(base_text, nullptr, 16);
        bases_[{pid, alias}] = base;
        std::vector<uint8_t> id = b->second.info.build_id;
        if (id_text == "noid") id.clear();
        else if (!id_text.empty()) id = parse_hex_bytes(id_text);
        for (const auto& l : b->second.info.exec_loads) {
            const uint64_t page = l.vaddr & ~0xfffull;
            ByteWriter w;
            w.u32(pid);
            w.u32(pid);
            w.u64(base + page);
            w.u64(((l.vaddr + l.filesz + 0xfff) & ~0xfffull) - page);
            w.u64(l.offset & ~0xfffull);
            uint8_t union_bytes[24] = {};
            if (!id.empty()) {
                union_bytes[0] = static_cast<uint8_t>(std::min<size_t>(id.size(), 20));
                std::memcpy(union_bytes + 4, id.data(), union_bytes[0]);
            }
            w.raw(union_bytes, sizeof union_bytes);
            w.u32(5);  // PROT_READ | PROT_EXEC
            w.u32(2);  // MAP_PRIVATE
            std::string padded = b->second.path;
            padded.resize((padded.size() + 8) & ~size_t{7}, '\0');
            w.raw(padded.data(), padded.size());
            trailer(w, pid, pid);
            record(PERF_RECORD_MMAP2, id.empty() ? 0 : PERF_RECORD_MISC_MMAP_BUILD_ID, w);
        }
        return Status::success();
    }

    // A frame of a sample line, resolved.
    struct Frame {
        NamedAddress name;
        bool kernel = false;
        std::string alias, function;  // user frames in a binary of the script
        uint64_t vaddr = 0;           // their ELF virtual address
    };

    Result<Frame> resolve(const std::string& f, uint32_t pid) {
        auto sym_plus = [](const std::string& s, std::string& sym) {
            const size_t plus = s.rfind('+');
            sym = s.substr(0, plus);
            return plus == std::string::npos ? 0 : std::stoull(s.substr(plus + 1), nullptr, 0);
        };
        Frame out;
        out.name.label = f;
        out.name.pid = static_cast<int32_t>(pid);
        std::string sym;
        if (f.rfind("a:", 0) == 0) {
            out.name.address = std::stoull(f.substr(2), nullptr, 0);
            return out;
        }
        if (f.rfind("k:", 0) == 0) {
            const uint64_t off = sym_plus(f.substr(2), sym);
            out.kernel = true;
            out.name.pid = -1;
            for (const auto& s : ksyms_.symbols)
                if (s.name == sym) {
                    out.name.address = s.address + off;
                    return out;
                }
            return make_error("unknown kernel symbol " + sym);
        }
        if (f.rfind("u:", 0) == 0) {
            const size_t colon = f.find(':', 2);
            out.alias = f.substr(2, colon - 2);
            const uint64_t off = sym_plus(f.substr(colon + 1), sym);
            auto b = binaries_.find(out.alias);
            auto base = bases_.find({pid, out.alias});
            if (b == binaries_.end() || base == bases_.end()) return make_error(f + ": binary not mapped in pid " + std::to_string(pid));
            auto s = b->second.info.symbols.find(sym);
            if (s == b->second.info.symbols.end()) return make_error(f + ": no symbol " + sym);
            return in_binary(std::move(out), b->second, base->second, s->second.vaddr + off, sym);
        }
        return make_error("bad frame " + f);
    }

    // c:ALIAS:CALLER above the frame below: the return address of CALLER's call to that frame's function.
    Result<Frame> call_site(const std::string& f, uint32_t pid, const Frame& below) {
        const size_t colon = f.find(':', 2);
        Frame out;
        out.alias = f.substr(2, colon - 2);
        const std::string caller = f.substr(colon + 1);
        if (out.alias != below.alias) return make_error(f + ": the frame below is not in " + out.alias);
        auto b = binaries_.find(out.alias);
        auto base = bases_.find({pid, out.alias});
        if (b == binaries_.end() || base == bases_.end()) return make_error(f + ": binary not mapped in pid " + std::to_string(pid));
        auto ra = b->second.info.return_address_of_call(caller, below.function);
        if (!ra) return make_error(f + ": " + ra.error().message);
        out.name.label = f + ">" + below.function;
        out.name.pid = static_cast<int32_t>(pid);
        return in_binary(std::move(out), b->second, base->second, *ra, caller);
    }

    static Frame in_binary(Frame f, const Binary& b, uint64_t base, uint64_t vaddr, const std::string& function) {
        f.vaddr = vaddr;
        f.function = function;
        f.name.address = base + vaddr;
        f.name.path = b.path;
        f.name.offset = b.info.file_offset(vaddr).value_or(vaddr);
        return f;
    }

    size_t name(const NamedAddress& n) {
        for (size_t i = 0; i < facts_.names.size(); ++i) {
            const NamedAddress& o = facts_.names[i];
            if (o.label == n.label && o.pid == n.pid && o.address == n.address) return i;
        }
        facts_.names.push_back(n);
        return facts_.names.size() - 1;
    }

    Status sample(std::istringstream& in) {
        if (attr_.sample_type & PERF_SAMPLE_STACK_USER) return make_error("sample: the event is a dwarf one, use dsample");
        uint64_t t, period;
        uint32_t pid, tid, cpu;
        in >> t >> pid >> tid >> cpu >> period;
        std::vector<uint64_t> chain;
        bool in_kernel = false, in_user = false;
        std::string f;
        while (in >> f) {
            auto frame = resolve(f, pid);
            if (!frame) return frame.error();
            name(frame->name);
            const bool kernel = frame->kernel;
            if (kernel && !in_kernel) chain.push_back(static_cast<uint64_t>(PERF_CONTEXT_KERNEL));
            if (!kernel && !in_user) chain.push_back(static_cast<uint64_t>(PERF_CONTEXT_USER));
            in_kernel = in_kernel || kernel;
            in_user = in_user || !kernel;
            chain.push_back(frame->name.address);
        }
        time_ = t;
        ByteWriter w;
        w.u64(events_.back().ids[0]);
        w.u64(chain.size() > 1 ? chain[1] : 0);
        w.u32(pid);
        w.u32(tid);
        w.u64(kStart + t);
        w.u32(cpu);
        w.u32(0);
        w.u64(period);
        w.u64(chain.size());
        for (uint64_t c : chain) w.u64(c);
        record(PERF_RECORD_SAMPLE, 0, w);
        return Status::success();
    }

    Status dsample(std::istringstream& in) {
        if (!(attr_.sample_type & PERF_SAMPLE_STACK_USER))
            return make_error("dsample needs a dwarf event (event NAME clock FREQ dwarf BYTES)");
        uint64_t t, period;
        uint32_t pid, tid, cpu;
        in >> t >> pid >> tid >> cpu >> period;
        std::vector<uint64_t> kernel;
        std::vector<Frame> user;
        uint64_t copy_limit = attr_.sample_stack_user;
        for (std::string f; in >> f;) {
            if (f.rfind("copy=", 0) == 0) {
                copy_limit = std::min<uint64_t>(copy_limit, std::stoull(f.substr(5)));
                continue;
            }
            if (f.rfind("c:", 0) == 0 && user.empty()) return make_error(f + ": a call site needs a frame below it");
            auto frame = f.rfind("c:", 0) == 0 ? call_site(f, pid, user.back()) : resolve(f, pid);
            if (!frame) return frame.error();
            if (frame->kernel) {
                if (!user.empty()) return make_error(f + ": kernel frames come before the user chain");
                name(frame->name);
                kernel.push_back(frame->name.address);
                continue;
            }
            if (frame->alias.empty()) return make_error(f + ": a dsample's user frames must be in a binary with cfi");
            user.push_back(std::move(*frame));
        }
        if (user.empty()) return make_error("dsample: no user frames");
        std::vector<ChainFrame> chain;
        DescribedStack described{t, static_cast<int32_t>(pid), static_cast<int32_t>(tid), {}, 0};
        for (size_t i = 0; i < user.size(); ++i) {
            const Binary& b = binaries_.at(user[i].alias);
            if (!b.cfi) return make_error(user[i].name.label + ": no cfi line for " + user[i].alias);
            chain.push_back({user[i].name.address, b.cfi->row_at(i == 0 ? user[i].vaddr : user[i].vaddr - 1),
                             user[i].name.label});
            described.frames.push_back(name(user[i].name));
        }
        auto stack = synthesize_user_stack(chain, kUserSp);
        if (!stack) return make_error("dsample: " + stack.error().message);
        const uint64_t copied = std::min<uint64_t>(copy_limit, stack->stack.size());
        while (described.frames_in_copy < stack->return_slots.size() &&
               stack->return_slots[described.frames_in_copy] + 8 <= stack->sp + copied)
            ++described.frames_in_copy;
        facts_.dwarf_stacks.push_back(std::move(described));

        time_ = t;
        ByteWriter w;
        w.u64(events_.back().ids[0]);
        w.u64(kernel.empty() ? stack->ip : kernel.front());
        w.u32(pid);
        w.u32(tid);
        w.u64(kStart + t);
        w.u32(cpu);
        w.u32(0);
        w.u64(period);
        // -g dwarf excludes the user callchain: only the kernel's part, if the sample was in it.
        w.u64(kernel.empty() ? 0 : kernel.size() + 1);
        if (!kernel.empty()) w.u64(static_cast<uint64_t>(PERF_CONTEXT_KERNEL));
        for (uint64_t k : kernel) w.u64(k);
        if (Status st = append_user_regs_and_stack(w, *stack, attr_.sample_regs_user, copied); !st)
            return make_error("dsample: " + st.error().message);
        if (sizeof(perf_event_header) + w.size() > 0xffff) return make_error("dsample: the record exceeds 64 KiB");
        record(PERF_RECORD_SAMPLE, 0, w);
        return Status::success();
    }

    // The sched:sched_switch tracepoint, every occurrence, with its RAW payload.
    Status switch_event(const std::string& name) {
        perf_event_attr a{};
        a.size = sizeof a;
        a.type = PERF_TYPE_TRACEPOINT;
        a.config = 372;
        a.sample_period = 1;
        a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                        PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_RAW;
        a.sample_id_all = 1;
        format::EventDescription e;
        e.name = name;
        e.attr.resize(sizeof a);
        std::memcpy(e.attr.data(), &a, sizeof a);
        e.ids = {100 + events_.size()};
        e.tracepoint_format = kSchedSwitchFormat;
        switch_id_ = e.ids[0];
        events_.push_back(std::move(e));
        attr_ = a;
        return Status::success();
    }

    // switch TIME CPU PREV_PID PREV_TID PREV_STATE NEXT_TID: a sched_switch sample.
    Status sched_switch(std::istringstream& in) {
        if (switch_id_ == 0) return make_error("switch: no 'event NAME switch 1' line before");
        uint64_t t;
        uint32_t cpu, pid, tid, next;
        int64_t state;
        if (!(in >> t >> cpu >> pid >> tid >> state >> next))
            return make_error("switch: expected TIME CPU PREV_PID PREV_TID PREV_STATE NEXT_TID");
        time_ = t;
        uint8_t raw[68] = {};  // the 64-byte payload, padded so that size + payload end on 8 bytes
        std::memcpy(raw + 24, &tid, 4);
        std::memcpy(raw + 32, &state, 8);
        std::memcpy(raw + 56, &next, 4);
        ByteWriter w;
        w.u64(switch_id_);
        w.u64(0);  // ip
        w.u32(pid);
        w.u32(tid);
        w.u64(kStart + t);
        w.u32(cpu);
        w.u32(0);
        w.u64(1);  // period
        w.u64(0);  // no callchain
        w.u32(sizeof raw);
        w.raw(raw, sizeof raw);
        record(PERF_RECORD_SAMPLE, 0, w);
        return Status::success();
    }

    // counters TIME KEY=VALUE...: one COUNTERS chunk of one snapshot (see the header).
    Status counters(std::istringstream& in) {
        auto chunk = parse_counters_line(in, kStart);
        if (!chunk) return chunk.error();
        time_ = chunk->snapshots.front().time_ns - kStart;
        counters_.push_back(std::move(*chunk));
        return Status::success();
    }

    // The sample_id trailer (TID, TIME, CPU, IDENTIFIER) of non-sample records.
    void trailer(ByteWriter& w, uint32_t pid, uint32_t tid) {
        w.u32(pid);
        w.u32(tid);
        w.u64(kStart + time_);
        w.u32(0);
        w.u32(0);
        w.u64(events_.empty() ? 0 : events_.front().ids[0]);
    }

    void record(uint32_t type, uint16_t misc, const ByteWriter& body) {
        perf_event_header h{type, misc, static_cast<uint16_t>(sizeof(perf_event_header) + body.size())};
        records_.raw(&h, sizeof h);
        records_.raw(body.bytes().data(), body.bytes().size());
    }

    std::vector<format::EventDescription> events_;
    perf_event_attr attr_{};  // of the last event
    std::map<std::string, Binary> binaries_;
    std::map<std::pair<uint32_t, std::string>, uint64_t> bases_;
    format::KernelSymbols ksyms_;
    std::map<int32_t, std::string> perf_maps_;
    std::vector<format::CounterChunk> counters_;
    uint64_t switch_id_ = 0;  // the sched_switch event's id, 0 before its event line
    ByteWriter records_;
    uint64_t time_ = 0;
    ScriptFacts facts_;
};

}  // namespace

const NamedAddress* ScriptFacts::find_file(const std::string& path, uint64_t offset) const {
    for (const auto& n : names)
        if (!n.path.empty() && n.path == path && n.offset == offset) return &n;
    return nullptr;
}

const NamedAddress* ScriptFacts::find_address(int32_t pid, uint64_t address) const {
    for (const auto& n : names)
        if (n.pid == pid && n.address == address) return &n;
    return nullptr;
}

Status write_recording_from_script(const std::string& script, const std::string& out_path, ScriptFacts* facts) {
    ScriptRecording rec;
    std::istringstream in(script);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        Status st = rec.line(line);
        if (!st) return make_error("script line " + std::to_string(n) + ": " + st.error().message);
    }
    if (facts) *facts = rec.facts();
    return rec.write(out_path);
}

}  // namespace kiln::testing
