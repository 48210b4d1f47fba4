#include "formats/cache_dirs.h"

#include <cstdlib>

namespace kiln::format {

std::string kiln_cache_dir() {
    if (const char* dir = std::getenv("KILN_CACHE_DIR")) return dir;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/kiln";
    if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') return std::string(home) + "/.cache/kiln";
    return "";
}

std::string build_id_cache_file(const std::string& dir, const std::string& hex) {
    if (dir.empty() || hex.size() < 3) return "";
    return dir + "/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + "/elf";
}

}  // namespace kiln::format
