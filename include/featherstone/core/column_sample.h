// What a sample of a column says about its values, for choosing how to store it.
#pragma once

#include <arrow/chunked_array.h>

namespace fst::core {

// Whether most values of a strided sample (about 4,096 rows) of an integer or temporal
// `column` differ: ids, times, counters, amounts. A Parquet dictionary of such a column would
// hold nearly every value of a row group, cost a hash per value and save nothing. False for
// other types.
bool MostlyDistinct(const arrow::ChunkedArray& column);

}  // namespace fst::core
