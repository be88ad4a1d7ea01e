// Checks `plan` and `apply` run on new definitions beyond their own validation: source schema
// evolution against the applied definitions and data, and contract rules that only the
// quality engine can compile (regular expressions).
#pragma once

#include "featherstone/definitions/model.h"
#include "featherstone/definitions/schema_evolution.h"
#include "featherstone/pipeline/repo_context.h"

namespace fst::pipeline {

// definitions::CheckSchemaEvolution between the registry's current definitions (none before
// the first apply) and `desired`; a source has data when it has published files.
// Errors: IOError from the registry.
Result<definitions::EvolutionCheck> CheckEvolution(RepoContext& repo,
                                                   const definitions::Repo& desired);

// Compiles every contract of `desired`. Errors: Invalid naming the source and rule (a bad
// regex), one line per problem.
Status CheckContracts(const definitions::Repo& desired);

}  // namespace fst::pipeline
