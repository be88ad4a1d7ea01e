// Compact binary encoding of one feature row: format byte, event time (int64 µs), then per
// value column a null flag and the value (fixed-width little-endian numbers; varint length +
// bytes for strings; varint count + items for lists). docs/impl.md "Online encoding".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/array.h>
#include <nlohmann/json.hpp>

#include "featherstone/core/types.h"

namespace fst::online {

// Appends the encoding of row `i` of `columns` (of the declared `types`) to `out`.
// Precondition: column types are core::ToArrowType(types[c]).
void EncodeRow(int64_t event_ts, const std::vector<std::shared_ptr<arrow::Array>>& columns,
               const std::vector<core::ValueType>& types, int64_t i, std::string* out);

struct DecodedRow {
  int64_t event_ts = 0;
  std::vector<nlohmann::json> values;  // null, bool, number or string (timestamps ISO-8601)
};

// Decodes a row written by EncodeRow with the same `types`.
// Errors: Invalid when the bytes are truncated or of an unknown format.
Result<DecodedRow> DecodeRow(std::string_view bytes, const std::vector<core::ValueType>& types);

}  // namespace fst::online
