#include "featherstone/features/online_plan.h"

#include <algorithm>

namespace fst::features {
namespace {

size_t IndexIn(const std::vector<std::string>& names, const std::string& name) {
  return static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

}  // namespace

Result<OnlineViewPlan> PlanOnline(const definitions::Repo& repo, const std::string& view,
                                  const std::vector<std::string>& features) {
  OnlineViewPlan plan;
  FST_ASSIGN_OR_RAISE(plan.stored, PlanView(repo, view, {}));
  if (!plan.stored.view->online) {
    return Status::Invalid("feature view '", view, "' is not online (online: false)");
  }
  FST_ASSIGN_OR_RAISE(plan.requested, PlanView(repo, view, features));
  // The requested plan's columns are among the stored plan's: it plans a subset of features.
  for (const auto& column : plan.requested.latest_columns) {
    plan.latest_index.push_back(IndexIn(plan.stored.latest_columns, column));
  }
  for (const auto& agg : plan.requested.aggregations) {
    transform::AggRequest request = agg.request;
    if (request.column >= 0) {
      request.column = static_cast<int>(IndexIn(
          plan.stored.agg_columns, plan.requested.agg_columns[static_cast<size_t>(request.column)]));
    }
    plan.agg_requests.push_back(request);
  }
  const auto sources = ExpressionInputs(plan.requested);
  for (const auto& expr : plan.requested.expressions) {
    std::map<std::string, core::ValueType> types;
    std::vector<ValueRef> inputs;
    for (const auto& name : expr.expression->Names()) {
      const ValueRef& ref = sources.at(name);
      types[name] = TypeOf(plan.requested, ref);
      inputs.push_back(ref);
    }
    FST_ASSIGN_OR_RAISE(auto row, transform::RowExpression::Make(*expr.expression, types));
    plan.expressions.push_back(std::move(row));
    plan.expression_inputs.push_back(std::move(inputs));
  }
  return plan;
}

}  // namespace fst::features
