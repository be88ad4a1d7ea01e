// `plan` and `apply`: what applying new definitions would change, and applying them — the
// checks beyond their own validation (backends, feature plans, contract rules only the quality
// engine can compile, schema evolution against the applied definitions and their data) in one
// place for every front-end.
#pragma once

#include <string>
#include <vector>

#include "featherstone/definitions/model.h"
#include "featherstone/registry/registry.h"
#include "featherstone/repo/repo_context.h"

namespace fst::repo {

struct PlanResult {
  std::vector<registry::Change> changes;  // added (+), changed (~), removed (-) objects
  std::vector<std::string> notes;         // accepted schema changes worth knowing
  // Plan only: Invalid listing the schema changes apply would refuse (OK when none); a front-end
  // shows the changes, then reports this as the outcome.
  Status refused;
};

// Plans (`apply` false) or applies `desired` to the registry of `repo`, in one transaction.
// A context caches the applied definitions: open a new one to read what was just applied.
// Errors: Invalid from CheckBackends, the feature checks ("feature 'v:f': ...") and contract
// rules, one line per problem; with `apply`, Invalid "schema change refused ..." (nothing
// applied); IOError from the registry.
Result<PlanResult> PlanApply(RepoContext& repo, const definitions::Repo& desired, bool apply);

}  // namespace fst::repo
