// The debuginfod client library, loaded with dlopen on first use. Linking it would load
// libcurl, GnuTLS, Kerberos and LDAP (about 30 libraries) into every kiln process, the
// recorder included, at a cost of ~10 ms of start-up CPU; only analyses that fetch from a
// debuginfod server need them. libdw loads the same library the same way.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace kiln::analyzer {

class DebuginfodClient {
public:
    DebuginfodClient() = default;
    ~DebuginfodClient();
    DebuginfodClient(const DebuginfodClient&) = delete;
    DebuginfodClient& operator=(const DebuginfodClient&) = delete;

    // Path of the fetched (cached) file, or "" with error set: library missing, client
    // failed to start, or the server's answer (errno text).
    std::string fetch(std::span<const uint8_t> build_id, bool debuginfo, std::string& error);

private:
    bool load(std::string& error);

    struct Api;
    Api* api_ = nullptr;
    void* client_ = nullptr;  // debuginfod_client*
    bool tried_ = false;
    std::string load_error_;
};

}  // namespace kiln::analyzer
