// The JSON form of online responses, shared by the front-ends that speak JSON (CLI, HTTP).
#pragma once

#include <nlohmann/json.hpp>

#include "featherstone/retrieval/online_lookup.h"

namespace fst::retrieval {

// null, true/false, a number, a string or an array.
nlohmann::ordered_json ToJson(const OnlineValue& value);

// A JSON array with one object per row: column name -> value, in column order.
nlohmann::ordered_json ToJson(const OnlineRows& rows);

}  // namespace fst::retrieval
