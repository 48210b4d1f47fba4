#include "analyzer/output/perfetto_interner.h"

namespace kiln::analyzer {

namespace pb = perfetto::protos;

namespace {

// s's iid in table; a new one (and its InternedString, from add()) the first time.
template <typename Add>
uint64_t intern_string(std::unordered_map<std::string, uint64_t>& table, const std::string& s, Add add) {
    if (auto it = table.find(s); it != table.end()) return it->second;
    const uint64_t iid = table.size() + 1;
    table.emplace(s, iid);
    auto* entry = add();
    entry->set_iid(iid);
    entry->set_str(s);
    return iid;
}

}  // namespace

PerfettoInterner::PerfettoInterner(const PerfettoExport& e)
    : e_(e), frame_iid_(e.frames.size(), 0), stack_iid_(e.stacks.size(), 0) {}

uint64_t PerfettoInterner::stack(uint32_t index, pb::InternedData& out) {
    if (index >= e_.stacks.size()) return 0;
    if (stack_iid_[index]) return stack_iid_[index];
    std::vector<uint64_t> frames;
    for (uint32_t f : e_.stacks[index]) frames.push_back(frame(f, out));
    auto* cs = out.add_callstacks();
    stack_iid_[index] = ++stacks_;
    cs->set_iid(stack_iid_[index]);
    for (uint64_t f : frames) cs->add_frame_ids(f);
    return stack_iid_[index];
}

uint64_t PerfettoInterner::frame(uint32_t index, pb::InternedData& out) {
    if (index >= e_.frames.size()) return 0;
    if (frame_iid_[index]) return frame_iid_[index];
    const PerfettoFrame& f = e_.frames[index];
    const uint64_t name = intern_string(function_names_, f.function, [&out] { return out.add_function_names(); });
    const uint64_t mapping_iid = mapping(f, out);
    auto* pf = out.add_frames();
    frame_iid_[index] = ++frames_;
    pf->set_iid(frame_iid_[index]);
    pf->set_function_name_id(name);
    pf->set_mapping_id(mapping_iid);
    pf->set_rel_pc(f.binary.empty() ? 0 : f.rel_pc);
    return frame_iid_[index];
}

uint64_t PerfettoInterner::mapping(const PerfettoFrame& f, pb::InternedData& out) {
    static const std::string kNoBinary = "[kiln]";
    const std::string& binary = f.binary.empty() ? kNoBinary : f.binary;
    const std::string key = binary + '\0' + f.build_id;
    if (auto it = mappings_.find(key); it != mappings_.end()) return it->second;
    // The path as its components ("/usr/bin/app": usr, bin, app), as Mapping.path_string_ids.
    std::vector<uint64_t> parts;
    size_t from = 0;
    while (from <= binary.size()) {
        size_t slash = binary.find('/', from);
        if (slash == std::string::npos) slash = binary.size();
        if (slash > from)
            parts.push_back(intern_string(paths_, binary.substr(from, slash - from),
                                          [&out] { return out.add_mapping_paths(); }));
        from = slash + 1;
    }
    const uint64_t build_id =
        f.build_id.empty() ? 0 : intern_string(build_ids_, f.build_id, [&out] { return out.add_build_ids(); });
    auto* m = out.add_mappings();
    const uint64_t iid = mappings_.size() + 1;
    mappings_.emplace(key, iid);
    m->set_iid(iid);
    if (build_id) m->set_build_id(build_id);
    for (uint64_t p : parts) m->add_path_string_ids(p);
    return iid;
}

}  // namespace kiln::analyzer
