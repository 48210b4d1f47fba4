#include "analyzer/diff/pprof_reader.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <unordered_map>

#include "profile.pb.h"

namespace kiln::analyzer {

namespace {

namespace pb = perftools::profiles;

// pprof files are small next to recordings; a decompressed size past this is not a profile.
constexpr size_t kMaxDecompressed = size_t{2} << 30;

Result<std::string> gunzip(const std::vector<uint8_t>& in, const std::string& source) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 32) != Z_OK) return make_error(source + ": zlib inflateInit2 failed");
    std::string out;
    std::vector<char> buf(1 << 16);
    size_t in_done = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        const size_t step = std::min<size_t>(in.size() - in_done, size_t{1} << 30);
        z.next_in = const_cast<Bytef*>(in.data() + in_done);
        z.avail_in = static_cast<uInt>(step);
        z.next_out = reinterpret_cast<Bytef*>(buf.data());
        z.avail_out = static_cast<uInt>(buf.size());
        rc = inflate(&z, Z_NO_FLUSH);
        in_done += step - z.avail_in;
        out.append(buf.data(), buf.size() - z.avail_out);
        if (rc == Z_BUF_ERROR && in_done == in.size()) break;  // input ended early
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) break;
        if (out.size() > kMaxDecompressed) {
            inflateEnd(&z);
            return make_error(source + ": decompresses to more than 2 GiB; not a pprof profile");
        }
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END)
        return make_error(source + ": gzip data is corrupt or truncated (zlib error " + std::to_string(rc) + ")");
    return out;
}

class Converter {
public:
    Converter(const pb::Profile& in, const std::string& source) : in_(in), source_(source) {}

