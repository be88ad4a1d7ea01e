// Internal to src/retrieval: the stored-feature half of GetOnlineFeatures and the conversions
// between Arrow arrays and online values that the on-demand half needs.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/array.h>

#include "featherstone/online/row_codec.h"
#include "featherstone/retrieval/online_lookup.h"

namespace fst::retrieval {

// The stored features of `refs` (none on-demand) for `entities` at `at`, computed entity by
// entity from the stored rows, with raw values: timestamps as µs and dates as days (int64),
// formatted by FormatValue afterwards. Columns: every join key of the views, then the features
// grouped by view. Errors: those of GetOnlineFeatures; Invalid for an on-demand feature.
Result<OnlineRows> ReadStoredRows(repo::RepoContext& repo,
                                  const std::vector<definitions::FeatureRef>& refs,
                                  const std::vector<EntityKeyText>& entities, int64_t at,
                                  bool full_feature_names);

// Row `i` of `array` as a raw online value (timestamps µs, dates days).
OnlineValue ArrayValue(const arrow::Array& array, int64_t i);

// A raw value of `type` as users see it: timestamps ISO-8601 UTC, dates YYYY-MM-DD; other
// values unchanged.
OnlineValue FormatValue(core::ValueType type, OnlineValue value);

// Raw values of `type` as an Arrow array of core::ToArrowType(type).
// Errors: Invalid for list<string> (no expression reads it).
Result<std::shared_ptr<arrow::Array>> ValuesToArray(core::ValueType type,
                                                    const std::vector<const OnlineValue*>& values);

}  // namespace fst::retrieval
