#include "analyzer/output/speedscope_writer.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace kiln::analyzer {

namespace {

// Frame and comm names are bytes from binaries and the kernel: invalid UTF-8 is replaced
// rather than thrown on.
std::string json_string(const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void write_speedscope(const StackTimelines& t, const SpeedscopeOptions& options, std::ostream& out) {
    size_t active = 0;
    for (size_t i = 0; i < t.threads.size(); ++i)
        if (t.threads[i].busy_ns > t.threads[active].busy_ns) active = i;

    out << "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n\"shared\":{\"frames\":[";
    for (size_t i = 0; i < t.frames.size(); ++i) {
        const TimelineFrame& f = t.frames[i];
        out << (i ? ",\n" : "\n") << "{\"name\":" << json_string(f.name);
        if (!f.file.empty()) out << ",\"file\":" << json_string(f.file);
        if (f.line > 0) out << ",\"line\":" << f.line;
        out << '}';
    }
    out << "]},\n\"profiles\":[";
    for (size_t p = 0; p < t.threads.size(); ++p) {
        const ThreadTimeline& th = t.threads[p];
        out << (p ? ",\n" : "\n") << "{\"type\":\"evented\",\"name\":" << json_string(th.name)
            << ",\"unit\":\"nanoseconds\",\"startValue\":0,\"endValue\":" << t.end_ns << ",\"events\":[";
        for (size_t i = 0; i < th.events.size(); ++i) {
            const TimelineEvent& e = th.events[i];
            out << (i ? ",\n" : "\n") << "{\"type\":\"" << (e.open ? 'O' : 'C') << "\",\"frame\":" << e.frame
                << ",\"at\":" << e.at << '}';
        }
        out << "]}";
    }
    out << "],\n\"name\":" << json_string(options.name) << ",\"activeProfileIndex\":" << active
        << ",\"exporter\":" << json_string(options.exporter) << "}\n";
}

Status write_speedscope(const StackTimelines& timelines, const SpeedscopeOptions& options, const std::string& path) {
    if (path == "-") {
        write_speedscope(timelines, options, std::cout);
        std::cout.flush();
        if (!std::cout) return make_error("cannot write the speedscope profile to standard output");
        return Status::success();
    }
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) return make_error("cannot write " + path + ": " + std::strerror(errno));
    write_speedscope(timelines, options, f);
    f.close();
    if (!f) return make_error("cannot write " + path + ": " + std::strerror(errno));
    return Status::success();
}

}  // namespace kiln::analyzer
