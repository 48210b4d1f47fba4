#include "formats/perf_probe_event.h"

#include <cctype>

namespace kiln::format {

std::optional<uint64_t> PerfProbeEvent::value(size_t i, std::span<const uint8_t> raw) const {
    if (i >= values.size()) return std::nullopt;
    auto v = TracepointFormat::integer(values[i], raw);
    if (!v) return std::nullopt;
    // Sign-extended fields (%di:s32 ...) are read back as the register's unsigned bits.
    return static_cast<uint64_t>(*v);
}

std::optional<PerfProbeEvent> perf_probe_event(const EventDescription& event,
                                               bool (*known_function)(std::string_view)) {
    if (event.tracepoint_format.empty()) return std::nullopt;
    const size_t colon = event.name.find(':');
    if (colon == std::string::npos || event.name.find(':', colon + 1) != std::string::npos) return std::nullopt;
    auto format = parse_tracepoint_format(event.tracepoint_format);
    if (!format) return std::nullopt;
    PerfProbeEvent p;
    if (format->field("__probe_ip")) {
        p.is_return = false;
    } else if (format->field("__probe_func") && format->field("__probe_ret_ip")) {
        p.is_return = true;
    } else {
        return std::nullopt;  // a kernel tracepoint, or a kprobe's own layout
    }
    for (const auto& f : format->fields)
        if (!f.name.starts_with("common_") && !f.name.starts_with("__probe_") &&
            f.location == TracepointField::Location::kInline && f.size <= 8)
            p.values.push_back(f);
    std::string name = event.name.substr(colon + 1);
    if (p.is_return && name.ends_with("__return")) name.resize(name.size() - 8);
    // perf names a second probe of one symbol EVENT_1, a third EVENT_2 ...
    if (!(known_function && known_function(name))) {
        const size_t underscore = name.rfind('_');
        if (underscore != std::string::npos && underscore + 1 < name.size()) {
            bool digits = true;
            for (size_t i = underscore + 1; i < name.size(); ++i) digits = digits && std::isdigit(static_cast<unsigned char>(name[i]));
            if (digits && known_function && known_function(std::string_view(name).substr(0, underscore)))
                name.resize(underscore);
        }
    }
    p.function = std::move(name);
    return p;
}

}  // namespace kiln::format
