// Internal: how to compute requested features of one online view from its stored rows, made
// once per RepoContext (plan_cache.h) and used by GetOnlineRows. The stored rows follow the
// plan of all the view's features (materialize.cc); the requested features are computed from
// the stored values they need, with the same plan as training sets.
#pragma once

#include <string>
#include <vector>

#include "featherstone/definitions/model.h"
#include "featherstone/transform/expression.h"
#include "featherstone/transform/window_aggregation.h"
#include "featherstone/features/view_plan.h"

namespace fst::features {

struct OnlineViewPlan {
  ViewPlan stored;     // all features: the stored layout
  ViewPlan requested;  // the requested features and what they depend on
  // requested.latest_columns[i] is stored.latest_columns[latest_index[i]].
  std::vector<size_t> latest_index;
  // requested.aggregations' requests, with columns indexing stored.agg_columns.
  std::vector<transform::AggRequest> agg_requests;
  // requested.expressions typed for row-at-a-time evaluation, and per expression where the
  // value of each of its Names() is.
  std::vector<transform::RowExpression> expressions;
  std::vector<std::vector<ValueRef>> expression_inputs;
};

// Plans `features` of view `view` for online reads. Errors: those of PlanView; Invalid when
// the view is not online.
Result<OnlineViewPlan> PlanOnline(const definitions::Repo& repo, const std::string& view,
                                  const std::vector<std::string>& features);

}  // namespace fst::features
