#include "formats/perf_data.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "formats/byte_cursor.h"
#include "formats/sideband.h"

namespace kiln::format {
namespace {

// "PERFILE2" read as a little-endian u64, and the same bytes written by a big-endian perf.
constexpr uint64_t kMagic = 0x32454c4946524550ULL;
constexpr uint64_t kMagicSwapped = 0x50455246494c4532ULL;
constexpr size_t kFileHeaderSize = 104;  // magic, size, attr_size, 3 sections, 256 feature bits
constexpr size_t kPipeHeaderSize = 16;   // perf_pipe_file_header: magic, size
constexpr size_t kSectionSize = 16;      // perf_file_section: offset, size
constexpr size_t kRecordHeaderSize = 8;  // perf_event_header: u32 type, u16 misc, u16 size
constexpr size_t kAttrSizeVer0 = 64;     // PERF_ATTR_SIZE_VER0, the smallest perf_event_attr
constexpr size_t kAttrSizeMax = 4096;    // far above any kernel's; bounds a corrupt attr_size
constexpr uint64_t kSampleBranchStack = 1u << 11;   // PERF_SAMPLE_BRANCH_STACK
constexpr uint16_t kMiscBuildIdSize = 1u << 15;     // PERF_RECORD_MISC_BUILD_ID_SIZE
constexpr size_t kBuildIdBytes = 20;                // BUILD_ID_SIZE
constexpr size_t kBuildIdField = 24;                // build_id[] aligned to 8

// Feature bits (tools/perf/util/header.h, enum HEADER_*).
enum FeatureBit : int {
    kTracingData = 1,
    kBuildId = 2,
    kHostname = 3,
    kOsRelease = 4,
    kVersion = 5,
    kArch = 6,
    kNrCpus = 7,
    kCpuDesc = 8,
    kCmdline = 11,
    kEventDesc = 12,
    kBranchStack = 15,
    kSampleTime = 21,
    kClockId = 23,
    kCompressed = 27,
    kClockData = 29,
};

const char* feature_name(int bit) {
    switch (bit) {
        case kTracingData: return "HEADER_TRACING_DATA";
        case kBuildId: return "HEADER_BUILD_ID";
        case kHostname: return "HEADER_HOSTNAME";
        case kOsRelease: return "HEADER_OSRELEASE";
        case kVersion: return "HEADER_VERSION";
        case kArch: return "HEADER_ARCH";
        case kNrCpus: return "HEADER_NRCPUS";
        case kCpuDesc: return "HEADER_CPUDESC";
        case kCmdline: return "HEADER_CMDLINE";
        case kEventDesc: return "HEADER_EVENT_DESC";
        case kBranchStack: return "HEADER_BRANCH_STACK";
        case kSampleTime: return "HEADER_SAMPLE_TIME";
        case kClockId: return "HEADER_CLOCKID";
        case kCompressed: return "HEADER_COMPRESSED";
        case kClockData: return "HEADER_CLOCK_DATA";
        default: return "feature";
    }
}

// perf_header_string: u32 length, then that many bytes, NUL-padded.
std::string header_string(ByteCursor& c) {
    std::string_view s = c.str();
    return std::string(s.substr(0, s.find('\0')));
}


uint64_t load_u64(std::span<const uint8_t> bytes, size_t at) {
    uint64_t v = 0;
    if (at + 8 <= bytes.size()) std::memcpy(&v, bytes.data() + at, 8);
    return v;
}

bool samples_branch_stack(std::span<const uint8_t> attr) {
    return (load_u64(attr, 24) & kSampleBranchStack) != 0;  // attr.sample_type
}

// A [offset, offset + size) range of the file, or nothing when it does not fit.
std::optional<std::span<const uint8_t>> file_range(std::span<const uint8_t> file, uint64_t offset, uint64_t size) {
    if (offset > file.size() || size > file.size() - offset) return std::nullopt;
    return file.subspan(static_cast<size_t>(offset), static_cast<size_t>(size));
}

std::string range_text(uint64_t offset, uint64_t size) {
    return "bytes " + std::to_string(offset) + ".." + std::to_string(offset + size);
}

void read_build_ids(ByteCursor& c, std::vector<PerfDataBuildId>& out) {
    while (!c.failed() && c.remaining() >= kRecordHeaderSize) {
        c.u32();  // type: PERF_RECORD_HEADER_BUILD_ID, not checked by perf either
        const uint16_t misc = c.u16();
        const uint16_t size = c.u16();
        if (size < kRecordHeaderSize + 4 + kBuildIdField) {
            c.fail("build-id record of " + std::to_string(size) + " bytes");
            return;
        }
        std::span<const uint8_t> body = c.bytes(size - kRecordHeaderSize);
        if (c.failed()) return;
        PerfDataBuildId id;
        id.misc = misc;
        std::memcpy(&id.pid, body.data(), 4);
        const auto field = body.subspan(4, kBuildIdField);
        size_t length = kBuildIdBytes;
        if (misc & kMiscBuildIdSize) length = std::min<size_t>(field[kBuildIdBytes], kBuildIdBytes);
        id.build_id = build_id_hex(field.first(length));
        const auto name = body.subspan(4 + kBuildIdField);
        const auto nul = std::find(name.begin(), name.end(), uint8_t{0});
        id.filename.assign(name.begin(), nul);
        out.push_back(std::move(id));
    }
}

void read_event_desc(ByteCursor& c, PerfDataInfo& info) {
    const uint32_t nr = c.count(4 + 4 + 4, "event descriptions");
    const uint32_t attr_size = c.u32();
    if (c.failed()) return;
    if (attr_size < kAttrSizeVer0 || attr_size > kAttrSizeMax) {
        c.fail("attr_size " + std::to_string(attr_size));
        return;
    }
    std::vector<PerfDataEvent> described;
    for (uint32_t i = 0; i < nr && !c.failed(); ++i) {
        PerfDataEvent event;
        const auto attr = c.bytes(attr_size);
        event.attr.assign(attr.begin(), attr.end());
        const uint32_t nr_ids = c.u32();
        event.name = header_string(c);
        if (c.failed() || nr_ids > c.remaining() / 8) {
            c.fail(std::to_string(nr_ids) + " ids");
            return;
        }
        event.ids.resize(nr_ids);
        for (auto& id : event.ids) id = c.u64();
        described.push_back(std::move(event));
    }
    if (c.failed()) return;
    // The attrs section is the authority for attrs and ids; EVENT_DESC adds names, in the same
    // order (perf writes both from one evlist walk).
    if (info.events.empty()) {
        info.events = std::move(described);
        return;
    }
    for (size_t i = 0; i < info.events.size() && i < described.size(); ++i) {
        info.events[i].name = described[i].name;
        if (info.events[i].ids.empty()) info.events[i].ids = described[i].ids;
    }
}

// A NUL-terminated string (tracing data's version and system names).
std::string_view c_string(ByteCursor& c) {
    const auto rest = c.rest();
    const auto nul = std::find(rest.begin(), rest.end(), uint8_t{0});
    if (nul == rest.end()) {
        c.fail("unterminated string");
        return {};
    }
    const auto text = c.bytes(static_cast<size_t>(nul - rest.begin()) + 1);
    return {reinterpret_cast<const char*>(text.data()), text.size() - 1};
}

// A tracefs "format" file's "ID: 316" line.
std::optional<uint64_t> tracepoint_id(std::string_view format) {
    for (size_t at = 0; at < format.size();) {
        const size_t end = std::min(format.find('\n', at), format.size());
        const std::string_view line = format.substr(at, end - at);
        if (line.starts_with("ID:")) {
            uint64_t id = 0;
            bool digits = false;
            for (char ch : line.substr(3)) {
                if (ch == ' ' || ch == '\t') continue;
                if (ch < '0' || ch > '9' || id > (UINT64_MAX - 9) / 10) return std::nullopt;
                id = id * 10 + static_cast<uint64_t>(ch - '0');
                digits = true;
            }
            return digits ? std::optional(id) : std::nullopt;
        }
        at = end + 1;
    }
    return std::nullopt;
}

// HEADER_TRACING_DATA, as linux tools/perf/util/trace-event-read.c reads it: a magic,
// version, endianness, long and page sizes, the header_page and header_event files, the
// ftrace formats, each system's event formats, /proc/kallsyms (empty in newer perf),
// ftrace_printk and, from version 0.6, saved_cmdlines. Only the formats and kallsyms are kept.
void read_tracing_data(ByteCursor& c, PerfDataInfo& info) {
    static constexpr uint8_t kTracingMagic[] = {23, 8, 68, 't', 'r', 'a', 'c', 'i', 'n', 'g'};
    const auto magic = c.bytes(sizeof kTracingMagic);
    if (c.failed() || !std::equal(magic.begin(), magic.end(), kTracingMagic)) {
        c.fail("no tracing magic");
        return;
    }
    c_string(c);  // version: "0.6"
    if (c.u8() != 0) {
        c.fail("big-endian tracing data");
        return;
    }
    c.u8();   // sizeof(long)
    c.u32();  // page size
    for (const std::string_view tag : {std::string_view("header_page", 12), std::string_view("header_event", 13)}) {
        const auto got = c.bytes(tag.size());
        if (c.failed() || std::memcmp(got.data(), tag.data(), tag.size()) != 0) {
            c.fail("no " + std::string(tag.data()) + " file");
            return;
        }
        const uint64_t size = c.u64();
        c.skip(size > c.remaining() ? c.remaining() + 1 : static_cast<size_t>(size));
    }
    std::map<uint64_t, std::string> formats;
    const auto read_format_files = [&](uint32_t count) {
        for (uint32_t i = 0; i < count && !c.failed(); ++i) {
            const uint64_t size = c.u64();
            const auto text = c.bytes(size > c.remaining() ? c.remaining() + 1 : static_cast<size_t>(size));
            const std::string_view format(reinterpret_cast<const char*>(text.data()), text.size());
            if (const auto id = tracepoint_id(format); id && !c.failed()) formats[*id] = std::string(format);
        }
    };
    read_format_files(c.count(8, "ftrace formats"));
    const uint32_t systems = c.count(1 + 4, "event systems");
    for (uint32_t i = 0; i < systems && !c.failed(); ++i) {
        c_string(c);  // the system's name; the format text names it too
        read_format_files(c.count(8, "event formats"));
    }
    const auto kallsyms = c.bytes(c.u32());
    if (c.failed()) return;
    info.tracepoint_formats = std::move(formats);
    info.kallsyms.assign(reinterpret_cast<const char*>(kallsyms.data()), kallsyms.size());
    // ftrace_printk and saved_cmdlines follow; kiln does not use them.
}

}  // namespace

bool PerfDataReader::looks_like_perf_data(std::span<const uint8_t> first_bytes) {
    const uint64_t magic = load_u64(first_bytes, 0);
    return first_bytes.size() >= 8 && (magic == kMagic || magic == kMagicSwapped);
}

Result<std::unique_ptr<PerfDataReader>> PerfDataReader::open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(path + ": not a perf.data file (not a regular file)");
    }
    if (st.st_size == 0) {
        ::close(fd);
        return make_error(path + ": not a perf.data file (empty)");
    }
    const auto size = static_cast<size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int map_errno = errno;
    ::close(fd);
    if (map == MAP_FAILED) return make_error(path + ": cannot map it: " + std::strerror(map_errno));
    (void)::madvise(map, size, MADV_SEQUENTIAL);
    std::unique_ptr<PerfDataReader> reader(new PerfDataReader(static_cast<const uint8_t*>(map), size, path));
    KILN_TRY(reader->parse());
    return reader;
}

