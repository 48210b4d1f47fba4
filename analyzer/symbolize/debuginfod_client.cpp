#include "analyzer/symbolize/debuginfod_client.h"

#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace kiln::analyzer {

namespace {
constexpr const char* kLibrary = "libdebuginfod.so.1";
}

// The four entry points kiln uses, typed from the library's own header.
struct DebuginfodClient::Api {
    void* handle = nullptr;
    decltype(&debuginfod_begin) begin = nullptr;
    decltype(&debuginfod_end) end = nullptr;
    decltype(&debuginfod_find_debuginfo) find_debuginfo = nullptr;
    decltype(&debuginfod_find_executable) find_executable = nullptr;
};

DebuginfodClient::~DebuginfodClient() {
    if (!api_) return;
    if (client_) api_->end(static_cast<debuginfod_client*>(client_));
    // The handle stays open: libcurl registers process-wide state that must outlive us.
    delete api_;
}

bool DebuginfodClient::load(std::string& error) {
    if (tried_) {
        error = load_error_;
        return api_ != nullptr;
    }
    tried_ = true;
    void* handle = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        load_error_ = std::string("debuginfod client library not available (") + dlerror() + ")";
        error = load_error_;
        return false;
    }
    auto* api = new Api;
    api->handle = handle;
    api->begin = reinterpret_cast<decltype(api->begin)>(dlsym(handle, "debuginfod_begin"));
    api->end = reinterpret_cast<decltype(api->end)>(dlsym(handle, "debuginfod_end"));
    api->find_debuginfo = reinterpret_cast<decltype(api->find_debuginfo)>(dlsym(handle, "debuginfod_find_debuginfo"));
    api->find_executable =
        reinterpret_cast<decltype(api->find_executable)>(dlsym(handle, "debuginfod_find_executable"));
    if (!api->begin || !api->end || !api->find_debuginfo || !api->find_executable) {
        delete api;
        load_error_ = std::string(kLibrary) + " lacks the debuginfod_* client functions";
        error = load_error_;
        return false;
    }
    api_ = api;
    client_ = api_->begin();
    if (!client_) {
        load_error_ = "debuginfod client could not start";
        error = load_error_;
        return false;
    }
    return true;
}

std::string DebuginfodClient::fetch(std::span<const uint8_t> build_id, bool debuginfo, std::string& error) {
    if (!load(error) || !client_) return "";
    auto* client = static_cast<debuginfod_client*>(client_);
    char* path = nullptr;
    const int id_len = static_cast<int>(build_id.size());
    const int fd = debuginfo ? api_->find_debuginfo(client, build_id.data(), id_len, &path)
                             : api_->find_executable(client, build_id.data(), id_len, &path);
    if (fd < 0) {
        error = std::strerror(-fd);
        return "";
    }
    close(fd);
    std::string out = path ? path : "";
    std::free(path);
    return out;
}

}  // namespace kiln::analyzer
