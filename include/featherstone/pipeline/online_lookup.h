// Online feature lookup for a list of entities.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/pipeline/repo_context.h"

namespace fst::pipeline {

// One entity: (join key, value as text) pairs.
using EntityKeyText = std::vector<std::pair<std::string, std::string>>;

// A JSON array with one object per entity: its join keys (typed), then the features in the
// order requested (null when
// missing or when the stored row is older than the view's ttl at time `at`).
// On-demand features are computed from the stored features they read and `requests`: one list
// of (request field, value as text) pairs per entity (may be empty when no on-demand feature is
// requested); their days_since measures to `at`.
// Errors: Invalid for a missing or unexpected join key or request field, or a value of the
// wrong type.
Result<nlohmann::ordered_json> GetOnlineFeatures(RepoContext& repo,
                                         const std::vector<definitions::FeatureRef>& refs,
                                         const std::vector<EntityKeyText>& entities, int64_t at,
                                         bool full_feature_names,
                                         const std::vector<EntityKeyText>& requests = {});

// One value of an online response, as the JSON holds it: null, a bool, an integer, a float
// (float32 widened), a string (timestamps ISO-8601 UTC, dates YYYY-MM-DD, bytes as stored) or
// a list.
using OnlineValue = std::variant<std::monostate, bool, int64_t, double, std::string,
                                 std::vector<float>, std::vector<std::string>>;

// Online features without JSON: the column names (the join keys, then the features in the
// order requested, named as GetOnlineFeatures names them) and one row of values per entity.
struct OnlineRows {
  std::vector<std::string> columns;
  std::vector<std::vector<OnlineValue>> rows;
};

// The stored features GetOnlineFeatures returns, as typed values, computed straight from the
// stored rows: latest values decoded into scalars, windowed aggregations by
// transform::AggregateOne, expressions by transform::RowExpression, plans from the context's
// plan cache. Not thread-safe (the context is not). Errors: those of GetOnlineFeatures;
// Invalid for an on-demand feature (those need request values: GetOnlineFeatures).
Result<OnlineRows> GetOnlineRows(RepoContext& repo,
                                 const std::vector<definitions::FeatureRef>& refs,
                                 const std::vector<EntityKeyText>& entities, int64_t at,
                                 bool full_feature_names);

}  // namespace fst::pipeline
