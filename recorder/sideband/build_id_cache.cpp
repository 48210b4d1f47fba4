#include "recorder/sideband/build_id_cache.h"

#include <sys/mman.h>

#include <set>
#include <string>

#include "recorder/sideband/proc_binary_paths.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::recorder::sideband {

bool is_file_backed(const format::MappingEntry& e) { return e.inode != 0 && !e.path.empty() && e.path[0] == '/'; }

const std::vector<uint8_t>& BuildIdCache::get(int pid, const ParsedMapping& m) {
    const format::MappingEntry& e = m.entry;
    Key key{e.dev_major, e.dev_minor, e.inode};
    auto it = ids_.find(key);
    if (it != ids_.end()) return it->second;

    const auto [map_file, in_root] = proc_binary_paths(pid, e.start, e.end, e.path);
    auto id = read_build_id(map_file);
    if (!id && !m.deleted) id = read_build_id(in_root);
    if (!id && !m.deleted) id = read_build_id(e.path);
    std::vector<uint8_t> value;
    if (id) value = std::move(*id);
    return ids_.emplace(key, std::move(value)).first->second;
}

void fill_build_ids(int pid, std::vector<ParsedMapping>& maps, BuildIdCache& cache) {
    std::set<std::tuple<uint32_t, uint32_t, uint64_t>> executable;
    for (const auto& m : maps)
        if ((m.entry.prot & PROT_EXEC) && is_file_backed(m.entry))
            executable.emplace(m.entry.dev_major, m.entry.dev_minor, m.entry.inode);
    if (executable.empty()) return;
    // Read through an executable mapping first: map_files of it is the ELF for sure.
    for (auto& m : maps)
        if ((m.entry.prot & PROT_EXEC) && is_file_backed(m.entry)) m.entry.build_id = cache.get(pid, m);
    for (auto& m : maps)
        if (!(m.entry.prot & PROT_EXEC) && is_file_backed(m.entry) &&
            executable.count({m.entry.dev_major, m.entry.dev_minor, m.entry.inode}))
            m.entry.build_id = cache.get(pid, m);
}

}  // namespace kiln::recorder::sideband
