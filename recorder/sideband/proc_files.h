// Reading /proc and /sys files: their size is reported as 0, they can vanish between two
// reads (a process exits), and some must not be trusted to be small or regular.
#pragma once

#include <cerrno>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/result.h"

namespace kiln::recorder::sideband {

// Reads a whole file into `out`, at most `max_bytes` (the rest is left unread; `truncated`,
// when given, tells). Returns 0 or the errno of the failure.
int read_file(const std::string& path, std::string& out, size_t max_bytes, bool* truncated = nullptr);

// readlink(2) into a string. Returns 0 or an errno.
int read_link(const std::string& path, std::string& out);

// The names of the entries of a directory that are decimal numbers (pids, tids), ascending.
// Returns 0 or an errno.
int list_numeric_entries(const std::string& dir, std::vector<int>& out);

// Calls `fn` with each line (without '\n') of a file, streaming, until it returns false.
Status for_each_line(const std::string& path, const std::function<bool(std::string_view)>& fn);

// "cannot read PATH: <strerror>".
std::string read_error(const std::string& path, int err);

// True when an errno from /proc/PID/... means the process (or thread) is gone.
inline bool is_gone(int err) { return err == ENOENT || err == ESRCH; }

// Removes a trailing "\n".
std::string_view trim_newline(std::string_view s);

}  // namespace kiln::recorder::sideband
