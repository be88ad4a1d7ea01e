#include "featherstone/features/check_features.h"

#include "featherstone/features/on_demand.h"
#include "featherstone/features/view_plan.h"

namespace fst::features {

Status CheckFeatures(const definitions::Repo& repo) {
  std::string problems;
  auto add = [&](const definitions::Feature& feature, const Status& status) {
    if (status.ok()) return;
    if (!problems.empty()) problems += "\n";
    const std::string where = feature.location.ToString();
    problems += (where.empty() ? "" : where + ": ") + status.message();
  };
  for (const auto& view : repo.feature_views) {
    for (const auto& feature : view.features) {
      add(feature, PlanView(repo, view.name, {feature.name}).status());
    }
  }
  for (const auto& view : repo.on_demand_feature_views) {
    for (const auto& feature : view.features) {
      add(feature, PlanOnDemand(repo, {{view.name, feature.name}}).status());
    }
  }
  if (problems.empty()) return Status::OK();
  return Status::Invalid(problems);
}

}  // namespace fst::features