Result<std::unique_ptr<PerfDataReader>> PerfDataReader::from_bytes(std::vector<uint8_t> bytes, std::string name) {
    std::unique_ptr<PerfDataReader> reader(new PerfDataReader(std::move(bytes), std::move(name)));
    KILN_TRY(reader->parse());
    return reader;
}

PerfDataReader::~PerfDataReader() {
    if (mapped_) ::munmap(const_cast<uint8_t*>(mapped_), bytes_.size());
}

Status PerfDataReader::parse() {
    const std::span<const uint8_t> file(bytes_);
    const uint64_t magic = load_u64(file, 0);
    if (file.size() < 8 || (magic != kMagic && magic != kMagicSwapped)) {
        return make_error(name_ + ": not a perf.data file (no PERFILE2 magic)");
    }
    if (magic == kMagicSwapped) {
        return make_error(name_ + ": a big-endian perf.data file, which kiln does not read");
    }
    if (load_u64(file, 8) == kPipeHeaderSize) {
        return make_error(name_ + ": was written by perf record -o - (pipe mode), which kiln does not read; record to a file");
    }
    ByteCursor c(file, "perf.data header");
    c.skip(8);
    const uint64_t header_size = c.u64();
    const uint64_t attr_size = c.u64();
    const uint64_t attrs_offset = c.u64(), attrs_size = c.u64();
    const uint64_t data_offset = c.u64(), data_size = c.u64();
    c.skip(kSectionSize);  // event_types: unused since perf 2.6.x
    uint64_t feature_bits[4];
    for (auto& word : feature_bits) word = c.u64();
    if (c.failed()) return make_error(name_ + ": " + c.error().message);
    if (header_size < kFileHeaderSize) {
        return make_error(name_ + ": perf.data header of " + std::to_string(header_size) + " bytes (expected " +
                          std::to_string(kFileHeaderSize) + ")");
    }
    KILN_TRY(read_attrs(attr_size, attrs_offset, attrs_size));
    for (const auto& event : info_.events) {
        if (samples_branch_stack(event.attr)) info_.has_branch_stack = true;
    }

    // A file cut short (perf killed, a copy interrupted) keeps the records it has.
    if (data_offset > file.size()) {
        return make_error(name_ + ": data section at byte " + std::to_string(data_offset) + " is past the end (" +
                          std::to_string(file.size()) + " bytes)");
    }
    info_.data_offset = data_offset;
    if (data_size == 0 && file.size() > data_offset) {
        // perf record writes the sizes and the features when it ends; killed, it leaves a 0.
        info_.data_size = file.size() - data_offset;
        info_.warnings.push_back("the header's data size is 0 (perf record did not end properly?); reading the " +
                                 std::to_string(info_.data_size) + " bytes after the header as records");
        return Status::success();
    }
    info_.data_size = std::min<uint64_t>(data_size, file.size() - data_offset);
    if (info_.data_size < data_size) {
        info_.warnings.push_back("data section (" + range_text(data_offset, data_size) + ") is cut off at byte " +
                                 std::to_string(file.size()) + "; reading the records that are there");
        return Status::success();  // the feature sections follow the data: gone too
    }
    read_features(feature_bits);
    return Status::success();
}

