#include "analyzer/model/process_model.h"

#include <sys/mman.h>

#include "formats/archived_binary.h"

namespace kiln::analyzer {

void AddressSpace::insert(const MapEntry& e) {
    if (e.end <= e.start) return;
    // Cut whatever the new mapping overlaps, keeping the parts outside it.
    auto it = by_start_.upper_bound(e.start);
    if (it != by_start_.begin()) --it;
    while (it != by_start_.end() && it->second.start < e.end) {
        MapEntry old = it->second;
        if (old.end <= e.start) {
            ++it;
            continue;
        }
        it = by_start_.erase(it);
        if (old.start < e.start) {
            MapEntry left = old;
            left.end = e.start;
            by_start_.emplace(left.start, left);
        }
        if (old.end > e.end) {
            MapEntry right = old;
            right.pgoff += e.end - old.start;
            right.start = e.end;
            by_start_.emplace(right.start, right);
        }
    }
    by_start_.emplace(e.start, e);
}

const MapEntry* AddressSpace::find(uint64_t addr) const {
    auto it = by_start_.upper_bound(addr);
    if (it == by_start_.begin()) return nullptr;
    --it;
    return addr < it->second.end ? &it->second : nullptr;
}

ProcessModel::Process& ProcessModel::process(int32_t pid) { return processes_[pid]; }

AddressSpace& ProcessModel::writable_space(Process& p) {
    // Forked children share their parent's map until either side changes it.
    if (p.space.use_count() > 1) p.space = std::make_shared<AddressSpace>(*p.space);
    return *p.space;
}

uint32_t ProcessModel::intern_dso(Dso dso) {
    std::string key = std::to_string(static_cast<int>(dso.kind)) + '\0' + dso.path + '\0' +
                      format::build_id_hex(dso.build_id) + '\0' + std::to_string(dso.pid);
    auto [it, inserted] = dso_index_.emplace(std::move(key), static_cast<uint32_t>(dsos_.size()));
    if (inserted) dsos_.push_back(std::move(dso));
    return it->second;
}

namespace {

Dso classify(int32_t pid, const std::string& path, std::span<const uint8_t> build_id,
             std::span<const uint8_t> vdso_build_id) {
    Dso d;
    if (path == format::kVdsoBinaryPath) {
        // With the recording's copy of the image, found by its build-id like an archived file.
        d.kind = vdso_build_id.empty() ? Dso::Kind::Vdso : Dso::Kind::File;
        d.path = path;
        d.build_id.assign(vdso_build_id.begin(), vdso_build_id.end());
    } else if (path.empty() || path == "//anon" || path.rfind("[anon", 0) == 0 || path.rfind("/memfd:", 0) == 0 ||
               path.rfind("/dev/zero", 0) == 0) {
        // Executable anonymous memory is where JIT compilers put code (perf-PID.map names it).
        d.kind = Dso::Kind::Anonymous;
        d.path = "[anon]";
        d.pid = pid;
    } else if (path[0] == '[') {
        d.kind = Dso::Kind::Special;
        d.path = path;
    } else {
        d.kind = Dso::Kind::File;
        d.path = path;
        d.build_id.assign(build_id.begin(), build_id.end());
    }
    return d;
}

}  // namespace

void ProcessModel::apply_snapshot(const format::ProcessSnapshot& snap) {
    for (const auto& pe : snap.processes) {
        const bool known = processes_.count(pe.pid) > 0;
        Process& p = process(pe.pid);
        if (p.name.empty()) p.name = pe.comm;
        for (size_t i = 0; i < pe.tids.size() && i < pe.thread_comms.size(); ++i)
            thread_names_.emplace(pe.tids[i], pe.thread_comms[i]);
        // Records already seen for this process are newer than the snapshot: keep them.
        if (known && p.space->size() > 0) continue;
        for (const auto& m : pe.maps) {
            if (!(m.prot & PROT_EXEC)) continue;
            Dso d = classify(pe.pid, m.path, m.build_id, vdso_build_id_);
            writable_space(p).insert({m.start, m.end, m.pgoff, intern_dso(std::move(d))});
        }
    }
}

void ProcessModel::mmap(int32_t pid, uint64_t start, uint64_t len, uint64_t pgoff, uint32_t prot,
                        const std::string& path, std::span<const uint8_t> build_id) {
    if (pid <= 0) return;  // kernel text mappings: the kernel is resolved through kallsyms
    Process& p = process(pid);
    MapEntry e{start, start + len, pgoff, 0};
    if (!(prot & PROT_EXEC)) {
        // Data mappings never hold sampled code, but they replace code that was mapped there.
        e.dso = intern_dso({Dso::Kind::Special, "[data]", {}, -1});
    } else {
        e.dso = intern_dso(classify(pid, path, build_id, vdso_build_id_));
    }
    writable_space(p).insert(e);
}

void ProcessModel::comm(int32_t pid, int32_t tid, const std::string& name, bool exec) {
    Process& p = process(pid);
    if (exec) {
        // A new program: the old address space is gone; its mappings follow this record.
        p.space = std::make_shared<AddressSpace>();
    }
    if (pid == tid || exec) p.name = name;
    thread_names_[tid] = name;
}

void ProcessModel::fork(int32_t pid, int32_t ppid, int32_t tid) {
    if (pid == ppid) return;  // a new thread shares its process's address space
    auto parent = processes_.find(ppid);
    Process child;
    if (parent != processes_.end()) {
        child.space = parent->second.space;  // copy on write
        child.name = parent->second.name;
    }
    processes_[pid] = std::move(child);
    if (parent != processes_.end()) thread_names_[tid] = parent->second.name;
}

void ProcessModel::exit(int32_t, int32_t) {
    // Samples can still arrive after EXIT (from other CPUs' rings); the process stays until
    // its pid is reused by a fork.
}

void ProcessModel::apply_build_ids(const format::BuildIdTable& table) {
    std::map<std::string, const std::vector<uint8_t>*> by_path;
    for (const auto& e : table.entries) by_path[e.path] = &e.build_id;
    for (auto& d : dsos_) {
        if (d.kind != Dso::Kind::File || !d.build_id.empty()) continue;
        auto it = by_path.find(d.path);
        if (it != by_path.end()) d.build_id = *it->second;
    }
}

const MapEntry* ProcessModel::find(int32_t pid, uint64_t addr) const {
    auto it = processes_.find(pid);
    return it == processes_.end() ? nullptr : it->second.space->find(addr);
}

const AddressSpace* ProcessModel::space(int32_t pid) const {
    auto it = processes_.find(pid);
    return it == processes_.end() ? nullptr : it->second.space.get();
}

std::string ProcessModel::process_name(int32_t pid) const {
    auto it = processes_.find(pid);
    if (it != processes_.end() && !it->second.name.empty()) return it->second.name;
    auto t = thread_names_.find(pid);
    if (t != thread_names_.end()) return t->second;
    return pid == 0 ? "swapper" : "[pid " + std::to_string(pid) + "]";
}

std::string ProcessModel::thread_name(int32_t pid, int32_t tid) const {
    auto t = thread_names_.find(tid);
    return t != thread_names_.end() ? t->second : process_name(pid);
}

}  // namespace kiln::analyzer
