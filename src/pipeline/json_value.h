// Internal: values of online responses (timestamps ISO-8601 UTC, dates YYYY-MM-DD, lists as
// lists, bytes as strings) from Arrow arrays or decoded values, and as JSON.
#pragma once

#include <cstdint>

#include <arrow/array.h>
#include <nlohmann/json.hpp>

#include "featherstone/online/row_codec.h"
#include "featherstone/pipeline/online_lookup.h"

namespace fst::pipeline {

// Row `i` of `array` as an online response value.
OnlineValue ArrayValue(const arrow::Array& array, int64_t i);

// A decoded value of `type` (integers, timestamps in µs, dates in days, floats, bytes, lists)
// as an online response value.
OnlineValue FormatValue(core::ValueType type, online::Value value);

nlohmann::ordered_json ToJson(const OnlineValue& value);

// One object per row: column name -> value, in column order.
nlohmann::ordered_json ToJson(const OnlineRows& rows);

// ToJson(ArrayValue(array, i)).
nlohmann::ordered_json ArrayValueToJson(const arrow::Array& array, int64_t i);

}  // namespace fst::pipeline
