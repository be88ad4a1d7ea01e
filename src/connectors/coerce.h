// Conversion of raw input columns and values to declared value types, shared by the file
// connectors. Internal to src/connectors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <arrow/array.h>

#include "featherstone/core/status.h"
#include "featherstone/core/types.h"

namespace fst::connectors::internal {

// Converts `input` to core::ToArrowType(spec.type). Accepts strings and binary (parsed; empty or
// blank text is null for non-text targets), integers of any width, floating point, bool,
// timestamps of any unit and zone (to UTC µs; naive ones are taken as UTC), date32/date64,
// dictionary-encoded values, null columns, lists, JSON array text for list types, and what
// Arrow's checked casts convert (decimals). `first_row` is the 0-based data row of element 0,
// for messages.
// Errors: Invalid "FILE: row N, column 'C': value 'V' is not a valid TYPE", "FILE: row N,
// column 'C': null in a non-nullable column", or "FILE: column 'C': cannot read T as TYPE".
Result<std::shared_ptr<arrow::Array>> CoerceColumn(const arrow::Array& input,
                                                   const core::ColumnSpec& spec,
                                                   std::string_view file, int64_t first_row);

// Text parsers, also used on JSON values. Surrounding blanks are allowed; each returns false
// when `text` is not a valid value of its type.
// Bool: true/false/1/0/yes/no, case-insensitive.
bool ParseBoolText(std::string_view text, bool* out);
// Decimal integer with optional sign.
bool ParseInt64Text(std::string_view text, int64_t* out);
// Decimal or scientific notation, nan, inf.
bool ParseDoubleText(std::string_view text, double* out);
bool ParseFloatText(std::string_view text, float* out);
// ISO-8601 date or timestamp (the UTC day of it); bare integers are refused as ambiguous.
bool ParseDateText(std::string_view text, int32_t* days);

// Whether `text` is decimal digits with an optional sign.
bool IsIntegerText(std::string_view text);

// Why `text`, refused by the parser for `type`, is invalid ("out of range", the accepted
// forms), or empty.
std::string_view InvalidTextDetail(core::ValueType type, std::string_view text);

// Days since the epoch of the UTC day holding `micros`.
int32_t MicrosToDays(int64_t micros);

// Text without leading/trailing spaces, tabs and line breaks.
std::string_view TrimBlanks(std::string_view text);

// How messages name a declared column: "column 'C'", or "column 'C' (path P)" when it is read
// from a nested path.
std::string ColumnLabel(const core::ColumnSpec& spec);

// Invalid "FILE: row N, COLUMN: value 'V' is not a valid TYPE[ (DETAIL)]", `row` 1-based,
// COLUMN as ColumnLabel writes it.
// Long values are shortened.
Status ValueError(std::string_view file, int64_t row, const core::ColumnSpec& spec,
                  std::string_view value, std::string_view detail = {});

// Invalid "FILE: row N, COLUMN: null in a non-nullable column", `row` 1-based.
Status NullError(std::string_view file, int64_t row, const core::ColumnSpec& spec);

// The error for the first null of `array` when `spec` is not nullable; OK otherwise.
Status CheckNullable(const arrow::Array& array, const core::ColumnSpec& spec, std::string_view file,
                     int64_t first_row);

// What is wrong with a list<float32> value of `count` items (`null_item`: one of them is null)
// for spec.dim: "expected 384 values, got 3", or "" when it fits (or spec.dim is 0).
std::string VectorProblem(const core::ColumnSpec& spec, int64_t count, bool null_item);

// The error for the first value of `array` (list<float32>) that VectorProblem finds wrong.
Status CheckDimension(const arrow::Array& array, const core::ColumnSpec& spec,
                      std::string_view file, int64_t first_row);

}  // namespace fst::connectors::internal
