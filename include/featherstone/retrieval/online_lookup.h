// Online features for a list of entities: the one online read path, used by every front-end
// (CLI `online`, Python get_online_features, HTTP /get-online-features).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "featherstone/repo/repo_context.h"

namespace fst::retrieval {

// One entity: (join key, value as text) pairs. Also a request: (request field, value as text).
using EntityKeyText = std::vector<std::pair<std::string, std::string>>;

// One value of an online response: null, a bool, an integer, a float (float32 widened), a
// string (timestamps ISO-8601 UTC, dates YYYY-MM-DD, bytes as stored) or a list.
using OnlineValue = std::variant<std::monostate, bool, int64_t, double, std::string,
                                 std::vector<float>, std::vector<std::string>>;

// Why a feature value is what it is (Feast's FieldStatus names).
enum class FeatureStatus {
  kPresent,        // computed from the entity's stored row
  kNotFound,       // the entity has no stored row in the feature's view
  kOutsideMaxAge,  // the stored row is older than the view's ttl at the lookup time (null)
};

// "PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE".
const char* FeatureStatusName(FeatureStatus status);

// The response: the join keys, then the features in the order requested (named `feature`, or
// `view__feature` with full_feature_names), one row per entity in input order.
struct OnlineRows {
  std::vector<std::string> columns;
  std::vector<core::ValueType> types;  // per column
  size_t key_columns = 0;              // the first key_columns columns are join keys
  std::vector<std::vector<OnlineValue>> rows;
  std::vector<std::vector<FeatureStatus>> statuses;  // per row and column (keys: kPresent)
  // Per row and column: the event time (µs) of the stored row a value came from; 0 when none.
  std::vector<std::vector<int64_t>> event_ts;
};

// Computes `refs` for `entities` at time `at` from the online store: latest-row values (null
// when absent or older than the view's ttl), windowed aggregations over the stored events
// (exact at `at`), expressions, then on-demand features from `requests` (one list of
// (request field, value as text) per entity; empty when no on-demand feature is requested;
// their days_since measures to `at`). Plans come from the context's plan cache. Not
// thread-safe (the context is not).
// Errors: Invalid for a missing or unexpected join key or request field, a value of the wrong
// type, or a view that is not online; KeyError for unknown features.
Result<OnlineRows> GetOnlineFeatures(repo::RepoContext& repo,
                                     const std::vector<definitions::FeatureRef>& refs,
                                     const std::vector<EntityKeyText>& entities, int64_t at,
                                     bool full_feature_names,
                                     const std::vector<EntityKeyText>& requests = {});

}  // namespace fst::retrieval
