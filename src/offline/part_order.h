// The row order of a part file: ascending by (sort keys, event time, created time with nulls
// first, __seq), the tie order the point-in-time join relies on (DESIGN section 3). Internal to
// src/offline.
#pragma once

#include <memory>

#include <arrow/array.h>
#include <arrow/table.h>

#include "featherstone/core/status.h"
#include "featherstone/offline/part_file.h"

namespace fst::offline::internal {

struct Ordering {
  std::shared_ptr<arrow::UInt64Array> indices;  // `table`'s rows in part order
  // Per column of `table`: the column already in part order, or null. The compact sort hands
  // back its 64-bit ordering columns (int64, timestamp) so they need not be gathered again.
  arrow::ArrayVector sorted;
};

// `table`'s rows in part order. With at most one sort key and every ordering column integer or
// temporal (non-null keys and event times), the rows are sorted as one compact array of (key,
// time, created, seq, row) entries; otherwise by PartOrderByArrow.
// Errors: those of Arrow's sort (a missing column).
Result<Ordering> PartOrder(const arrow::Table& table, const PartLayout& layout);

// The same order by Arrow's SortIndices over the columns: any key types, and the reference the
// compact sort is tested against.
Result<std::shared_ptr<arrow::UInt64Array>> PartOrderByArrow(const arrow::Table& table,
                                                             const PartLayout& layout);

}  // namespace fst::offline::internal
