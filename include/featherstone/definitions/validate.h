// Cross-object validation of a Repo.
#pragma once

#include "featherstone/definitions/model.h"

namespace fst::definitions {

// Checks, each error naming the definition's file:line: duplicate names (per kind, and a
// feature name twice in a view); dangling entity/source/view/feature references; join keys,
// timestamp fields and passthrough/aggregated columns that the source's schema lacks; a
// timestamp field whose type is not timestamp; a schema column declared twice; unknown agg
// names; a window missing or zero on an aggregation; for on-demand feature views, a name taken
// by a feature view, request fields declared twice or of list type, sources that are not
// feature views (with a "did you mean"), and features without an expression or named like a
// request field. A view may read the feature log of a declared service (`SERVICE__log`,
// log_source_name.h), which is not among the declared sources: its columns are checked at plan,
// once the log's source is made (features::WithLogSources). All problems are reported, one per
// line.
Status Validate(const Repo& repo);

}  // namespace fst::definitions
