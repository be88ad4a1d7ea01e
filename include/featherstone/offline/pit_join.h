// The point-in-time join kernel (DESIGN section 3) over in-memory sorted runs. File handling
// lives in historical_join.h; this is the pure merge, plus the naive reference it is tested
// against (pit_join_reference.h).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "featherstone/offline/key_columns.h"

namespace fst::offline {

// The ordering of a feature row among rows with the same keys: later event time wins, then
// later created time (null created sorts first), then later ingestion sequence.
struct RowOrder {
  int64_t ts = 0;
  int64_t created = std::numeric_limits<int64_t>::min();
  int64_t seq = 0;
  friend bool operator<(const RowOrder& a, const RowOrder& b) {
    if (a.ts != b.ts) return a.ts < b.ts;
    if (a.created != b.created) return a.created < b.created;
    return a.seq < b.seq;
  }
};

// The best feature row found so far for one entity row.
struct Match {
  RowOrder order;
  int32_t run = -1;  // which run (file) it came from; -1 = none
  int64_t row = -1;  // row index inside that run (in the run's original, unsorted numbering)
};

// Entity rows sorted by (keys, ts). Rows with null keys must be left out by the caller.
struct EntityRun {
  const KeyColumns* keys = nullptr;
  const int64_t* ts = nullptr;
  int64_t length = 0;
};

// Feature rows sorted by (keys, RowOrder). `row_ids[k]` gives the original row index of sorted
// position k (nullptr: first_row + k, e.g. a run that is a stretch of a file's rows).
struct FeatureRun {
  const KeyColumns* keys = nullptr;
  const int64_t* ts = nullptr;
  const int64_t* created = nullptr;  // null values already mapped to INT64_MIN; nullptr: all null
  const int64_t* seq = nullptr;
  const int64_t* row_ids = nullptr;
  int64_t length = 0;
  int64_t first_row = 0;
};

// Window of eligible event times for an entity row at time t:
// [t - ttl_us, t] (ttl_us == 0: no lower bound), and never below min_ts.
struct PitWindow {
  int64_t ttl_us = 0;
  int64_t min_ts = std::numeric_limits<int64_t>::min();
};

// Offers run `run_index`'s winner for every entity row to matches[i] (indexed like the sorted
// entity rows), replacing it when the new row orders later. Splits the entity rows into
// `threads` key-disjoint ranges processed in parallel. O(E + F) plus galloping seeks.
void PitMergeRun(const EntityRun& entities, const FeatureRun& run, int32_t run_index,
                 const PitWindow& window, std::vector<Match>* matches, int threads);
// PitMergeRun over the entity rows [begin, end) only (a run holding only their keys, say).
void PitMergeRunRange(const EntityRun& entities, int64_t begin, int64_t end,
                      const FeatureRun& run, int32_t run_index, const PitWindow& window,
                      std::vector<Match>* matches, int threads);

// Sorts row indices [0, n) of `keys` by (keys, then tie(i, j)), leaving out rows with a null
// key. `tie_less` orders rows with equal keys. Uses `threads` threads.
template <typename TieLess>
std::vector<int64_t> SortByKeys(const KeyColumns& keys, TieLess tie_less, int threads);

}  // namespace fst::offline

#include "featherstone/offline/pit_join_inl.h"
