// Keeps the online store current for the views of one source after rows were appended to it
// (a stream's micro-batch, a push): the same materialization as `materialize --incremental`,
// up to the latest event time of the source, so online reads equal the offline PIT values.
#pragma once

#include <string>
#include <vector>

#include "featherstone/retrieval/materialize.h"

namespace fst::retrieval {

// Materializes every online view reading `source` incrementally, each up to the later of its
// watermark and the latest event time among the source's published files. Keys with rows from
// ingests the view has not seen are recomputed exactly over all stored rows (late events
// included); a read at any time at or after that end sees what `historical` gives.
// Errors: those of Materialize.
Result<std::vector<ViewMaterialized>> RefreshOnline(repo::RepoContext& repo,
                                                    const std::string& source);

}  // namespace fst::retrieval
