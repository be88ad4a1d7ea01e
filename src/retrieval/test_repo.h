// Test support for retrieval tests: the applied repo of src/repo/test_repo.h and values as
// GetOnlineFeatures's JSON shows them.
#pragma once

#include "../repo/test_repo.h"
#include "featherstone/retrieval/online_json.h"
#include "online_values.h"

namespace fst::retrieval {

// Row `i` of `array` as GetOnlineFeatures's JSON shows it.
inline nlohmann::ordered_json ArrayValueToJson(const arrow::Array& array, int64_t i) {
  const auto id = array.type_id();
  const auto type = id == arrow::Type::TIMESTAMP ? core::ValueType::kTimestamp
                    : id == arrow::Type::DATE32  ? core::ValueType::kDate
                                                 : core::ValueType::kString;
  return ToJson(FormatValue(type, ArrayValue(array, i)));
}

using repo::RepoTest;

}  // namespace fst::retrieval
