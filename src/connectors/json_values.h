// Conversion of parsed JSON values to declared value types, for JSONL input and for list
// values written as JSON text. Internal to src/connectors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <arrow/array/builder_base.h>

#include "featherstone/core/status.h"
#include "featherstone/core/types.h"
#include "json_document.h"

namespace fst::connectors::internal {

// Appends `value` converted to spec.type to `builder`, which arrow::MakeBuilder made for
// core::ToArrowType(spec.type). Strings parse as CSV text does (blank text is null for typed
// targets); integers become epoch timestamps by magnitude; objects and arrays become JSON text
// in string columns; arrays fill list columns. JSON null appends null whatever `spec` says:
// the caller checks nullability. `row` (1-based) is for messages.
// Errors: Invalid from ValueError naming `file`, `row`, spec.name and the value.
Status AppendJsonValue(JsonValue value, const core::ColumnSpec& spec, std::string_view file,
                       int64_t row, arrow::ArrayBuilder* builder);

}  // namespace fst::connectors::internal
