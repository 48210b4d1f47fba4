// kiln's HTML report page: the template (web/report.html) with its style, d3, d3-flame-graph
// and the page's script inlined, and the report's data (report_document.h) as gzip-compressed,
// base64-encoded JSON in the page. One file that opens offline: nothing is fetched.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "formats/result.h"

namespace kiln::analyzer {

// Standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);

// The page, or an error when compression fails or an asset would end its <script> early.
Result<std::string> render_report_page(const std::string& title, const nlohmann::json& document);

}  // namespace kiln::analyzer