Status PerfDataReader::read_attrs(uint64_t attr_size, uint64_t offset, uint64_t size) {
    // Each entry is a perf_event_attr and a perf_file_section locating its ids (attr_size
    // covers both).
    if (attr_size < kAttrSizeVer0 + kSectionSize || attr_size > kAttrSizeMax + kSectionSize) {
        return make_error(name_ + ": perf.data header gives attr_size " + std::to_string(attr_size));
    }
    const auto section = file_range(bytes_, offset, size);
    if (!section) {
        return make_error(name_ + ": attrs section (" + range_text(offset, size) + ") runs past the end of the file (" +
                          std::to_string(bytes_.size()) + " bytes)");
    }
    if (size % attr_size != 0) {
        info_.warnings.push_back("attrs section of " + std::to_string(size) + " bytes is not a multiple of attr_size " +
                                 std::to_string(attr_size) + "; the rest is ignored");
    }
    const size_t entries = static_cast<size_t>(size / attr_size);
    ByteCursor c(*section, "perf.data attrs section");
    uint64_t id_bytes = 0;  // perf's ids sections are disjoint: more than the file means reuse
    for (size_t i = 0; i < entries; ++i) {
        PerfDataEvent event;
        const auto attr = c.bytes(static_cast<size_t>(attr_size - kSectionSize));
        event.attr.assign(attr.begin(), attr.end());
        const uint64_t ids_offset = c.u64(), ids_size = c.u64();
        const auto ids = file_range(bytes_, ids_offset, ids_size);
        if (!ids) {
            return make_error(name_ + ": event " + std::to_string(i) + "'s ids (" + range_text(ids_offset, ids_size) +
                              ") run past the end of the file");
        }
        id_bytes += ids_size;
        if (id_bytes > bytes_.size()) {
            return make_error(name_ + ": the attrs' ids sections add up to more than the file (" +
                              std::to_string(id_bytes) + " bytes at event " + std::to_string(i) + ")");
        }
        ByteCursor id_cursor(*ids, "ids");
        event.ids.resize(ids->size() / 8);
        for (auto& id : event.ids) id = id_cursor.u64();
        info_.events.push_back(std::move(event));
    }
    return Status::success();
}

