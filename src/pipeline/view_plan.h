// Internal: what a feature view needs from its source for a set of its features.
#pragma once

#include <string>
#include <vector>

#include "featherstone/definitions/model.h"
#include "featherstone/offline/historical_join.h"
#include "featherstone/pipeline/repo_context.h"

namespace fst::pipeline {

struct ViewPlan {
  const definitions::FeatureView* view = nullptr;
  const definitions::Source* source = nullptr;
  std::vector<std::string> join_keys;
  std::vector<core::ValueType> key_types;
  std::vector<std::string> features;      // requested feature names
  std::vector<std::string> columns;       // the source column of each
  std::vector<core::ValueType> column_types;
};

// Plans `feature_names` of view `view_name` (all features when empty).
// Errors: KeyError naming an unknown view or feature (and the known ones); NotImplemented for
// expression and aggregation features.
Result<ViewPlan> PlanView(const definitions::Repo& repo, const std::string& view_name,
                          const std::vector<std::string>& feature_names);

// The published part files of the plan's source, with absolute paths.
Result<std::vector<offline::PartRef>> PartRefs(RepoContext& repo, const ViewPlan& plan);

// The join spec for the plan, with the given window.
offline::PitSpec MakePitSpec(const ViewPlan& plan, const offline::PitWindow& window);

// One array holding all chunks of `column` (an empty array when it has none).
Result<std::shared_ptr<arrow::Array>> Flatten(const arrow::ChunkedArray& column);

// "a, b, c" of names, for error messages.
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace fst::pipeline
