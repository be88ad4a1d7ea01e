#include "featherstone/offline/pit_join.h"

#include <thread>

#include "featherstone/core/time.h"

namespace fst::offline {
namespace {

// First k in [from, run.length) with run.keys[k] >= entities.keys[i], by galloping.
int64_t SeekKey(const FeatureRun& run, int64_t from, const EntityRun& entities, int64_t i) {
  auto less = [&](int64_t k) { return run.keys->Compare(k, *entities.keys, i) < 0; };
  if (from >= run.length || !less(from)) return from;
  int64_t lo = from;  // less(lo) holds
  int64_t step = 1;
  int64_t hi = from + step;
  while (hi < run.length && less(hi)) {
    lo = hi;
    step *= 2;
    hi = from + step;
  }
  if (hi > run.length) hi = run.length;
  // less(lo) true; answer in (lo, hi]
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (less(mid)) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

// End of the group of rows equal to run row `start`'s key, by galloping.
int64_t GroupEnd(const FeatureRun& run, int64_t start) {
  auto same = [&](int64_t k) { return run.keys->Equal(k, *run.keys, start); };
  int64_t lo = start;
  int64_t step = 1;
  int64_t hi = start + step;
  while (hi < run.length && same(hi)) {
    lo = hi;
    step *= 2;
    hi = start + step;
  }
  if (hi > run.length) hi = run.length;
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (same(mid)) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

void MergeRange(const EntityRun& entities, int64_t begin, int64_t end, const FeatureRun& run,
                int32_t run_index, const PitWindow& window, Match* matches) {
  int64_t j = 0;
  int64_t i = begin;
  while (i < end) {
    j = SeekKey(run, j, entities, i);
    if (j >= run.length) return;
    const int c = run.keys->Compare(j, *entities.keys, i);
    if (c > 0) {
      // No feature rows for this entity key: skip its entity rows.
      const int64_t key_row = i;
      while (i < end && entities.keys->Equal(i, *entities.keys, key_row)) ++i;
      continue;
    }
    const int64_t group_end = GroupEnd(run, j);
    int64_t p = j;  // first row of the group with ts > current entity ts
    for (; i < end && run.keys->Equal(j, *entities.keys, i); ++i) {
      const int64_t t = entities.ts[i];
      while (p < group_end && run.ts[p] <= t) ++p;
      if (p == j) continue;
      const int64_t k = p - 1;
      const int64_t ts = run.ts[k];
      if (!core::WithinTtl(ts, t, window.ttl_us)) continue;
      if (ts < window.min_ts) continue;
      const RowOrder order{ts, run.created ? run.created[k] : std::numeric_limits<int64_t>::min(),
                           run.seq[k]};
      Match& m = matches[i];
      if (m.run < 0 || m.order < order) {
        m.order = order;
        m.run = run_index;
        m.row = run.row_ids ? run.row_ids[k] : run.first_row + k;
      }
    }
    j = group_end;
  }
}

}  // namespace

void PitMergeRun(const EntityRun& entities, const FeatureRun& run, int32_t run_index,
                 const PitWindow& window, std::vector<Match>* matches, int threads) {
  PitMergeRunRange(entities, 0, entities.length, run, run_index, window, matches, threads);
}

void PitMergeRunRange(const EntityRun& entities, int64_t begin, int64_t end,
                      const FeatureRun& run, int32_t run_index, const PitWindow& window,
                      std::vector<Match>* matches, int threads) {
  if (end <= begin || run.length == 0) return;
  Match* out = matches->data();
  if (threads <= 1 || end - begin < 65536) {
    MergeRange(entities, begin, end, run, run_index, window, out);
    return;
  }
  // Split at key boundaries so no key straddles two ranges.
  std::vector<int64_t> bounds = {begin};
  for (int t = 1; t < threads; ++t) {
    int64_t b = begin + (end - begin) * t / threads;
    while (b > bounds.back() && b < end && entities.keys->Equal(b, *entities.keys, b - 1)) {
      ++b;
    }
    bounds.push_back(b);
  }
  bounds.push_back(end);
  std::vector<std::thread> workers;
  for (size_t t = 0; t + 1 < bounds.size(); ++t) {
    if (bounds[t] >= bounds[t + 1]) continue;
    workers.emplace_back([&, t] {
      MergeRange(entities, bounds[t], bounds[t + 1], run, run_index, window, out);
    });
  }
  for (auto& w : workers) w.join();
}

}  // namespace fst::offline
