// Windowed aggregations (DESIGN section 3): for a query at time t over window w, the events
// with t - w < ts <= t. One implementation serves training sets (many queries per key),
// materialization and online reads (one query over an entity's stored events).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <arrow/array.h>

#include "featherstone/core/types.h"

namespace fst::transform {

enum class AggFunction { kCount, kSum, kAvg, kMin, kMax, kStddev, kLast, kFirst, kCountDistinct };

// "count", "sum", ... Errors: Invalid naming the text and the accepted names.
Result<AggFunction> ParseAggFunction(std::string_view text);

// The result type of `fn` over a column of type `input` (`has_column` false: count of rows).
// count, count_distinct -> int64; sum -> int64 over integers, float64 otherwise; avg, stddev
// -> float64; min, max, last, first -> the input type; avg over list<float32> -> list<float32>
// (the element-wise mean). Errors: Invalid for sum/avg/stddev/min/max over a non-numeric,
// non-timestamp column (avg: unless list<float32>).
Result<core::ValueType> AggResultType(AggFunction fn, core::ValueType input, bool has_column);

struct AggRequest {
  AggFunction fn = AggFunction::kCount;
  int64_t window_us = 0;
  int column = -1;  // index into Events::columns; -1 = count of rows
};

// Events grouped by key, each group sorted by (ts, created, seq) — the PIT tie order, so
// "last" is the PIT winner among the non-null values.
struct Events {
  const int64_t* ts = nullptr;
  int64_t length = 0;
  std::vector<std::shared_ptr<arrow::Array>> columns;  // aggregated columns, `length` rows
};

// Queries of one key: events [event_begin, event_end) and queries [query_begin, query_end),
// the queries sorted by time.
struct QueryGroup {
  int64_t event_begin = 0;
  int64_t event_end = 0;
  int64_t query_begin = 0;
  int64_t query_end = 0;
};

// Values over a window (nulls skipped), where DESIGN section 3 leaves them open:
// - sum, avg, stddev over floats: as summed left to right. Any NaN, or both +inf and -inf,
//   gives NaN; else an infinity gives that infinity (stddev: NaN). Sum of integers: exact while
//   the window's sum fits in int64.
// - min, max: integers (int32, int64, timestamp, date) compare exactly; NaN is skipped, and a
//   window of only NaN gives NaN; of equal values (0 and -0 too) the earliest.
// - count_distinct: -0 equals 0, every NaN is one value, lists are equal when their items are.
// - a window start t - w below INT64_MIN leaves the window without a lower bound.
// - avg over list<float32>: item k is the mean of item k of the window's vectors, summed in
//   double in event order, divided by their count and rounded to the nearest float32 once;
//   null when the window has no vector or its vectors differ in length.

// One array per request with one value per query (queries not in any group get the empty-
// window value: 0 for count/count_distinct, null otherwise). Sliding two-pointer windows per
// group, one slide per (window, column) computing all of its requests: O(events + queries)
// per slide (count_distinct: expected, hashing; last, first and avg of vectors rescan the
// window at each query). threads > 1: the groups split over two threads.
Result<std::vector<std::shared_ptr<arrow::Array>>> AggregateWindows(
    const Events& events, const std::vector<QueryGroup>& groups, const int64_t* query_ts,
    int64_t num_queries, const std::vector<AggRequest>& requests, int threads = 1);

// One value of AggregateOne: null, an integer (count, count_distinct, sum of integers), a float
// (sum, avg, stddev), the index of the event whose value it is (min, max, last, first) or a
// vector (avg over list<float32>).
struct AggValue {
  enum class Kind { kNull, kInt, kFloat, kEvent, kVector };
  Kind kind = Kind::kNull;
  int64_t int_value = 0;  // kInt: the value; kEvent: the event index
  double float_value = 0;
  std::vector<float> vector_value;
};

// The values of AggregateWindows for one query at time `t` over all of `events` (one key's),
// one per request, without building result arrays: online reads of a single entity.
Result<std::vector<AggValue>> AggregateOne(const Events& events, int64_t t,
                                           const std::vector<AggRequest>& requests);

}  // namespace fst::transform
