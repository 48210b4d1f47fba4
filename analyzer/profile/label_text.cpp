#include "analyzer/profile/label_text.h"

#include <mutex>
#include <unordered_set>

namespace kiln::analyzer {

namespace {

struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

}  // namespace

const std::string& LabelText::intern(std::string_view s) {
    // Never freed: node-based, so the strings stay where they are as the set grows.
    static auto* texts = new std::unordered_set<std::string, Hash, std::equal_to<>>();
    static std::mutex mu;
    std::lock_guard lock(mu);
    auto it = texts->find(s);
    if (it == texts->end()) it = texts->emplace(s).first;
    return *it;
}

}  // namespace kiln::analyzer
