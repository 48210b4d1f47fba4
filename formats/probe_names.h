// How a user-space probe event is named in a recording (SPEC.md, HEADER): "uprobe:PATH:SYMBOL",
// "uprobe:PATH:SYMBOL+OFFSET" or "uretprobe:PATH:SYMBOL". The recorder names events so, the
// analyzer reads what a probe is from the name (its attr's config1 is not kept).
#pragma once

#include <string_view>

namespace kiln::format {

inline constexpr std::string_view kUprobePrefix = "uprobe:";
inline constexpr std::string_view kUretprobePrefix = "uretprobe:";

inline bool is_probe_name(std::string_view name) {
    return name.starts_with(kUprobePrefix) || name.starts_with(kUretprobePrefix);
}
inline bool is_uretprobe_name(std::string_view name) { return name.starts_with(kUretprobePrefix); }

// SYMBOL[+OFFSET] of a probe name ("" when name is not one).
inline std::string_view probe_target(std::string_view name) {
    if (!is_probe_name(name)) return {};
    const size_t colon = name.rfind(':');
    return colon == std::string_view::npos ? std::string_view{} : name.substr(colon + 1);
}

// A uprobe at a function's first instruction (no +OFFSET): the caller's return address is
// at the top of the stack, and the function's arguments are in their registers.
inline bool is_entry_uprobe_name(std::string_view name) {
    return name.starts_with(kUprobePrefix) && probe_target(name).find('+') == std::string_view::npos;
}

// The markers of kiln's allocation sampler (kiln record --alloc-sample): kiln_sampled_alloc,
// kiln_sampled_free, kiln_sampled_batch. Their hits are the sampler's reports, read by the alloc
// views, not calls of the program's.
inline bool is_alloc_sampler_marker(std::string_view name) {
    return name.starts_with(kUprobePrefix) && probe_target(name).starts_with("kiln_sampled_");
}

}  // namespace kiln::format
