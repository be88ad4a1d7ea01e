// Online feature lookup for a list of entities.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
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

}  // namespace fst::pipeline
