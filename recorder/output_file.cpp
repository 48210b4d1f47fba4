#include "recorder/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace kiln::recorder {

Result<int> create_output_file(const std::string& path) {
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
        if (S_ISLNK(st.st_mode))
            return make_error("output " + path + " is a symbolic link; kiln never writes through one "
                              "(recordings hold process memory); remove it or choose another -o");
        if (!S_ISREG(st.st_mode))
            return make_error("output " + path + " exists and is not a regular file; choose another -o");
        std::string old = path + ".old";
        if (::rename(path.c_str(), old.c_str()) != 0) {
            const int e = errno;
            return make_error("cannot keep the existing " + path + " as " + old + ": " + std::strerror(e) +
                              (e == EACCES || e == EROFS || e == EPERM ? "; choose a writable location with -o" : ""));
        }
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        std::string hint = (e == EACCES || e == EROFS || e == ENOENT)
                               ? "; choose a writable location with -o"
                               : "";
        return make_error("cannot create output " + path + ": " + std::strerror(e) + hint);
    }
    // O_CREAT honours the umask only by narrowing; make the mode exact.
    ::fchmod(fd, 0600);
    return fd;
}

Status check_directory_writable(const std::string& path) {
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        return make_error("cannot create files in " + dir + " (for -o " + path + "): " + std::strerror(errno) +
                          "; choose a writable location with -o");
    return {};
}

Result<int> standard_output() {
    if (::isatty(STDOUT_FILENO))
        return make_error("-o -: standard output is a terminal; pipe it to a program (kiln record -o - ... | ...) "
                          "or give a file");
    const int fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) return make_error(std::string("-o -: standard output: ") + std::strerror(errno));
    return fd;
}

std::string output_name(const std::string& path) { return path == "-" ? "standard output" : path; }

Status check_still_linked(int fd, const std::string& path) {
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink > 0) return {};
    (void)::ftruncate(fd, 0);
    return make_error(path + " was removed while recording (the file or its directory): what it held is lost; "
                      "record again to a file that stays");
}

std::string timestamped_path(const std::string& prefix, const std::string& ext, uint64_t realtime_ns) {
    const time_t secs = static_cast<time_t>(realtime_ns / 1'000'000'000ull);
    tm utc{};
    gmtime_r(&secs, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
    const std::string base = prefix + "-" + stamp;
    std::string path = base + ext;
    struct stat st{};
    for (int n = 2; ::lstat(path.c_str(), &st) == 0; ++n) path = base + "-" + std::to_string(n) + ext;
    return path;
}

}  // namespace kiln::recorder