void PerfDataReader::read_features(const uint64_t (&feature_bits)[4]) {
    // One perf_file_section per set bit, in bit order, right after the data section.
    const uint64_t table_offset = info_.data_offset + info_.data_size;
    const std::span<const uint8_t> file(bytes_);
    size_t index = 0;
    for (int bit = 0; bit < 256; ++bit) {
        if (!(feature_bits[bit / 64] >> (bit % 64) & 1)) continue;
        const uint64_t entry = table_offset + index * kSectionSize;
        ++index;
        const auto where = file_range(file, entry, kSectionSize);
        if (!where) {
            info_.warnings.push_back(std::string("the feature table is cut off at ") + feature_name(bit) + " (bit " +
                                     std::to_string(bit) + "); later header features are missing");
            return;
        }
        const uint64_t offset = load_u64(*where, 0), size = load_u64(*where, 8);
        const auto section = file_range(file, offset, size);
        if (!section) {
            info_.warnings.push_back(std::string(feature_name(bit)) + " (bit " + std::to_string(bit) + ", " +
                                     range_text(offset, size) + ") runs past the end of the file; skipped");
            continue;
        }
        read_feature(bit, *section);
    }
}

void PerfDataReader::read_feature(int bit, std::span<const uint8_t> section) {
    ByteCursor c(section, feature_name(bit));
    switch (bit) {
        case kTracingData: read_tracing_data(c, info_); break;
        case kBuildId: read_build_ids(c, info_.build_ids); break;
        case kHostname: info_.hostname = header_string(c); break;
        case kOsRelease: info_.os_release = header_string(c); break;
        case kVersion: info_.perf_version = header_string(c); break;
        case kArch: info_.arch = header_string(c); break;
        case kCpuDesc: info_.cpu_desc = header_string(c); break;
        case kNrCpus: {
            // header.c writes the available count first (the format document says otherwise).
            const uint32_t available = c.u32(), online = c.u32();
            if (!c.failed()) info_.cpus_available = available, info_.cpus_online = online;
            break;
        }
        case kCmdline: {
            const uint32_t nr = c.count(4, "command-line words");
            std::vector<std::string> words;
            for (uint32_t i = 0; i < nr && !c.failed(); ++i) words.push_back(header_string(c));
            if (!c.failed()) info_.cmdline = std::move(words);
            break;
        }
        case kEventDesc: read_event_desc(c, info_); break;
        case kBranchStack: info_.has_branch_stack = true; break;
        case kSampleTime: {
            const uint64_t first = c.u64(), last = c.u64();
            if (!c.failed()) info_.sample_time_first = first, info_.sample_time_last = last;
            break;
        }
        case kClockId: {
            const uint64_t resolution = c.u64();
            if (!c.failed()) info_.clock_resolution_ns = resolution;
            break;
        }
        case kClockData: {
            const uint32_t version = c.u32();
            const uint32_t clock_id = c.u32();
            const uint64_t wall = c.u64(), clock = c.u64();
            if (!c.failed() && version != 1) c.fail("version " + std::to_string(version));
            if (c.failed()) break;
            info_.clock_id = static_cast<int32_t>(clock_id);
            info_.clock_wall_ns = wall;
            info_.clock_clockid_ns = clock;
            break;
        }
        case kCompressed: {
            c.u32();  // version
            const uint32_t type = c.u32();
            c.u32();  // level
            c.u32();  // ratio
            const uint32_t mmap_len = c.u32();
            if (c.failed()) break;
            info_.compressed = true;
            info_.compression_type = type;
            info_.compression_mmap_len = mmap_len;
            break;
        }
        default: return;  // kiln does not use the others
    }
    if (c.failed()) info_.warnings.push_back(c.error().message + "; skipped");
}

