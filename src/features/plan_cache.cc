#include "featherstone/features/plan_cache.h"

namespace fst::features {

Result<const OnlineViewPlan*> PlanCache::Online(const definitions::Repo& repo,
                                                const std::string& view,
                                                const std::vector<std::string>& features) {
  std::string key = view;
  for (const auto& feature : features) {
    key.push_back('\0');
    key += feature;
  }
  auto it = online_.find(key);
  if (it == online_.end()) {
    FST_ASSIGN_OR_RAISE(auto plan, PlanOnline(repo, view, features));
    it = online_.emplace(std::move(key), std::make_unique<const OnlineViewPlan>(std::move(plan)))
             .first;
  }
  return it->second.get();
}

}  // namespace fst::features
