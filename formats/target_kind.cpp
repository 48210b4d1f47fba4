#include "formats/target_kind.h"

#include <array>
#include <utility>

namespace kiln::format {

namespace {
constexpr std::array<std::pair<TargetKind, std::string_view>, 4> kNames{{
    {TargetKind::kCommand, "command"},
    {TargetKind::kPid, "pid"},
    {TargetKind::kTid, "tid"},
    {TargetKind::kSystemWide, "system-wide"},
}};
}  // namespace

std::string_view target_kind_name(TargetKind kind) {
    for (const auto& [k, name] : kNames)
        if (k == kind) return name;
    return "";
}

TargetKind target_kind_from_name(std::string_view name) {
    for (const auto& [k, n] : kNames)
        if (n == name) return k;
    return TargetKind::kUnknown;
}

RecordingTarget RecordingTarget::from_name(std::string_view name) {
    RecordingTarget t(target_kind_from_name(name));
    if (t.kind == TargetKind::kUnknown) t.unknown_name = std::string(name);
    return t;
}

std::string RecordingTarget::name() const {
    return kind == TargetKind::kUnknown ? unknown_name : std::string(target_kind_name(kind));
}

}  // namespace kiln::format
