// Values in their unit for people: "1.25 s", "340.00 ms", "12.00 MiB", "1234 count".
// Shared by the top table and the flame graph; header-only so every writer can use it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace kiln::analyzer {

// sep goes between number and unit ("" for the compact table form "340.00ms").
inline std::string format_value(double v, const std::string& unit, const char* sep = " ") {
    char buf[64];
    if (unit == "nanoseconds") {
        if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.2f%ss", v / 1e9, sep);
        else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2f%sms", v / 1e6, sep);
        else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.2f%sus", v / 1e3, sep);
        else std::snprintf(buf, sizeof buf, "%.0f%sns", v, sep);
    } else if (unit == "bytes") {
        if (v >= 1073741824.0) std::snprintf(buf, sizeof buf, "%.2f%sGiB", v / 1073741824.0, sep);
        else if (v >= 1048576.0) std::snprintf(buf, sizeof buf, "%.2f%sMiB", v / 1048576.0, sep);
        else if (v >= 1024.0) std::snprintf(buf, sizeof buf, "%.2f%sKiB", v / 1024.0, sep);
        else std::snprintf(buf, sizeof buf, "%.0f%sB", v, sep);
    } else if (*sep) {
        std::snprintf(buf, sizeof buf, "%.0f%s%s", v, sep, unit.c_str());
    } else {
        std::snprintf(buf, sizeof buf, "%.0f", v);
    }
    return buf;
}

}  // namespace kiln::analyzer
