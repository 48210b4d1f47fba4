#include "analyzer/output/pprof_writer.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "profile.pb.h"

namespace kiln::analyzer {

namespace {

namespace pb = perftools::profiles;

class StringTable {
public:
    explicit StringTable(pb::Profile& out) : out_(out) { index(""); }
    int64_t index(const std::string& s) {
        auto [it, inserted] = ids_.emplace(s, static_cast<int64_t>(ids_.size()));
        if (inserted) out_.add_string_table(s);
        return it->second;
    }

private:
    pb::Profile& out_;
    std::unordered_map<std::string, int64_t> ids_;
};

void fill(const Profile& p, pb::Profile& out) {
    StringTable strings(out);
    for (const auto& t : p.sample_types) {
        auto* vt = out.add_sample_type();
        vt->set_type(strings.index(t.type));
        vt->set_unit(strings.index(t.unit));
    }
    if (p.default_sample_type >= 0 && static_cast<size_t>(p.default_sample_type) < p.sample_types.size())
        out.set_default_sample_type(strings.index(p.sample_types[static_cast<size_t>(p.default_sample_type)].type));
    for (size_t i = 0; i < p.mappings.size(); ++i) {
        const Mapping& m = p.mappings[i];
        auto* pm = out.add_mapping();
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
    for (size_t i = 0; i < p.functions.size(); ++i) {
        const Function& f = p.functions[i];
        auto* pf = out.add_function();
        pf->set_id(i + 1);
        pf->set_name(strings.index(f.name));
        pf->set_system_name(strings.index(f.system_name.empty() ? f.name : f.system_name));
        pf->set_filename(strings.index(f.file));
        pf->set_start_line(f.start_line);
    }
    for (size_t i = 0; i < p.locations.size(); ++i) {
        const Location& l = p.locations[i];
        auto* pl = out.add_location();
        pl->set_id(i + 1);
        pl->set_mapping_id(l.mapping <= p.mappings.size() ? l.mapping : 0);
        pl->set_address(l.address);
        for (const Line& line : l.lines) {
            auto* ln = pl->add_line();
            ln->set_function_id(line.function < p.functions.size() ? line.function + 1 : 0);
            ln->set_line(line.line);
        }
    }
    for (const Sample& s : p.samples) {
        auto* ps = out.add_sample();
        for (uint32_t loc : s.locations)
            if (loc < p.locations.size()) ps->add_location_id(loc + 1);
        for (size_t i = 0; i < p.sample_types.size(); ++i) ps->add_value(i < s.values.size() ? s.values[i] : 0);
        for (const Label& l : s.labels) {
            auto* pl = ps->add_label();
            pl->set_key(strings.index(l.key));
            if (l.is_number())
                pl->set_num(l.num);
            else
                pl->set_str(strings.index(l.str));
        }
    }
    out.set_time_nanos(p.time_nanos);
    out.set_duration_nanos(p.duration_nanos);
    if (!p.period_type.type.empty()) {
        out.mutable_period_type()->set_type(strings.index(p.period_type.type));
        out.mutable_period_type()->set_unit(strings.index(p.period_type.unit));
    }
    out.set_period(p.period);
    for (const auto& c : p.comments) out.add_comment(strings.index(c));
}

Result<std::vector<uint8_t>> gzip(const std::string& raw) {
    z_stream z{};
    // windowBits 15 + 16: a gzip header and trailer rather than a zlib one.
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return make_error("pprof: zlib deflateInit2 failed");
    std::vector<uint8_t> out(deflateBound(&z, raw.size()) + 32);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    const size_t n = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) return make_error("pprof: gzip compression failed");
    out.resize(n);
    return out;
}

}  // namespace

Result<std::vector<uint8_t>> encode_pprof(const Profile& p) {
    pb::Profile out;
    fill(p, out);
    std::string raw;
    if (!out.SerializeToString(&raw)) return make_error("pprof: cannot serialize the profile");
    return gzip(raw);
}

Status write_pprof(const Profile& p, const std::string& path) {
    auto bytes = encode_pprof(p);
    if (!bytes) return Error{path + ": " + bytes.error().message};
    const bool to_stdout = path == "-";
    const int fd = to_stdout ? STDOUT_FILENO : ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return make_error("cannot write " + path + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < bytes->size()) {
        const ssize_t n = ::write(fd, bytes->data() + done, bytes->size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = errno;
            if (!to_stdout) ::close(fd);
            return make_error("cannot write " + path + ": " + std::strerror(err));
        }
        done += static_cast<size_t>(n);
    }
    if (!to_stdout && ::close(fd) != 0) return make_error("cannot write " + path + ": " + std::strerror(errno));
    return Status::success();
}

}  // namespace kiln::analyzer
