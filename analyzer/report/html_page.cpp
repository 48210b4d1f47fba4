#include "analyzer/report/html_page.h"

#include <array>
#include <cstdint>

#include "analyzer/output/flame_svg.h"  // xml_escape
#include "analyzer/output/gzip.h"
#include "analyzer/report/report_assets.h"

namespace kiln::analyzer {

namespace {

// Text inlined in a <script> or <style> must not close it.
Status check_inlinable(std::string_view name, std::string_view text) {
    for (std::string_view closer : {"</script", "</SCRIPT", "</style", "</STYLE"})
        if (text.find(closer) != std::string_view::npos)
            return make_error("report page: the asset " + std::string(name) + " holds '" + std::string(closer) +
                              "' and cannot be inlined");
    return Status::success();
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16 |
                           static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8 |
                           static_cast<uint8_t>(bytes[i + 2]);
        for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
    }
    if (const size_t rest = bytes.size() - i; rest > 0) {
        uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16;
        if (rest == 2) v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

Result<std::string> render_report_page(const std::string& title, const nlohmann::json& document) {
    // Invalid UTF-8 in a name (a binary's symbol) becomes U+FFFD rather than failing the dump.
    const std::string text = document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto packed = gzip(text);
    if (!packed) return make_error("report page: " + packed.error().message);
    const std::string data = base64_encode({reinterpret_cast<const char*>(packed->data()), packed->size()});
    const std::array<std::pair<std::string_view, std::string_view>, 8> fills{{
        {"@@KILN_TITLE@@", {}},  // filled below, escaped
        {"@@KILN_CSS@@", report_assets::kCss},
        {"@@KILN_D3@@", report_assets::kD3},
        {"@@KILN_FLAMEGRAPH@@", report_assets::kFlameGraph},
        {"@@KILN_DATA@@", data},
        {"@@KILN_REPORT_MODEL_JS@@", report_assets::kReportModelJs},
        {"@@KILN_REPORT_TIMELINE_JS@@", report_assets::kReportTimelineJs},
        {"@@KILN_REPORT_JS@@", report_assets::kReportJs},
    }};
    const std::string escaped_title = xml_escape(title);  // and invalid UTF-8 made valid
    std::string page;
    page.reserve(report_assets::kPage.size() + data.size() + report_assets::kD3.size() + 65536);
    std::string_view rest = report_assets::kPage;
    // Each marker once, in the template's order: what is inlined is never searched again.
    while (!rest.empty()) {
        size_t at = std::string_view::npos;
        const std::pair<std::string_view, std::string_view>* fill = nullptr;
        for (const auto& f : fills)
            if (size_t p = rest.find(f.first); p < at) {
                at = p;
                fill = &f;
            }
        if (!fill) {
            page += rest;
            break;
        }
        page += rest.substr(0, at);
        if (fill->first == "@@KILN_TITLE@@") {
            page += escaped_title;
        } else {
            KILN_TRY(check_inlinable(fill->first, fill->second));
            page += fill->second;
        }
        rest = rest.substr(at + fill->first.size());
    }
    return page;
}

}  // namespace kiln::analyzer
