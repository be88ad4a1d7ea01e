#include "featherstone/pipeline/check_features.h"

#include "view_plan.h"

namespace fst::pipeline {

Status CheckFeatures(const definitions::Repo& repo) {
  std::string problems;
  for (const auto& view : repo.feature_views) {
    for (const auto& feature : view.features) {
      auto plan = PlanView(repo, view.name, {feature.name});
      if (plan.ok()) continue;
      if (!problems.empty()) problems += "\n";
      const std::string where = feature.location.ToString();
      problems += (where.empty() ? "" : where + ": ") + plan.status().message();
    }
  }
  if (problems.empty()) return Status::OK();
  return Status::Invalid(problems);
}

}  // namespace fst::pipeline
