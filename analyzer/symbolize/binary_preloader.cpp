#include "analyzer/symbolize/binary_preloader.h"

namespace kiln::analyzer {

OpenedBinary InlineBinaryOpener::open(const std::string& path, const std::vector<uint8_t>& build_id) {
    OpenedBinary b;
    b.located = locator_.locate(path, build_id);
    if (!b.located) return b;
    auto symbols = BinarySymbols::open(*b.located);
    if (symbols) {
        b.symbols = std::shared_ptr<BinarySymbols>(std::move(*symbols));
    } else {
        b.symbols = symbols.error();
    }
    return b;
}

BinaryPreloader::BinaryPreloader(BinaryLocator& locator) : inline_(locator) {
    thread_ = std::thread([this] { run(); });
}

BinaryPreloader::~BinaryPreloader() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
        queue_.clear();
    }
    cv_.notify_all();
    thread_.join();
}

void BinaryPreloader::request(const std::string& path, const std::vector<uint8_t>& build_id) {
    {
        std::lock_guard lock(mu_);
        Key key{path, build_id};
        if (entries_.count(key)) return;
        entries_.emplace(key, std::nullopt);
        queue_.push_back(std::move(key));
    }
    cv_.notify_all();
}

void BinaryPreloader::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        Key key = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        OpenedBinary opened = inline_.open(key.first, key.second);
        lock.lock();
        entries_[key] = std::move(opened);
        cv_.notify_all();
    }
}

OpenedBinary BinaryPreloader::open(const std::string& path, const std::vector<uint8_t>& build_id) {
    std::unique_lock lock(mu_);
    Key key{path, build_id};
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        lock.unlock();
        OpenedBinary b = inline_.open(path, build_id);
        lock.lock();
        entries_.emplace(std::move(key), b);  // kept for the next profile that asks
        return b;
    }
    cv_.wait(lock, [&] { return it->second.has_value(); });
    return *it->second;
}

}  // namespace kiln::analyzer
