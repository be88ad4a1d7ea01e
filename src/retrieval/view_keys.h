// Internal to src/retrieval: the distinct entity keys of a feature view's offline data, for
// materialization (the keys to recompute) and generated training-set spines (every key).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>

#include "featherstone/features/view_plan.h"
#include "featherstone/offline/historical_join.h"
#include "featherstone/registry/registry.h"

namespace fst::retrieval {

// Decides which rows of a part mark their key.
struct KeyFilter {
  int64_t min_ts = std::numeric_limits<int64_t>::min();
  int64_t max_ts = std::numeric_limits<int64_t>::max();
  // Incremental: rows of ingests after this id count whatever their time; older rows count
  // only when their time is after `previous_end`.
  int64_t last_ingest_id = -1;
  int64_t previous_end = std::numeric_limits<int64_t>::min();
};

// The keys (online::EncodeKey) of every row of `files` that passes `filter`, deduplicated, in
// the order first seen. `records[i]` is the registry's record of `files[i]`. Memory: one
// encoded key per distinct key. Errors: IOError naming a part.
Result<std::vector<std::string>> TouchedKeys(const std::vector<offline::PartRef>& files,
                                             const std::vector<registry::FileRecord>& records,
                                             const features::ViewPlan& plan,
                                             const KeyFilter& filter);

// Arrow key columns, typed as the plan's join keys, for encoded keys (the inverse of
// online::EncodeKey).
Result<std::vector<std::shared_ptr<arrow::Array>>> KeyArrays(
    const std::vector<std::string>& encoded, const features::ViewPlan& plan);

}  // namespace fst::retrieval
