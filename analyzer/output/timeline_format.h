// Small helpers shared by the timeline writers (timeline_{text,json,csv,svg}.cpp).
#pragma once

#include <cstdio>
#include <string>

namespace kiln::analyzer::timeline_format {

// A number as JSON, CSV and SVG text want it: up to 10 significant digits, no exponent for
// ordinary magnitudes, no trailing zeros ("100", "0.25", "1234567").
inline std::string number(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

}  // namespace kiln::analyzer::timeline_format
