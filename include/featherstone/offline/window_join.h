// Windowed aggregations at entity rows' times over a source's part files (DESIGN section 3):
// for entity row (k, t) and window w, the events of key k with t - w < ts <= t.
// Memory: the events of the keys that can fall in a window (times within
// [min t - max window, max t]) for the aggregated columns only, sorted in memory; plus the
// entity rows. Parts whose time range cannot contribute are not read. With a memory limit the
// entity rows are split into contiguous key ranges, each estimated (from the part files'
// row-group statistics of the first join key and the columns' widths) to hold at most the limit
// of events, and computed in a pass of its own that reads only the row groups overlapping its
// range: memory then holds one range's events plus one row group per part. A range is never
// narrower than one key, nor than the keys of the row groups its first key needs (the estimate
// counts whole row groups). The entity rows and the results stay whole.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>

#include "featherstone/offline/historical_join.h"
#include "featherstone/transform/window_aggregation.h"

namespace fst::offline {

// The earliest event time inside the window (t - window_us, t], window_us >= 1: t - window_us + 1,
// or INT64_MIN when that lies before the earliest representable time (no lower bound).
inline int64_t WindowFirstTime(int64_t t, int64_t window_us) {
  int64_t first = 0;
  return __builtin_sub_overflow(t, window_us - 1, &first) ? std::numeric_limits<int64_t>::min()
                                                           : first;
}

struct WindowSpec {
  std::vector<std::string> key_columns;
  std::string ts_column;
  std::string created_column;  // may be empty
  std::vector<std::string> columns;  // aggregated columns (AggRequest::column indexes these)
  std::vector<std::shared_ptr<arrow::DataType>> types;
  std::vector<transform::AggRequest> requests;
};

// The events a key's windows read, gathered from `files` and sorted by (keys, ts, created,
// seq), restricted to event times in [min_ts, max_ts].
struct KeyedEvents {
  KeyColumns keys;
  std::vector<int64_t> ts;
  std::vector<RowOrder> orders;  // each event's place in the tie order (ts, created, seq)
  std::vector<std::shared_ptr<arrow::Array>> columns;
};

// The keys of rows [first, last] of `keys` (sorted, no nulls): the events a pass loads.
struct KeyRange {
  const KeyColumns* keys = nullptr;
  int64_t first = 0;
  int64_t last = 0;
};

// `orders` false leaves KeyedEvents::orders empty (windows need only the order itself).
// `range` non-null: only the events of its keys, read from the row groups whose statistics
// allow them.
Result<KeyedEvents> LoadKeyedEvents(const std::vector<PartRef>& files, const WindowSpec& spec,
                                    int64_t min_ts, int64_t max_ts, int threads, bool orders,
                                    const KeyRange* range = nullptr);

// One array per request, one row per entity row in input order. Entity rows with a null key
// see an empty window. `memory_limit` > 0: the estimated bytes of events held at once, by
// passes over key ranges (header comment); 0: one pass.
Result<std::vector<std::shared_ptr<arrow::Array>>> WindowJoinFiles(
    const std::vector<PartRef>& files, const std::vector<std::shared_ptr<arrow::Array>>& entity_keys,
    const std::vector<int64_t>& entity_ts, const WindowSpec& spec, int threads,
    int64_t memory_limit = 0);

}  // namespace fst::offline
