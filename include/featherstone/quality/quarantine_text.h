// Quarantined rows keep every source column as text (binary for bytes), so a row that failed
// for any reason can be stored and shown; replay reads the text back as the declared type.
#pragma once

#include <memory>

#include <arrow/array.h>

#include "featherstone/core/status.h"
#include "featherstone/core/types.h"

namespace fst::quality {

// `array` (of core::ToArrowType(type)) as text: numbers and bools as Arrow casts them,
// timestamps ISO-8601 UTC with microseconds when not whole seconds, dates YYYY-MM-DD, lists
// as JSON arrays, strings unchanged; bytes stay binary. Nulls stay null.
Result<std::shared_ptr<arrow::Array>> ToText(const std::shared_ptr<arrow::Array>& array);

// The inverse of ToText for a column declared as `spec`. Errors: Invalid naming the column,
// the value and the type when a text does not read as the type (a narrowed schema).
Result<std::shared_ptr<arrow::Array>> FromText(const std::shared_ptr<arrow::Array>& text,
                                               const core::ColumnSpec& spec);

}  // namespace fst::quality
