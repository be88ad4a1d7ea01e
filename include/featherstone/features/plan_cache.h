// Internal: plans derived from the applied definitions, kept by a RepoContext. The context
// replaces its cache whenever it reloads the definitions (RepoContext::ReloadIfApplied,
// UseDefinitions), so a plan is valid until then. Not thread-safe, like the context.
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
