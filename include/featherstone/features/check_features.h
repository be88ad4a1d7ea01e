// Plan-time checks of feature definitions that need the engine: expressions (of feature views
// and of on-demand feature views) parse and type-check, aggregations apply to their columns,
// expression dependencies have no cycle.
#pragma once

#include "featherstone/definitions/model.h"

namespace fst::features {

// Plans every feature of every view (stored and on-demand) of `repo`. Errors: Invalid, one
// line per problem, each "file:line:column: feature 'view:feature': message" where the
// location is known.
Status CheckFeatures(const definitions::Repo& repo);

}  // namespace fst::features
