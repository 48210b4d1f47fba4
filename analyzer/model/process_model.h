// Each process's address space and names over time, rebuilt from MMAP2/COMM/FORK/EXIT
// records and the recording's /proc snapshot, so that a sample resolves against the
// mappings its process had when the sample was taken.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/sideband.h"

namespace kiln::analyzer {

// A mapped object: one file (by path and build-id), or memory no file explains.
struct Dso {
    // Vdso: a [vdso] mapping of a recording without the vdso's image (with it, a File).
    enum class Kind : uint8_t { File, Anonymous, Vdso, Special };
    Kind kind = Kind::File;
    std::string path;                // recorded path; "[anon]", "[vdso]", "[stack]" ...
    std::vector<uint8_t> build_id;   // empty while unknown
    int32_t pid = -1;                // for Anonymous (JIT code lives per process), else -1
};

struct MapEntry {
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t pgoff = 0;
    uint32_t dso = 0;                // index into ProcessModel::dsos()
};

// Mappings of one address space, non-overlapping; a new mapping replaces what it covers.
class AddressSpace {
public:
    void insert(const MapEntry& e);
    const MapEntry* find(uint64_t addr) const;
    // The last of the (at most max_steps) mappings starting at or below addr that keeps(),
    // walking down: the code mapping of the file whose data or read-only segments hold addr.
    template <typename Keep>
    const MapEntry* at_or_below(uint64_t addr, size_t max_steps, Keep keeps) const {
        auto it = by_start_.upper_bound(addr);
        for (size_t n = 0; n < max_steps && it != by_start_.begin(); ++n) {
            --it;
            if (keeps(it->second)) return &it->second;
        }
        return nullptr;
    }
    size_t size() const { return by_start_.size(); }

private:
    std::map<uint64_t, MapEntry> by_start_;
};

class ProcessModel {
public:
    void apply_snapshot(const format::ProcessSnapshot& snap);
    void mmap(int32_t pid, uint64_t start, uint64_t len, uint64_t pgoff, uint32_t prot, const std::string& path,
              std::span<const uint8_t> build_id);
    void comm(int32_t pid, int32_t tid, const std::string& name, bool exec);
    void fork(int32_t pid, int32_t ppid, int32_t tid);
    void exit(int32_t pid, int32_t tid);
    // Build-ids read at the end of recording for files the kernel gave none.
    void apply_build_ids(const format::BuildIdTable& table);
    // The build-id of the vdso image the recording holds (ExtractedArchive::vdso_build_id()):
    // [vdso] mappings are then that file, named and unwound like any other. Before the records.
    void set_vdso_build_id(std::vector<uint8_t> id) { vdso_build_id_ = std::move(id); }

    const MapEntry* find(int32_t pid, uint64_t addr) const;
    // The process's current address space (nullptr for an unknown pid); valid until the
    // model next changes.
    const AddressSpace* space(int32_t pid) const;
    std::string process_name(int32_t pid) const;
    std::string thread_name(int32_t pid, int32_t tid) const;

    const std::vector<Dso>& dsos() const { return dsos_; }
    size_t process_count() const { return processes_.size(); }

private:
    struct Process {
        std::shared_ptr<AddressSpace> space = std::make_shared<AddressSpace>();
        std::string name;
    };
    Process& process(int32_t pid);
    uint32_t intern_dso(Dso dso);
    AddressSpace& writable_space(Process& p);

    std::unordered_map<int32_t, Process> processes_;
    std::unordered_map<int32_t, std::string> thread_names_;
    std::vector<Dso> dsos_;
    std::map<std::string, uint32_t> dso_index_;
    std::vector<uint8_t> vdso_build_id_;
};

}  // namespace kiln::analyzer
