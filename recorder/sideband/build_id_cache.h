// Build-ids of mapped files, read once per file (device, inode) for a whole snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "recorder/sideband/proc_maps.h"

namespace kiln::recorder::sideband {

class BuildIdCache {
public:
    // The build-id of the file behind `m` in process `pid`, empty when it cannot be read.
    // Tries /proc/PID/map_files/START-END (the mapped file itself, even if deleted or in
    // another mount namespace; needs CAP_SYS_ADMIN), then, unless the file was deleted,
    // /proc/PID/root/PATH and PATH. Failures are cached too.
    const std::vector<uint8_t>& get(int pid, const ParsedMapping& m);

    size_t files_read() const { return ids_.size(); }

private:
    using Key = std::tuple<uint32_t, uint32_t, uint64_t>;  // dev major, dev minor, inode
    std::map<Key, std::vector<uint8_t>> ids_;
};

// True for mappings of a file that can carry a build-id: a real path and an inode.
bool is_file_backed(const format::MappingEntry& e);

// Sets the build-id of every mapping whose file has at least one executable mapping in
// `maps` (so the read-only ELF header segment gets it too).
void fill_build_ids(int pid, std::vector<ParsedMapping>& maps, BuildIdCache& cache);

}  // namespace kiln::recorder::sideband