namespace {

// Feeds the decompressed bytes of PERF_RECORD_COMPRESSED payloads through one zstd stream and
// hands out the whole records in them. Output goes through a fixed window, so a hostile
// payload that expands enormously never holds more than a window and one partial record.
class CompressedRecords {
public:
    // perf decompresses each record into a buffer of HEADER_COMPRESSED's mmap_len; twice
    // that (and at least 4 MiB) bounds what a hostile record makes kiln produce.
    explicit CompressedRecords(uint32_t mmap_len)
        : stream_(ZSTD_createDStream(), ZSTD_freeDStream),
          output_limit_(std::max<uint64_t>(uint64_t{mmap_len} * 2, 4u << 20)) {}

    bool ok() const { return stream_ != nullptr; }
    // false when visiting stops: visit said so (stopped() then) or the stream is broken
    // (a warning added).
    bool feed(std::span<const uint8_t> payload, const std::function<bool(std::span<const uint8_t>)>& visit,
              std::vector<std::string>& warnings) {
        ZSTD_inBuffer in{payload.data(), payload.size(), 0};
        uint64_t produced = 0;
        bool window_full = false;
        // A full window may leave output inside zstd: go on until the input is used up and
        // the window is not filled.
        while (in.pos < in.size || window_full) {
            ZSTD_outBuffer out{window_, sizeof window_, 0};
            const size_t rc = ZSTD_decompressStream(stream_.get(), &out, &in);
            if (ZSTD_isError(rc)) {
                warnings.push_back(std::string("compressed records: zstd: ") + ZSTD_getErrorName(rc) +
                                   "; the records after it are not read");
                return false;
            }
            window_full = out.pos == out.size;
            produced += out.pos;
            if (produced > output_limit_) {
                warnings.push_back("a compressed record expands past " + std::to_string(output_limit_) +
                                   " bytes (perf's own limit is its mmap size); the records after it are not read");
                return false;
            }
            pending_.insert(pending_.end(), window_, window_ + out.pos);
            if (!deliver(visit, warnings)) return false;
        }
        return true;
    }
    bool stopped() const { return stopped_; }
    size_t leftover() const { return pending_.size(); }

private:
    bool deliver(const std::function<bool(std::span<const uint8_t>)>& visit, std::vector<std::string>& warnings) {
        size_t at = 0;
        bool go_on = true;
        while (pending_.size() - at >= kRecordHeaderSize) {
            uint16_t size = 0;
            uint32_t type = 0;
            std::memcpy(&type, pending_.data() + at, 4);
            std::memcpy(&size, pending_.data() + at + 6, 2);
            if (size < kRecordHeaderSize) {
                warnings.push_back("a decompressed record of " + std::to_string(size) +
                                   " bytes; the records after it are not read");
                go_on = false;
                break;
            }
            if (pending_.size() - at < size) break;  // the rest comes with the next payload
            const std::span<const uint8_t> record(pending_.data() + at, size);
            at += size;
            if (type == kPerfRecordCompressed || type == kPerfRecordCompressed2) {
                if (!nested_warned_) warnings.push_back("a compressed record inside a compressed record; skipped");
                nested_warned_ = true;
                continue;
            }
            if (!visit(record)) {
                stopped_ = true;
                go_on = false;
                break;
            }
        }
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(at));
        return go_on;
    }

