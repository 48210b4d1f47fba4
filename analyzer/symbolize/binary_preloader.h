// Locates and opens the binaries that samples touch on a thread of its own while the
// recording is still streaming, so that by the time frames are resolved their symbol tables
// and DWARF are loaded. Opening a binary is the analyzer's largest fixed cost: libdw inflates
// compressed debug sections (Debian's libc6-dbg) before the first lookup.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "analyzer/symbolize/binary_locator.h"
#include "analyzer/symbolize/dwarf_symbolizer.h"
#include "formats/result.h"

namespace kiln::analyzer {

// Copyable: the symbols are shared, so several profiles of one recording (kiln analyze -o DIR)
// symbolize through one opened binary.
struct OpenedBinary {
    Result<LocatedBinary> located = Error{};
    Result<std::shared_ptr<BinarySymbols>> symbols = Error{};  // valid when located is
};

// What AddressResolver needs to open a binary: the preloader, or the same work done inline.
class BinaryOpener {
public:
    virtual ~BinaryOpener() = default;
    virtual OpenedBinary open(const std::string& path, const std::vector<uint8_t>& build_id) = 0;
};

// Locates and opens on the caller's thread.
class InlineBinaryOpener final : public BinaryOpener {
public:
    explicit InlineBinaryOpener(BinaryLocator& locator) : locator_(locator) {}
    OpenedBinary open(const std::string& path, const std::vector<uint8_t>& build_id) override;

private:
    BinaryLocator& locator_;
};

class BinaryPreloader final : public BinaryOpener {
public:
    // locator must be safe to use from two threads (BinaryLocator is).
    explicit BinaryPreloader(BinaryLocator& locator);
    ~BinaryPreloader() override;
    BinaryPreloader(const BinaryPreloader&) = delete;
    BinaryPreloader& operator=(const BinaryPreloader&) = delete;

    // Queues a binary to open; repeated requests are ignored.
    void request(const std::string& path, const std::vector<uint8_t>& build_id);
    // The binary, opened by the thread (waiting for it if it is at work on it) or, if it was
    // never requested, here. Each binary is opened once: later calls share its symbols.
    OpenedBinary open(const std::string& path, const std::vector<uint8_t>& build_id) override;

private:
    using Key = std::pair<std::string, std::vector<uint8_t>>;
    void run();

    InlineBinaryOpener inline_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Key> queue_;
    std::map<Key, std::optional<OpenedBinary>> entries_;  // nullopt: queued or being opened
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace kiln::analyzer
