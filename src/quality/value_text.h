// Values of typed columns as text and JSON, for quarantine rows, reasons and result samples.
// Internal to src/quality.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <arrow/array.h>
#include <nlohmann/json.hpp>

#include "featherstone/core/status.h"

namespace fst::quality::internal {

// `array` as text that the connectors read back as the same value: numbers and bools as
// Arrow casts them, timestamps ISO-8601 UTC, dates YYYY-MM-DD, lists as JSON arrays; strings
// unchanged and binary kept binary. Nulls stay null.
Result<std::shared_ptr<arrow::Array>> ToTextArray(const std::shared_ptr<arrow::Array>& array);

// The value at `i` as JSON (null for a null; timestamps as ISO-8601 text).
nlohmann::json ValueJson(const arrow::Array& array, int64_t i);

// The value at `i` for messages: numbers bare, text quoted and shortened, "null".
std::string ValueText(const arrow::Array& array, int64_t i);

}  // namespace fst::quality::internal