    std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> stream_;
    uint8_t window_[64 * 1024];
    uint64_t output_limit_;
    std::vector<uint8_t> pending_;
    bool stopped_ = false;
    bool nested_warned_ = false;
};

}  // namespace

Status PerfDataReader::for_each_record(const std::function<bool(std::span<const uint8_t> record)>& visit,
                                       std::vector<std::string>& warnings) const {
    const auto data = std::span<const uint8_t>(bytes_).subspan(static_cast<size_t>(info_.data_offset),
                                                                static_cast<size_t>(info_.data_size));
    std::unique_ptr<CompressedRecords> decompressed;  // made at the first compressed record
    size_t at = 0;
    while (at < data.size()) {
        const uint64_t record_at = info_.data_offset + at;
        const auto where = [record_at] { return " at byte " + std::to_string(record_at); };
        if (data.size() - at < kRecordHeaderSize) {
            warnings.push_back("data section ends inside a record header" + where());
            break;
        }
        uint32_t type = 0;
        uint16_t size = 0;
        std::memcpy(&type, data.data() + at, 4);
        std::memcpy(&size, data.data() + at + 6, 2);
        if (size < kRecordHeaderSize) {
            warnings.push_back("record of " + std::to_string(size) + " bytes" + where() +
                               "; the records after it are not read");
            break;
        }
        if (size > data.size() - at) {
            warnings.push_back("record of " + std::to_string(size) + " bytes" + where() + " runs past the data section (" +
                               std::to_string(data.size() - at) + " bytes left)");
            break;
        }
        const auto record = data.subspan(at, size);
        at += size;
        if (type == kPerfRecordAuxtrace && size >= kRecordHeaderSize + 8) {
            // AUX area data (Intel PT, ARM SPE) follows the record, its length not counted in
            // header.size: skipped, as kiln reads no AUX data.
            const uint64_t aux = load_u64(record.subspan(kRecordHeaderSize), 0);
            if (aux > data.size() - at) {
                warnings.push_back("AUXTRACE data" + where() + " runs past the data section");
                break;
            }
            at += static_cast<size_t>(aux);
        }
        if (type != kPerfRecordCompressed && type != kPerfRecordCompressed2) {
            if (!visit(record)) return Status::success();
            continue;
        }
        auto payload = record.subspan(kRecordHeaderSize);
        if (type == kPerfRecordCompressed2) {
            // A u64 data_size, then the data; header.size also counts the padding to 8 bytes.
            const uint64_t data_size = load_u64(payload, 0);
            if (payload.size() < 8 || data_size > payload.size() - 8) {
                warnings.push_back("COMPRESSED2 record" + where() + " gives data_size " + std::to_string(data_size) +
                                   " larger than the record; the records after it are not read");
                break;
            }
            payload = payload.subspan(8, static_cast<size_t>(data_size));
        }
        if (!decompressed) {
            decompressed = std::make_unique<CompressedRecords>(info_.compression_mmap_len);
            if (!decompressed->ok()) return make_error(name_ + ": cannot create a zstd decompression stream");
        }
        if (!decompressed->feed(payload, visit, warnings)) {
            return Status::success();  // stopped by visit, or a warning says why
        }
    }
    if (decompressed && decompressed->leftover() > 0) {
        warnings.push_back("the compressed records end inside a record (" + std::to_string(decompressed->leftover()) +
                           " bytes left over)");
    }
    return Status::success();
}

}  // namespace kiln::format
