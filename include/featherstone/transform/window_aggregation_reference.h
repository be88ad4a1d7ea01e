// The slow, obviously-correct reference that AggregateWindows is tested against: every query
// scans its group's events and computes each function from its definition (DESIGN section 3).
// It shares no code with the sliding implementation, so a test comparing the two can catch a
// bug in either. For tests.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/array.h>

#include "featherstone/transform/window_aggregation.h"

namespace fst::transform {

// The contract of AggregateWindows (single-threaded), in O(events x queries) per request.
// Result types are AggResultType's (min, max, last, first keep the column's own Arrow type).
// Errors: Invalid for a column index out of range, a group outside the events or queries, a
// function other than count without a column, or a function the column's type does not allow.
Result<std::vector<std::shared_ptr<arrow::Array>>> AggregateWindowsReference(
    const Events& events, const std::vector<QueryGroup>& groups, const int64_t* query_ts,
    int64_t num_queries, const std::vector<AggRequest>& requests);

}  // namespace fst::transform
