#include "tests/tools/speedscope_page.h"

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tests/tools/kiln_runner.h"

namespace kiln::test {

SpeedscopePage::SpeedscopePage(const TempDir& tmp, const std::string& www) : tmp_(tmp) {
    const std::string dir = tmp.path(www);
    std::filesystem::create_directory_symlink(kSpeedscopeRelease, dir + "/speedscope");
    // Speedscope fetches the profile, which browsers refuse over file://: serve it over HTTP.
    // The server binds port 0 and writes the port the kernel gave it.
    const std::string port_file = tmp.path("speedscope-port");
    server_ = spawn({"/usr/bin/python3", "-c",
                     "import functools, http.server, os, sys\n"
                     "handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n"
                     "server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)\n"
                     "with open(sys.argv[2] + '.tmp', 'w') as f: f.write(str(server.server_port))\n"
                     "os.rename(sys.argv[2] + '.tmp', sys.argv[2])\n"
                     "server.serve_forever()\n",
                     dir, port_file});
    if (wait_until([&] { return !read_text(port_file).empty(); })) port_ = std::atoi(read_text(port_file).c_str());
}

SpeedscopePage::~SpeedscopePage() {
    if (server_ <= 0) return;
    kill(-server_, SIGTERM);
    wait_for(server_);
}

SpeedscopePage::Load SpeedscopePage::open(const std::string& profile, int attempts, const std::string& timeout) {
    const std::string base = "http://127.0.0.1:" + std::to_string(port_);
    Load load;
    for (int attempt = 0; attempt < attempts && load.title.empty(); ++attempt) {
        auto dom = run({"/usr/bin/timeout", timeout, "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        "--user-data-dir=" + tmp_.path("chromium-" + profile + std::to_string(attempt)),
                        "--enable-logging=stderr", "--v=0", "--virtual-time-budget=8000", "--dump-dom",
                        base + "/speedscope/index.html#profileURL=" + base + "/" + profile});
        const size_t a = dom.out.find("<title>"), b = dom.out.find("</title>");
        if (a != std::string::npos && b != std::string::npos) load.title = dom.out.substr(a + 7, b - a - 7);
        // [pid:tid:time:INFO:CONSOLE:LINE] "message", source: URL (LINE); a message (an error with
        // its stack) may span lines.
        load.console.clear();
        std::istringstream err(dom.err);
        std::string message;
        bool in_message = false;
        for (std::string line; std::getline(err, line);) {
            if (!in_message) {
                const size_t c = line.find(":CONSOLE");
                const size_t q = c == std::string::npos ? std::string::npos : line.find("] \"", c);
                if (q == std::string::npos) continue;
                message = line.substr(q + 3);
                in_message = true;
            } else {
                message += "\n" + line;
            }
            const size_t end = message.rfind("\", source: ");
            if (end == std::string::npos) continue;
            const std::string source = message.substr(end + 11);
            load.console.push_back({message.substr(0, end), source.substr(0, source.rfind(" ("))});
            in_message = false;
        }
    }
    return load;
}

bool SpeedscopePage::Load::logged(const std::string& text) const {
    for (const auto& m : console)
        if (m.text == text) return true;
    return false;
}

std::vector<std::string> console_errors(const SpeedscopePage::Load& load) {
    std::vector<std::string> out;
    for (const auto& m : load.console) {
        if (!m.source.ends_with(".js")) continue;
        for (const char* word : {"Failed", "rror", "Uncaught", "Unrecognized", "Tried to"})
            if (m.text.find(word) != std::string::npos) {
                out.push_back(m.text + " (" + m.source + ")");
                break;
            }
    }
    return out;
}

}  // namespace kiln::test
