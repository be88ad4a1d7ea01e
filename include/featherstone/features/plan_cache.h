// Internal: plans derived from the applied definitions, kept by a RepoContext. The context
// loads the applied definitions once and never reloads them, so a plan made from them stays
// valid as long as the context lives; a context opened after `apply` starts with an empty
// cache. Not thread-safe, like the context.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "featherstone/features/online_plan.h"

namespace fst::features {

class PlanCache {
 public:
  // PlanOnline(repo, view, features), made on the first call for (view, features); `repo` must
  // be the context's applied definitions. Errors: those of PlanOnline (not cached).
  Result<const OnlineViewPlan*> Online(const definitions::Repo& repo, const std::string& view,
                                       const std::vector<std::string>& features);

 private:
  std::map<std::string, std::unique_ptr<const OnlineViewPlan>> online_;  // by view \0 features
};

}  // namespace fst::features
