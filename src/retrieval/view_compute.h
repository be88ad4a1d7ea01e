// Internal to src/retrieval: a feature view's planned features computed from the offline
// store (the point-in-time join for latest-row columns, the window join for aggregations, then
// the expressions), shared by training sets and materialization so both compute the same values.
#pragma once

#include <memory>
#include <vector>

#include <arrow/array.h>

#include "featherstone/features/view_plan.h"
#include "featherstone/offline/historical_join.h"
#include "featherstone/offline/window_join.h"
#include "featherstone/repo/repo_context.h"

namespace fst::retrieval {

using features::ViewPlan;

// The published part files of the plan's source, with absolute paths; with `known_at` > 0,
// only the rows of ingests published at or before that time (µs): files of later ingests are
// left out, and a compacted file's rows of later ingests through PartRef::excluded_ingests.
Result<std::vector<offline::PartRef>> PartRefs(repo::RepoContext& repo,
                                               const features::ViewPlan& plan,
                                               int64_t known_at = 0);

// The PIT join spec for the plan's latest-row columns, with the given window.
offline::PitSpec MakePitSpec(const features::ViewPlan& plan, const offline::PitWindow& window);

// The window-join spec for the plan's aggregations.
offline::WindowSpec MakeWindowSpec(const features::ViewPlan& plan);

// The requested features of `plan` for entity rows (`keys`, `times`), in input order: the
// point-in-time join for latest-row columns, the window join for aggregations, then the
// expressions. The one computation behind training sets and materialization. `event_limit` > 0:
// the window join's estimated bytes of events at once (WindowJoinFiles).
Result<std::vector<std::shared_ptr<arrow::Array>>> ComputeView(
    const features::ViewPlan& plan, const std::vector<offline::PartRef>& files,
    const std::vector<std::shared_ptr<arrow::Array>>& keys, const std::vector<int64_t>& times,
    int threads, int64_t event_limit);

}  // namespace fst::retrieval
