// Sums per window for one process or thread, kept only from the first window it was seen in
// to the last: a system-wide recording has thousands of short-lived tasks, and a vector over
// every window for each would make memory tasks x windows (gigabytes for minutes of a fork
// storm) where this is the windows each task lived through.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

namespace kiln::analyzer {

class WindowSums {
public:
    void add(size_t window, double value) {
        if (values_.empty()) {
            first_ = window;
        } else if (window < first_) {  // records are time-ordered: rare, and only a little earlier
            values_.insert(values_.begin(), first_ - window, 0.0);
            first_ = window;
        }
        const size_t i = window - first_;
        if (values_.size() <= i) values_.resize(i + 1, 0.0);
        values_[i] += value;
        total_ += value;
    }
    double total() const { return total_; }
    // A value for each of n windows: 0 where nothing was added.
    std::vector<double> dense(size_t n) const {
        std::vector<double> out(n, 0.0);
        for (size_t i = 0; i < values_.size() && first_ + i < n; ++i) out[first_ + i] = values_[i];
        return out;
    }

private:
    size_t first_ = 0;
    std::vector<double> values_;
    double total_ = 0;
};

// The keys of the n largest totals in a map, sorted by key; total_of(value) gives an entry's
// total, or nullopt to leave it out.
template <typename Map, typename TotalOf>
std::vector<typename Map::key_type> largest_totals(const Map& map, size_t n, const TotalOf& total_of) {
    std::vector<std::pair<double, typename Map::key_type>> by_total;
    for (const auto& [key, value] : map)
        if (std::optional<double> total = total_of(value)) by_total.emplace_back(*total, key);
    std::sort(by_total.begin(), by_total.end(),
              [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    if (by_total.size() > n) by_total.resize(n);
    std::vector<typename Map::key_type> keys;
    for (const auto& [total, key] : by_total) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    return keys;
}

}  // namespace kiln::analyzer
