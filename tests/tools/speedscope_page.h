// Speedscope (the web viewer; tools/install-deps installs its release bundle) in headless
// Chromium, for tests that check the files people open in it. The profiles of one directory are
// served over HTTP on 127.0.0.1, at a port the kernel gave the server's bound socket (no two
// runs share one), with the bundle linked in as /speedscope, and loaded via #profileURL=.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/temp_dir.h"

namespace kiln::test {

inline constexpr const char* kSpeedscopeRelease =
    "/opt/kiln-deps/speedscope-1.20.0/node_modules/speedscope/dist/release";

class SpeedscopePage {
public:
    // Serves www (a directory of tmp) once started() holds; the server stops with the object.
    SpeedscopePage(const TempDir& tmp, const std::string& www);
    ~SpeedscopePage();
    SpeedscopePage(const SpeedscopePage&) = delete;
    SpeedscopePage& operator=(const SpeedscopePage&) = delete;

    bool started() const { return port_ > 0; }

    struct Console {
        std::string text;    // the message
        std::string source;  // the script (or page) that logged it
    };
    struct Load {
        std::string title;             // the page's <title> after loading ("" if none came)
        std::vector<Console> console;  // the page's console messages, in order
        bool logged(const std::string& text) const;
    };
    // Opens www/profile (a file name) in speedscope. A profile speedscope cannot read may raise
    // an alert, which keeps headless chromium waiting until the timeout: give that case one short
    // try (attempts 1, timeout "20"); a good one a few (the machine may be loaded).
    Load open(const std::string& profile, int attempts, const std::string& timeout);

private:
    const TempDir& tmp_;
    pid_t server_ = -1;
    int port_ = 0;
};

// Console messages of speedscope's scripts that say it failed ("Failed to load format ...",
// uncaught errors); the browser's own (WebGL driver notes on the page) are not its.
std::vector<std::string> console_errors(const SpeedscopePage::Load& load);

}  // namespace kiln::test
