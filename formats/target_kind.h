// What a recording followed: a command kiln started, processes (-p), threads (-t) or the
// whole machine (-a). The header stores it as a name ("command", "pid", "tid",
// "system-wide"); code that branches on it uses TargetKind. A name this kiln does not know
// (a newer kiln's, or a hand-made file) still reads: as kUnknown, its text kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::format {

enum class TargetKind : uint8_t {
    kUnknown,     // a stored name this kiln does not know (or none)
    kCommand,     // a command kiln started (after --)
    kPid,         // running processes, -p
    kTid,         // running threads, -t
    kSystemWide,  // every CPU, -a (or -C without a task)
};

// The name stored in the header for a known kind; "" for kUnknown.
std::string_view target_kind_name(TargetKind kind);
// The kind a stored name stands for; kUnknown for any other text.
TargetKind target_kind_from_name(std::string_view name);

// The header's target: its kind, and for a name this kiln does not know the name as stored,
// so that it is shown and written back unchanged.
struct RecordingTarget {
    TargetKind kind = TargetKind::kUnknown;
    std::string unknown_name;  // kUnknown only: the stored text

    RecordingTarget() = default;
    RecordingTarget(TargetKind k) : kind(k) {}  // implicit: h.target = TargetKind::kPid
    static RecordingTarget from_name(std::string_view name);
    // What the header stores and `kiln info` shows.
    std::string name() const;
    bool operator==(const RecordingTarget&) const = default;
};

}  // namespace kiln::format
