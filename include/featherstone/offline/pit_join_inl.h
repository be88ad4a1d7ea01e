// Template bodies for pit_join.h. Not a public entry point.
#pragma once

#include <algorithm>
#include <thread>
#include <utility>

namespace fst::offline {
namespace internal {

// Sorts `items` by `less`, the two halves on two threads when `threads` > 1 and there are
// enough items, then merges them.
template <typename T, typename Less>
void SortMaybeParallel(std::vector<T>& items, Less less, int threads) {
  if (threads <= 1 || items.size() < 100000) {
    std::sort(items.begin(), items.end(), less);
    return;
  }
  const auto mid = items.begin() + static_cast<std::ptrdiff_t>(items.size() / 2);
  std::thread left([&] { std::sort(items.begin(), mid, less); });
  std::sort(mid, items.end(), less);
  left.join();
  std::inplace_merge(items.begin(), mid, items.end(), less);
}

}  // namespace internal

template <typename TieLess>
std::vector<int64_t> SortByKeys(const KeyColumns& keys, TieLess tie_less, int threads) {
  std::vector<int64_t> order;
  order.reserve(static_cast<size_t>(keys.length()));
  if (const int64_t* ints = keys.single_int64()) {
    // One integer key: sort (key, row) pairs, whose keys sit next to each other in memory.
    std::vector<std::pair<int64_t, int64_t>> pairs;
    pairs.reserve(static_cast<size_t>(keys.length()));
    for (int64_t i = 0; i < keys.length(); ++i) {
      if (!keys.IsNull(i)) pairs.emplace_back(ints[i], i);
    }
    internal::SortMaybeParallel(
        pairs,
        [&](const std::pair<int64_t, int64_t>& a, const std::pair<int64_t, int64_t>& b) {
          if (a.first != b.first) return a.first < b.first;
          return tie_less(a.second, b.second);
        },
        threads);
    for (const auto& pair : pairs) order.push_back(pair.second);
    return order;
  }
  for (int64_t i = 0; i < keys.length(); ++i) {
    if (!keys.IsNull(i)) order.push_back(i);
  }
  internal::SortMaybeParallel(
      order,
      [&](int64_t a, int64_t b) {
        const int c = keys.Compare(a, keys, b);
        if (c != 0) return c < 0;
        return tie_less(a, b);
      },
      threads);
  return order;
}

}  // namespace fst::offline
