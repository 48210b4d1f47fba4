#include "tests/analyzer/stage_dump.h"

#include <cinttypes>
#include <cstdio>
#include <regex>
#include <sstream>

#include "analyzer/decode/record_stream.h"
#include "analyzer/output/folded_writer.h"
#include "analyzer/profile/flame_tree.h"
#include "analyzer/unwind/fp_callchain.h"
#include "analyzer/unwind/user_registers.h"
#include "formats/perf_records.h"
#include "formats/recording_reader.h"
#include "tests/analyzer/golden_files.h"

namespace kiln::testing {

namespace {

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

std::string since_start(uint64_t time) { return std::to_string(time - kScriptStartNs); }

// The script's name for a user address of process pid, else the address.
std::string user_address(const ScriptFacts& facts, uint32_t pid, uint64_t addr) {
    const NamedAddress* n = facts.find_address(static_cast<int32_t>(pid), addr);
    return n ? n->label : hex(addr);
}

std::string kernel_address(const ScriptFacts& facts, uint64_t addr) {
    const NamedAddress* n = facts.find_address(-1, addr);
    return n ? n->label : hex(addr);
}

// The script's name for a frame's address: a name of the address itself or of the next byte
// ("NAME -1": a caller's frame is looked up at its return address - 1). Where the script gave
// both, a frame after the first of its kind (kernel, user) reads as a caller's.
std::string named(const NamedAddress* at, const NamedAddress* after, uint64_t value, bool caller) {
    if (after && (caller || !at)) return after->label + " -1";
    if (at) return at->label;
    return hex(value);
}

class RecordText final : public analyzer::RecordVisitor {
public:
    RecordText(const format::RecordingHeader& header, const analyzer::EventTable& events, const ScriptFacts& facts)
        : header_(header), events_(events), facts_(facts) {}

    std::string text = "# time pid/tid type event: fields (stream_recording, in delivery order)\n";

    void snapshot(const format::ProcessSnapshot& snap) override {
        text += "snapshot: " + std::to_string(snap.processes.size()) + " processes\n";
    }

    void record(const perf_event_header& h, std::span<const uint8_t> rec, int event, uint64_t time) override {
        const std::string name = event >= 0 ? header_.events[static_cast<size_t>(event)].name : "?";
        if (h.type == PERF_RECORD_SAMPLE && event >= 0) return sample(rec, event, name);
        uint32_t pid = 0, tid = 0;
        if (event >= 0) {
            const format::SampleId id = format::parse_sample_id(events_.layout(event), rec);
            pid = id.pid;
            tid = id.tid;
        }
        std::string line = since_start(time) + " " + std::to_string(pid) + "/" + std::to_string(tid) + " " +
                           format::record_type_name(h.type) + " " + name + ":";
        if (h.type == PERF_RECORD_MMAP2 || h.type == PERF_RECORD_MMAP) {
            if (auto m = format::parse_mmap(rec)) {
                line += std::string(" ") + ((m->prot & 1) ? "r" : "-") + ((m->prot & 2) ? "w" : "-") +
                        ((m->prot & 4) ? "x" : "-") + " " + std::string(m->filename);
                line += m->build_id.empty() ? " (no build-id)" : " (build-id)";
            }
        } else if (h.type == PERF_RECORD_COMM) {
            if (auto c = format::parse_comm(rec)) line += " " + std::string(c->comm) + (c->exec ? " (exec)" : "");
        } else if (h.type == PERF_RECORD_FORK || h.type == PERF_RECORD_EXIT) {
            if (auto t = format::parse_task(rec))
                line += " pid " + std::to_string(t->pid) + " ppid " + std::to_string(t->ppid) + " tid " + std::to_string(t->tid);
        }
        text += with_path_variables(line) + "\n";
    }

private:
    void sample(std::span<const uint8_t> rec, int event, const std::string& name) {
        auto s = format::parse_sample(events_.layout(event), rec);
        if (!s) {
            text += "unparsable sample: " + s.error().message + "\n";
            return;
        }
        std::string line = since_start(s->time) + " " + std::to_string(s->pid) + "/" + std::to_string(s->tid) +
                           " SAMPLE " + name + ": cpu " + std::to_string(s->cpu) + " period " + std::to_string(s->period);
        line += " ip " + (analyzer::is_kernel_address(s->ip) ? kernel_address(facts_, s->ip) : user_address(facts_, s->pid, s->ip));
        line += " callchain";
        bool kernel = false;
        for (size_t i = 0; i < s->callchain_size(); ++i) {
            const uint64_t ip = s->callchain_at(i);
            if (ip == static_cast<uint64_t>(PERF_CONTEXT_KERNEL) || ip == static_cast<uint64_t>(PERF_CONTEXT_USER)) {
                kernel = ip == static_cast<uint64_t>(PERF_CONTEXT_KERNEL);
                line += kernel ? " [kernel]" : " [user]";
            } else {
                line += " " + (kernel ? kernel_address(facts_, ip) : user_address(facts_, s->pid, ip));
            }
        }
        if (s->callchain_size() == 0) line += " (none)";
        if (s->regs_abi != 0) {
            const uint64_t mask = events_.attr(event).sample_regs_user;
            line += " user-regs " + std::to_string(s->regs.size() / 8) + " (";
            using analyzer::UserReg;
            if (auto ip = analyzer::user_register(*s, mask, UserReg::kIp)) line += "ip " + user_address(facts_, s->pid, *ip);
            if (auto sp = analyzer::user_register(*s, mask, UserReg::kSp)) line += ", sp " + hex(*sp);
            line += ")";
        }
        // The copy's size follows from the frames' sizes, which are the compiler's: not shown.
        if (!s->stack.empty()) line += " user-stack";
        text += line + "\n";
    }

