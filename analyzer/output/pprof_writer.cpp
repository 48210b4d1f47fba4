#include "analyzer/output/pprof_writer.h"

#include <fcntl.h>
#include <unistd.h>

#define ZLIB_CONST  // next_in is const: no const_cast of the serialized bytes

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "analyzer/output/gzip.h"
#include "profile.pb.h"

namespace kiln::analyzer {

namespace {

namespace pb = perftools::profiles;

// Profile.string_table: entry 0 is "", every distinct string appears once. The keys view the
// strings of the Profile being written (or literals), which outlive the table.
class StringTable {
public:
    explicit StringTable(pb::Profile& out) : out_(out) { index(""); }
    int64_t index(std::string_view s) {
        auto [it, inserted] = ids_.try_emplace(s, static_cast<int64_t>(ids_.size()));
        if (inserted) out_.add_string_table(s.data(), s.size());
        return it->second;
    }

private:
    pb::Profile& out_;
    std::unordered_map<std::string_view, int64_t> ids_;
};

Error dangling(const std::string& what) { return make_error("pprof: inconsistent profile: " + what); }

// Every index of the Profile must name something that exists: pprof rejects a location or
// mapping id it does not know, and values not matching sample_type would be misread.
Status check(const Profile& p) {
    const size_t types = p.sample_types.size();
    if (p.default_sample_type < 0 || (types > 0 && static_cast<size_t>(p.default_sample_type) >= types) ||
        (types == 0 && p.default_sample_type != 0))
        return dangling("default_sample_type " + std::to_string(p.default_sample_type) + " of " +
                        std::to_string(types) + " sample types");
    for (size_t i = 0; i < p.locations.size(); ++i) {
        const Location& l = p.locations[i];
        if (l.mapping > p.mappings.size())
            return dangling("location " + std::to_string(i) + " refers to mapping " + std::to_string(l.mapping) +
                            " (1-based) of " + std::to_string(p.mappings.size()));
        for (const Line& line : l.lines)
            if (line.function >= p.functions.size())
                return dangling("location " + std::to_string(i) + " refers to function " +
                                std::to_string(line.function) + " of " + std::to_string(p.functions.size()));
    }
    for (size_t i = 0; i < p.samples.size(); ++i) {
        const Sample& s = p.samples[i];
        if (s.values.size() != types)
            return dangling("sample " + std::to_string(i) + " has " + std::to_string(s.values.size()) + " values for " +
                            std::to_string(types) + " sample types");
        for (uint32_t loc : s.locations)
            if (loc >= p.locations.size())
                return dangling("sample " + std::to_string(i) + " refers to location " + std::to_string(loc) + " of " +
                                std::to_string(p.locations.size()));
    }
    return Status::success();
}

void fill_value_type(StringTable& strings, const SampleType& t, pb::ValueType& out) {
    out.set_type(strings.index(t.type));
    out.set_unit(strings.index(t.unit));
}

// Assumes check(p) passed.
void fill(const Profile& p, pb::Profile& out) {
    StringTable strings(out);
    for (const auto& t : p.sample_types) fill_value_type(strings, t, *out.add_sample_type());
    if (!p.sample_types.empty())
        out.set_default_sample_type(strings.index(p.sample_types[static_cast<size_t>(p.default_sample_type)].type));

    out.mutable_mapping()->Reserve(static_cast<int>(p.mappings.size()));
    for (size_t i = 0; i < p.mappings.size(); ++i) {
        const Mapping& m = p.mappings[i];
        pb::Mapping* pm = out.add_mapping();
        pm->set_id(i + 1);
        pm->set_memory_start(m.start);
        pm->set_memory_limit(m.limit);
        pm->set_file_offset(m.file_offset);
        pm->set_filename(strings.index(m.file));
        pm->set_build_id(strings.index(m.build_id));
        pm->set_has_functions(m.has_functions);
        pm->set_has_filenames(m.has_filenames);
        pm->set_has_line_numbers(m.has_line_numbers);
        pm->set_has_inline_frames(m.has_inline_frames);
    }

    out.mutable_function()->Reserve(static_cast<int>(p.functions.size()));
    for (size_t i = 0; i < p.functions.size(); ++i) {
        const Function& f = p.functions[i];
        pb::Function* pf = out.add_function();
        pf->set_id(i + 1);
        pf->set_name(strings.index(f.name));
        // pprof shows system_name where it differs from name (-raw); "" would read as a rename.
        pf->set_system_name(strings.index(f.system_name.empty() ? f.name : f.system_name));
        pf->set_filename(strings.index(f.file));
        pf->set_start_line(f.start_line);
    }

    out.mutable_location()->Reserve(static_cast<int>(p.locations.size()));
    for (size_t i = 0; i < p.locations.size(); ++i) {
        const Location& l = p.locations[i];
        pb::Location* pl = out.add_location();
        pl->set_id(i + 1);
        pl->set_mapping_id(l.mapping);  // already 1-based, 0 = none
        pl->set_address(l.address);
        pl->mutable_line()->Reserve(static_cast<int>(l.lines.size()));
        for (const Line& line : l.lines) {  // innermost first, as pprof wants
            pb::Line* pline = pl->add_line();
            pline->set_function_id(uint64_t{line.function} + 1);
            pline->set_line(line.line);
        }
    }

    out.mutable_sample()->Reserve(static_cast<int>(p.samples.size()));
    for (const Sample& s : p.samples) {
        pb::Sample* ps = out.add_sample();
        ps->mutable_location_id()->Reserve(static_cast<int>(s.locations.size()));
        for (uint32_t loc : s.locations) ps->add_location_id(uint64_t{loc} + 1);  // leaf first
        ps->mutable_value()->Add(s.values.begin(), s.values.end());
        for (const Label& l : s.labels) {
            pb::Label* pl = ps->add_label();
            pl->set_key(strings.index(l.key.str()));
            // Our numeric labels (pid, tid, cpu) are ids: no num_unit.
            if (l.is_number())
                pl->set_num(l.num);
            else
                pl->set_str(strings.index(l.str.str()));
        }
    }

    out.set_time_nanos(p.time_nanos);
    out.set_duration_nanos(p.duration_nanos);
    if (!p.period_type.type.empty() || !p.period_type.unit.empty())
        fill_value_type(strings, p.period_type, *out.mutable_period_type());
    out.set_period(p.period);
    for (const auto& c : p.comments) out.add_comment(strings.index(c));
}

Status write_all(int fd, const std::vector<uint8_t>& bytes, const std::string& path) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return make_error("cannot write " + path + ": " + std::strerror(n < 0 ? errno : EIO));
        done += static_cast<size_t>(n);
    }
    return Status::success();
}

}  // namespace

Result<std::vector<uint8_t>> encode_pprof(const Profile& p) {
    KILN_TRY(check(p));
    pb::Profile out;
    fill(p, out);
    std::string raw;
    if (!out.SerializeToString(&raw))
        return make_error("pprof: cannot serialize the profile (" + std::to_string(out.ByteSizeLong()) +
                          " bytes; protobuf's limit is 2 GiB)");
    auto gz = gzip(raw);
    if (!gz) return make_error("pprof: " + gz.error().message);
    return gz;
}

Status write_pprof(const Profile& p, const std::string& path) {
    auto bytes = encode_pprof(p);
    if (!bytes) return make_error(path + ": " + bytes.error().message);
    if (path == "-") return write_all(STDOUT_FILENO, *bytes, "standard output");
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return make_error("cannot write " + path + ": " + std::strerror(errno));
    Status st = write_all(fd, *bytes, path);
    if (::close(fd) != 0 && st.ok()) return make_error("cannot write " + path + ": " + std::strerror(errno));
    return st;
}

}  // namespace kiln::analyzer
