// Declared columns that Arrow's CSV reader converts while it parses, with the text parsers
// of coerce.h, so that their text is read once and the values are those CoerceColumn gives.
// Arrow takes a parser of ours only for timestamp columns: such a column is read as a naive
// timestamp column whose unit picks the parser (one per declared type), and its 8-byte values
// are then relabelled with the declared type. Internal to src/connectors.
#pragma once

#include <memory>

#include <arrow/array.h>
#include <arrow/type_fwd.h>
#include <arrow/util/value_parsing.h>

#include "featherstone/core/types.h"

namespace fst::connectors::internal {

// The type Arrow reads a column declared `type` as, parsed by DirectParser(); nullptr when the
// column is read as text and coerced afterwards (every type but int64, float64, timestamp).
std::shared_ptr<arrow::DataType> DirectReadType(core::ValueType type);

// The parser for arrow::csv::ConvertOptions::timestamp_parsers behind DirectReadType. It gives
// the value CoerceColumn gives for the same text, and refuses what CoerceColumn refuses and
// blank text (which CoerceColumn makes null), so that a caller reads those rows again as text
// to have CoerceColumn's null or error. Thread-safe.
std::shared_ptr<arrow::TimestampParser> DirectParser();

// `array`, as read with DirectReadType(type), relabelled core::ToArrowType(type); zero-copy.
std::shared_ptr<arrow::Array> RelabelDirect(const arrow::Array& array, core::ValueType type);

}  // namespace fst::connectors::internal
