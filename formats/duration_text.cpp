#include "formats/duration_text.h"

#include <cmath>
#include <cstdlib>

namespace kiln::format {

Result<uint64_t> parse_duration_ns(const std::string& text, const std::string& option) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    const std::string unit(end ? end : "");
    double scale = 0;
    if (unit.empty() || unit == "ns") scale = 1;
    else if (unit == "us") scale = 1e3;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "s") scale = 1e9;
    if (end == text.c_str() || scale == 0 || !std::isfinite(v) || v < 0 || v * scale > 1.8e19)
        return make_error(option + " " + text + ": expected a duration such as 500us, 1ms or 2s (a bare number is ns)");
    return static_cast<uint64_t>(v * scale + 0.5);
}

}  // namespace kiln::format