    const format::RecordingHeader& header_;
    const analyzer::EventTable& events_;
    const ScriptFacts& facts_;
};

}  // namespace

Result<std::string> decoded_records_text(const std::string& recording, const ScriptFacts& facts) {
    auto reader = format::RecordingReader::open(recording);
    if (!reader) return reader.error();
    const analyzer::EventTable events((*reader)->header());
    RecordText visitor((*reader)->header(), events, facts);
    auto streamed = analyzer::stream_recording(**reader, visitor);
    if (!streamed) return streamed.error();
    for (const auto& w : streamed->warnings) visitor.text += "warning: " + w + "\n";
    return visitor.text;
}

void append_unwound_stack(const analyzer::UnwoundStack& stack, const ScriptFacts& facts, std::string& out) {
    const format::ParsedSample& s = stack.sample;
    const char* mark = analyzer::unwind_mark_name(stack.mark);
    out += since_start(s.time) + " " + std::to_string(s.pid) + "/" + std::to_string(s.tid) + " " +
           (mark ? mark : "complete") + "\n";
    const auto pid = static_cast<int32_t>(s.pid);
    for (size_t i = 0; i < stack.frames.size(); ++i) {
        const analyzer::RawFrame& f = stack.frames[i];
        const bool kernel = f.dso == analyzer::kKernelDso;
        const bool caller = i > 0 && (stack.frames[i - 1].dso == analyzer::kKernelDso) == kernel;
        const auto named = [caller](const NamedAddress* at, const NamedAddress* after, uint64_t value) {
            return kiln::testing::named(at, after, value, caller);
        };
        std::string object, where;
        if (kernel) {
            object = "[kernel]";
            where = named(facts.find_address(-1, f.addr), facts.find_address(-1, f.addr + 1), f.addr);
        } else if (f.dso == analyzer::kTruncatedDso) {
            object = "[truncated]";
        } else if (f.dso == analyzer::kUnmappedDso) {
            object = "[unmapped]";
            where = named(facts.find_address(pid, f.addr), facts.find_address(pid, f.addr + 1), f.addr);
        } else if (f.dso < stack.model.dsos().size()) {
            const analyzer::Dso& d = stack.model.dsos()[f.dso];
            object = d.path.substr(d.path.rfind('/') + 1);
            if (d.kind == analyzer::Dso::Kind::File)  // addr: a file offset
                where = named(facts.find_file(d.path, f.addr), facts.find_file(d.path, f.addr + 1), f.addr);
            else
                where = named(facts.find_address(pid, f.addr), facts.find_address(pid, f.addr + 1), f.addr);
        } else {
            object = "[dso " + std::to_string(f.dso) + "]";
            where = hex(f.addr);
        }
        out += "  " + object + (where.empty() ? "" : "  " + where) + "\n";
    }
}

std::string folded_text(const analyzer::Analysis& a) {
    std::ostringstream out;
    analyzer::write_folded(analyzer::build_flame_tree(a.profile, static_cast<size_t>(a.profile.default_sample_type)), out);
    return std::regex_replace(out.str(), std::regex("\\+0x[0-9a-f]+"), "+0xOFF");
}

}  // namespace kiln::testing
