// Template bodies for pit_join.h. Not a public entry point.
#pragma once

#include <algorithm>
#include <thread>

namespace fst::offline {

template <typename TieLess>
std::vector<int64_t> SortByKeys(const KeyColumns& keys, TieLess tie_less, int threads) {
  std::vector<int64_t> order;
  order.reserve(static_cast<size_t>(keys.length()));
  for (int64_t i = 0; i < keys.length(); ++i) {
    if (!keys.IsNull(i)) order.push_back(i);
  }
  auto less = [&](int64_t a, int64_t b) {
    const int c = keys.Compare(a, keys, b);
    if (c != 0) return c < 0;
    return tie_less(a, b);
  };
  if (threads <= 1 || order.size() < 100000) {
    std::sort(order.begin(), order.end(), less);
    return order;
  }
  const auto mid = order.begin() + static_cast<std::ptrdiff_t>(order.size() / 2);
  std::thread left([&] { std::sort(order.begin(), mid, less); });
  std::sort(mid, order.end(), less);
  left.join();
  std::inplace_merge(order.begin(), mid, order.end(), less);
  return order;
}

}  // namespace fst::offline