    Result<Profile> run() {
        Profile p;
        KILN_TRY(check_strings());
        for (const auto& t : in_.sample_type()) {
            auto type = str(t.type()), unit = str(t.unit());
            if (!type || !unit) return type ? unit.error() : type.error();
            p.sample_types.push_back({*type, *unit});
        }
        if (p.sample_types.empty()) return fail("no sample_type: not a pprof profile");
        p.default_sample_type = static_cast<int>(p.sample_types.size()) - 1;
        if (in_.default_sample_type() != 0) {
            auto name = str(in_.default_sample_type());
            if (!name) return name.error();
            for (size_t i = 0; i < p.sample_types.size(); ++i)
                if (p.sample_types[i].type == *name) p.default_sample_type = static_cast<int>(i);
        }
        std::unordered_map<uint64_t, uint32_t> mapping_index, function_index, location_index;
        for (const auto& m : in_.mapping()) {
            Mapping out;
            out.start = m.memory_start();
            out.limit = m.memory_limit();
            out.file_offset = m.file_offset();
            auto file = str(m.filename()), id = str(m.build_id());
            if (!file || !id) return file ? id.error() : file.error();
            out.file = *file;
            out.build_id = *id;
            out.has_functions = m.has_functions();
            p.mappings.push_back(std::move(out));
            if (m.id() == 0 || !mapping_index.emplace(m.id(), static_cast<uint32_t>(p.mappings.size())).second)
                return fail("mapping id " + std::to_string(m.id()) + " is zero or repeated");
        }
        for (const auto& f : in_.function()) {
            Function out;
            auto name = str(f.name()), sys = str(f.system_name()), file = str(f.filename());
            if (!name || !sys || !file) return !name ? name.error() : !sys ? sys.error() : file.error();
            out.name = name->empty() ? *sys : *name;
            out.system_name = *sys;
            out.file = *file;
            out.start_line = f.start_line();
            if (f.id() == 0 || !function_index.emplace(f.id(), static_cast<uint32_t>(p.functions.size())).second)
                return fail("function id " + std::to_string(f.id()) + " is zero or repeated");
            p.functions.push_back(std::move(out));
        }
        for (const auto& l : in_.location()) {
            Location out;
            out.address = l.address();
            if (l.mapping_id() != 0) {
                auto it = mapping_index.find(l.mapping_id());
                if (it == mapping_index.end())
                    return fail("location " + std::to_string(l.id()) + " names mapping " +
                                std::to_string(l.mapping_id()) + ", which does not exist");
                out.mapping = it->second;
                if (p.mappings[it->second - 1].file == "[kernel.kallsyms]") out.kind = FrameKind::Kernel;
            }
            for (const auto& line : l.line()) {
                auto it = function_index.find(line.function_id());
                if (it == function_index.end())
                    return fail("location " + std::to_string(l.id()) + " names function " +
                                std::to_string(line.function_id()) + ", which does not exist");
                out.lines.push_back({it->second, line.line()});
            }
            if (out.lines.empty()) {  // not symbolized: the address stands for the function
                char name[32];
                std::snprintf(name, sizeof name, "0x%llx", static_cast<unsigned long long>(l.address()));
                p.functions.push_back({name, name, "", 0});
                out.lines.push_back({static_cast<uint32_t>(p.functions.size() - 1), 0});
                out.kind = FrameKind::Unknown;
            }
            if (l.id() == 0 || !location_index.emplace(l.id(), static_cast<uint32_t>(p.locations.size())).second)
                return fail("location id " + std::to_string(l.id()) + " is zero or repeated");
            p.locations.push_back(std::move(out));
        }
        p.samples.reserve(static_cast<size_t>(in_.sample_size()));
        // Per sample type, the sum of its positive and of its negative values: each must fit
        // in 64 bits, so that any total built from them (kiln diff's) does.
        std::vector<int64_t> positive(p.sample_types.size()), negative(p.sample_types.size());
        for (int i = 0; i < in_.sample_size(); ++i) {
            const auto& s = in_.sample(i);
            if (static_cast<size_t>(s.value_size()) != p.sample_types.size())
                return fail("sample " + std::to_string(i) + " has " + std::to_string(s.value_size()) +
                            " values for " + std::to_string(p.sample_types.size()) + " sample types");
            for (size_t t = 0; t < p.sample_types.size(); ++t) {
                const int64_t v = s.value(static_cast<int>(t));
                if (__builtin_add_overflow(v > 0 ? positive[t] : negative[t], v, v > 0 ? &positive[t] : &negative[t]))
                    return fail("the " + p.sample_types[t].type + " values of the samples add up past 64 bits (at sample " +
                                std::to_string(i) + ")");
            }
            Sample out;
            out.values.assign(s.value().begin(), s.value().end());
            for (uint64_t id : s.location_id()) {
                auto it = location_index.find(id);
                if (it == location_index.end())
                    return fail("sample " + std::to_string(i) + " names location " + std::to_string(id) +
                                ", which does not exist");
                out.locations.push_back(it->second);
            }
            for (const auto& l : s.label()) {
                auto key = str(l.key()), value = str(l.str());
                if (!key || !value) return key ? value.error() : key.error();
                out.labels.push_back({*key, *value, l.num()});
            }
            p.samples.push_back(std::move(out));
        }
        p.time_nanos = in_.time_nanos();
        p.duration_nanos = in_.duration_nanos();
        p.period = in_.period();
        auto ptype = str(in_.period_type().type()), punit = str(in_.period_type().unit());
        if (ptype && punit) p.period_type = {*ptype, *punit};
        return p;
    }

private:
    Status check_strings() const {
        if (in_.string_table_size() == 0 || !in_.string_table(0).empty())
            return fail("string_table does not start with \"\": not a pprof profile");
        return Status::success();
    }

    Result<std::string> str(int64_t index) const {
        if (index < 0 || index >= in_.string_table_size())
            return fail("string index " + std::to_string(index) + " outside the string table of " +
                        std::to_string(in_.string_table_size()));
        return in_.string_table(static_cast<int>(index));
    }

    Error fail(const std::string& what) const { return make_error(source_ + ": pprof: " + what); }

    const pb::Profile& in_;
    const std::string& source_;
};

}  // namespace

bool looks_gzipped(const std::vector<uint8_t>& bytes) {
    return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

Result<Profile> decode_pprof(const std::vector<uint8_t>& bytes, const std::string& source) {
    std::string raw;
    if (looks_gzipped(bytes)) {
        auto r = gunzip(bytes, source);
        if (!r) return r.error();
        raw = std::move(*r);
    } else {
        raw.assign(bytes.begin(), bytes.end());
    }
    pb::Profile in;
    if (!in.ParseFromString(raw)) return make_error(source + ": not a pprof profile (protobuf does not parse)");
    return Converter(in, source).run();
}

Result<Profile> read_pprof(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return make_error("cannot open " + path + ": " + std::strerror(errno));
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return decode_pprof(bytes, path);
}

}  // namespace kiln::analyzer
