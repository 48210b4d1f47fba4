#include "tests/analyzer/recording_script.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/perf_event.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <sstream>
#include <vector>

#include "formats/byte_io.h"
#include "formats/chunk_writer.h"
#include "formats/kiln_format.h"
#include "formats/recording_header.h"
#include "formats/recording_stats.h"
#include "formats/perf_sample.h"
#include "formats/sideband.h"

namespace kiln::testing {

namespace {

constexpr uint64_t kStart = 1'000'000'000'000ull;  // CLOCK_MONOTONIC of the recording's start

struct ElfInfo {
    std::map<std::string, uint64_t> symbols;  // function name → st_value
    struct Load {
        uint64_t vaddr, offset, filesz;
    };
    std::vector<Load> exec_loads;
    std::vector<uint8_t> build_id;
};

Result<ElfInfo> read_elf(const std::string& path) {
    elf_version(EV_CURRENT);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("cannot open " + path);
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    ElfInfo info;
    size_t nph = 0;
    elf_getphdrnum(elf, &nph);
    for (size_t i = 0; i < nph; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X))
            info.exec_loads.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz});
    }
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        gelf_getshdr(scn, &sh);
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (!data) continue;
        if (sh.sh_type == SHT_SYMTAB) {
            const size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
            for (size_t i = 0; i < n; ++i) {
                GElf_Sym sym;
                if (!gelf_getsym(data, static_cast<int>(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC) continue;
                const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
                if (name && sym.st_value) info.symbols[name] = sym.st_value;
            }
        } else if (sh.sh_type == SHT_NOTE) {
            size_t off = 0, name_off, desc_off;
            GElf_Nhdr nh;
            while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0)
                if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4) {
                    const auto* d = static_cast<const uint8_t*>(data->d_buf) + desc_off;
                    info.build_id.assign(d, d + nh.n_descsz);
                }
        }
    }
    elf_end(elf);
    close(fd);
    if (info.exec_loads.empty()) return make_error(path + ": no executable PT_LOAD");
    return info;
}

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
        for (const auto& [pid, text] : perf_maps_) chunk(format::ChunkType::kPerfMap, format::encode(format::PerfMapFile{pid, text}));
        format::RecordingStats stats;
        stats.end_time_ns = kStart + time_;
        chunk(format::ChunkType::kStats, format::encode(stats));
        close(fd);
        return st;
    }

private:
    struct Binary {
        std::string path;
        ElfInfo info;
    };

    Status event(std::istringstream& in) {
        std::string name, kind;
        uint64_t freq = 0;
        in >> name >> kind >> freq;
        perf_event_attr a{};
        a.size = sizeof a;
        a.type = kind == "clock" ? PERF_TYPE_SOFTWARE : PERF_TYPE_HARDWARE;
        a.config = kind == "clock" ? uint64_t{PERF_COUNT_SW_CPU_CLOCK} : uint64_t{PERF_COUNT_HW_INSTRUCTIONS};
        a.freq = 1;
        a.sample_freq = freq;
        a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                        PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN;
        a.sample_id_all = 1;
        format::EventDescription e;
        e.name = name;
        e.attr.resize(sizeof a);
        std::memcpy(e.attr.data(), &a, sizeof a);
        e.ids = {100 + events_.size()};
        e.is_clock = kind == "clock";
        events_.push_back(std::move(e));
        layout_ = format::SampleLayout::from_attr(a);
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

    Result<uint64_t> frame_address(const std::string& f, uint32_t pid) {
        auto sym_plus = [](const std::string& s, std::string& sym) {
            const size_t plus = s.rfind('+');
            sym = s.substr(0, plus);
            return plus == std::string::npos ? 0 : std::stoull(s.substr(plus + 1), nullptr, 0);
        };
        if (f.rfind("a:", 0) == 0) return std::stoull(f.substr(2), nullptr, 0);
        std::string sym;
        if (f.rfind("k:", 0) == 0) {
            const uint64_t off = sym_plus(f.substr(2), sym);
            for (const auto& s : ksyms_.symbols)
                if (s.name == sym) return s.address + off;
            return make_error("unknown kernel symbol " + sym);
        }
        if (f.rfind("u:", 0) == 0) {
            const size_t colon = f.find(':', 2);
            const std::string alias = f.substr(2, colon - 2);
            const uint64_t off = sym_plus(f.substr(colon + 1), sym);
            auto b = binaries_.find(alias);
            auto base = bases_.find({pid, alias});
            if (b == binaries_.end() || base == bases_.end()) return make_error(f + ": binary not mapped in pid " + std::to_string(pid));
            auto s = b->second.info.symbols.find(sym);
            if (s == b->second.info.symbols.end()) return make_error(f + ": no symbol " + sym);
            return base->second + s->second + off;
        }
        return make_error("bad frame " + f);
    }

    Status sample(std::istringstream& in) {
        uint64_t t, period;
        uint32_t pid, tid, cpu;
        in >> t >> pid >> tid >> cpu >> period;
        std::vector<uint64_t> chain;
        bool in_kernel = false, in_user = false;
        std::string f;
        while (in >> f) {
            auto addr = frame_address(f, pid);
            if (!addr) return addr.error();
            const bool kernel = f[0] == 'k';
            if (kernel && !in_kernel) chain.push_back(static_cast<uint64_t>(PERF_CONTEXT_KERNEL));
            if (!kernel && !in_user) chain.push_back(static_cast<uint64_t>(PERF_CONTEXT_USER));
            in_kernel = in_kernel || kernel;
            in_user = in_user || !kernel;
            chain.push_back(*addr);
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
    format::SampleLayout layout_;
    std::map<std::string, Binary> binaries_;
    std::map<std::pair<uint32_t, std::string>, uint64_t> bases_;
    format::KernelSymbols ksyms_;
    std::map<int32_t, std::string> perf_maps_;
    ByteWriter records_;
    uint64_t time_ = 0;
};

}  // namespace

Status write_recording_from_script(const std::string& script, const std::string& out_path) {
    ScriptRecording rec;
    std::istringstream in(script);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        Status st = rec.line(line);
        if (!st) return make_error("script line " + std::to_string(n) + ": " + st.error().message);
    }
    return rec.write(out_path);
}

}  // namespace kiln::testing
