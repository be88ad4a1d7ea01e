// Value types of the definitions format (DESIGN section 2) and their Arrow equivalents.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/type_fwd.h>

#include "featherstone/core/status.h"

namespace fst::core {

enum class ValueType {
  kBool,
  kInt32,
  kInt64,
  kFloat32,
  kFloat64,
  kString,
  kBytes,
  kTimestamp,  // UTC, microseconds
  kDate,
  kListFloat32,
  kListString,
};

// Parses a type name as written in YAML ("int64", "list<float32>", ...).
// Errors: Invalid naming the text and the accepted names.
Result<ValueType> ParseValueType(std::string_view text);

// The YAML spelling of `type`.
std::string_view ValueTypeName(ValueType type);

// The Arrow type values of `type` are stored as (timestamp: timestamp[us, UTC]).
std::shared_ptr<arrow::DataType> ToArrowType(ValueType type);

// One declared column of a source.
struct ColumnSpec {
  std::string name;
  ValueType type = ValueType::kString;
  bool nullable = true;
  std::string path;  // dotted JSON path for nested input; empty = `name`
  int32_t dim = 0;   // list<float32> only (required there, > 0): items in every value
};

using Schema = std::vector<ColumnSpec>;

// The column named `name`, or nullptr.
const ColumnSpec* FindColumn(const Schema& schema, std::string_view name);

}  // namespace fst::core
