// Internal: one Arrow value as JSON for online responses (timestamps ISO-8601 UTC, dates
// YYYY-MM-DD, lists as arrays, bytes as strings).
#pragma once

#include <cstdint>

#include <arrow/array.h>
#include <nlohmann/json.hpp>

namespace fst::pipeline {

nlohmann::ordered_json ArrayValueToJson(const arrow::Array& array, int64_t i);

}  // namespace fst::pipeline
