// The JSON form of online responses, shared by the front-ends that speak JSON (CLI, HTTP).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <arrow/array.h>
#include <nlohmann/json.hpp>

#include "featherstone/retrieval/online_lookup.h"

namespace fst::retrieval {

// null, true/false, a number, a string or an array.
nlohmann::ordered_json ToJson(const OnlineValue& value);

// Appends the compact text of ToJson(value) to `out` (the bytes of its dump(), invalid UTF-8
// replaced); null, booleans, integers and plain strings without building a JSON value, as a
// response of many values needs.
void AppendJson(const OnlineValue& value, std::string* out);
// Appends `text` as a JSON string, as AppendJson does a string value.
void AppendJsonString(std::string_view text, std::string* out);

// Row `i` of `array` (a training-set column) as an online response writes the same value:
// so a served value and a recomputed one compare as JSON.
nlohmann::ordered_json ToJson(const arrow::Array& array, int64_t i);

// A JSON array with one object per row: column name -> value, in column order.
nlohmann::ordered_json ToJson(const OnlineRows& rows);

}  // namespace fst::retrieval
