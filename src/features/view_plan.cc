#include "featherstone/features/view_plan.h"

#include <algorithm>
#include <map>

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/builder.h>

namespace fst::features {
namespace {

size_t IndexOf(std::vector<std::string>* names, std::vector<core::ValueType>* types,
               const std::string& name, core::ValueType type) {
  auto it = std::find(names->begin(), names->end(), name);
  if (it != names->end()) return static_cast<size_t>(it - names->begin());
  names->push_back(name);
  types->push_back(type);
  return names->size() - 1;
}

class Planner {
 public:
  Planner(const definitions::Repo& repo, ViewPlan* plan) : repo_(repo), plan_(plan) {}

  // Plans feature `name` (and what it depends on) once; returns where its value lives.
  Result<ValueRef> Feature(const std::string& name) {
    auto done = planned_.find(name);
    if (done != planned_.end()) return done->second;
    const definitions::Feature* feature = Find(name);
    if (feature == nullptr) return UnknownFeature(name);
    if (std::find(stack_.begin(), stack_.end(), name) != stack_.end()) {
      std::string cycle;
      for (auto it = std::find(stack_.begin(), stack_.end(), name); it != stack_.end(); ++it) {
        cycle += *it + " -> ";
      }
      return Status::Invalid("feature view '", plan_->view->name,
                             "': expressions depend on each other in a cycle: ", cycle, name);
    }
    stack_.push_back(name);
    auto ref = Plan(*feature);
    stack_.pop_back();
    if (ref.ok()) planned_.emplace(name, *ref);
    return ref;
  }

  core::ValueType TypeOf(const ValueRef& ref) const { return features::TypeOf(*plan_, ref); }

 private:
  const definitions::Feature* Find(const std::string& name) const {
    for (const auto& f : plan_->view->features) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }

  Status UnknownFeature(const std::string& name) const {
    std::vector<std::string> known;
    for (const auto& f : plan_->view->features) known.push_back(f.name);
    return Status::KeyError("feature view '", plan_->view->name, "' has no feature '", name,
                            "'; its features: ", JoinNames(known));
  }

  Result<const core::ColumnSpec*> Column(const definitions::Feature& f, const std::string& name) {
    const core::ColumnSpec* column = core::FindColumn(plan_->source->schema, name);
    if (column == nullptr) {
      return Status::Invalid("feature '", plan_->view->name, ":", f.name, "': source '",
                             plan_->source->name, "' has no column '", name, "'");
    }
    return column;
  }

  Result<ValueRef> Plan(const definitions::Feature& f) {
    const std::string where = "feature '" + plan_->view->name + ":" + f.name + "': ";
    switch (f.kind) {
      case definitions::FeatureKind::kPassthrough: {
        FST_ASSIGN_OR_RAISE(auto column, Column(f, f.column.empty() ? f.name : f.column));
        return ValueRef{ValueKind::kLatest, IndexOf(&plan_->latest_columns, &plan_->latest_types,
                                                    column->name, column->type)};
      }
      case definitions::FeatureKind::kAggregation: {
        AggregationPlan agg;
        agg.feature = f.name;
        auto fn = transform::ParseAggFunction(f.agg);
        if (!fn.ok()) return Status::Invalid(where, fn.status().message());
        agg.request.fn = *fn;
        agg.request.window_us = f.window_us;
        core::ValueType input = core::ValueType::kInt64;
        if (!f.column.empty()) {
          FST_ASSIGN_OR_RAISE(auto column, Column(f, f.column));
          input = column->type;
          agg.request.column = static_cast<int>(
              IndexOf(&plan_->agg_columns, &plan_->agg_types, column->name, column->type));
        }
        auto type = transform::AggResultType(*fn, input, !f.column.empty());
        if (!type.ok()) return Status::Invalid(where, type.status().message());
        agg.type = *type;
        plan_->max_window_us = std::max(plan_->max_window_us, f.window_us);
        plan_->aggregations.push_back(agg);
        return ValueRef{ValueKind::kAggregation, plan_->aggregations.size() - 1};
      }
      case definitions::FeatureKind::kExpression: {
        auto parsed = transform::Expression::Parse(f.expr);
        if (!parsed.ok()) return Status::Invalid(where, parsed.status().message());
        ExpressionPlan expr;
        expr.feature = f.name;
        expr.expression = std::make_shared<transform::Expression>(std::move(*parsed));
        std::map<std::string, core::ValueType> types;
        for (const auto& name : expr.expression->Names()) {
          if (Find(name) != nullptr) {
            FST_ASSIGN_OR_RAISE(auto ref, Feature(name));
            types[name] = TypeOf(ref);
          } else if (const auto* column = core::FindColumn(plan_->source->schema, name)) {
            IndexOf(&plan_->latest_columns, &plan_->latest_types, column->name, column->type);
            types[name] = column->type;
          }
        }
        auto type = expr.expression->Check(types);
        if (!type.ok()) return Status::Invalid(where, type.status().message());
        std::map<std::string, int32_t> dims;  // of the list<float32> names
        for (const auto& name : expr.expression->Names()) {
          const auto* column = core::FindColumn(plan_->source->schema, name);
          const int32_t dim = Find(name) != nullptr ? FeatureDimension(repo_, *plan_->view, name)
                              : column != nullptr   ? column->dim
                                                    : 0;
          if (dim > 0) dims[name] = dim;
        }
        auto dims_ok = expr.expression->CheckDimensions(dims);
        if (!dims_ok.ok()) return Status::Invalid(where, dims_ok.message());
        expr.type = *type;
        plan_->expressions.push_back(expr);
        return ValueRef{ValueKind::kExpression, plan_->expressions.size() - 1};
      }
    }
    return Status::Invalid(where, "unknown feature kind");
  }

  const definitions::Repo& repo_;
  ViewPlan* plan_;
  std::map<std::string, ValueRef> planned_;
  std::vector<std::string> stack_;
};

}  // namespace

core::ValueType TypeOf(const ViewPlan& plan, const ValueRef& ref) {
  switch (ref.kind) {
    case ValueKind::kLatest: return plan.latest_types[ref.index];
    case ValueKind::kAggregation: return plan.aggregations[ref.index].type;
    case ValueKind::kExpression: return plan.expressions[ref.index].type;
  }
  return core::ValueType::kString;
}

Result<std::shared_ptr<arrow::Array>> Flatten(const arrow::ChunkedArray& column) {
  if (column.num_chunks() == 1) return column.chunk(0);
  if (column.num_chunks() == 0) return arrow::MakeEmptyArray(column.type());
  return arrow::Concatenate(column.chunks());
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

Result<ViewPlan> PlanView(const definitions::Repo& repo, const std::string& view_name,
                          const std::vector<std::string>& feature_names) {
  ViewPlan plan;
  plan.view = repo.FindView(view_name);
  if (plan.view == nullptr) {
    std::vector<std::string> known;
    for (const auto& v : repo.feature_views) known.push_back(v.name);
    return Status::KeyError("unknown feature view '", view_name, "'; applied views: ",
                            known.empty() ? "(none)" : JoinNames(known));
  }
  plan.source = repo.FindSource(plan.view->source);
  if (plan.source == nullptr) {
    return Status::KeyError("feature view '", view_name, "': source '", plan.view->source,
                            "' is not applied");
  }
  plan.join_keys = definitions::JoinKeys(repo, *plan.view);
  for (const auto& key : plan.join_keys) {
    const core::ColumnSpec* column = core::FindColumn(plan.source->schema, key);
    if (column == nullptr) {
      return Status::Invalid("source '", plan.source->name, "' lacks join key '", key, "'");
    }
    plan.key_types.push_back(column->type);
  }
  std::vector<std::string> wanted = feature_names;
  if (wanted.empty()) {
    for (const auto& f : plan.view->features) wanted.push_back(f.name);
  }
  Planner planner(repo, &plan);
  for (const auto& name : wanted) {
    FST_ASSIGN_OR_RAISE(auto ref, planner.Feature(name));
    plan.features.push_back(name);
    plan.outputs.push_back(ref);
    plan.output_types.push_back(planner.TypeOf(ref));
  }
  return plan;
}

std::map<std::string, ValueRef> ExpressionInputs(const ViewPlan& plan) {
  std::map<std::string, ValueRef> sources;
  for (size_t c = 0; c < plan.latest_columns.size(); ++c) {
    sources[plan.latest_columns[c]] = {ValueKind::kLatest, c};
  }
  for (const auto& f : plan.view->features) {
    if (f.kind != definitions::FeatureKind::kPassthrough) continue;
    const std::string column = f.column.empty() ? f.name : f.column;
    auto it = std::find(plan.latest_columns.begin(), plan.latest_columns.end(), column);
    if (it != plan.latest_columns.end()) {
      sources[f.name] = {ValueKind::kLatest, static_cast<size_t>(it - plan.latest_columns.begin())};
    }
  }
  for (size_t a = 0; a < plan.aggregations.size(); ++a) {
    sources[plan.aggregations[a].feature] = {ValueKind::kAggregation, a};
  }
  for (size_t x = 0; x < plan.expressions.size(); ++x) {
    sources[plan.expressions[x].feature] = {ValueKind::kExpression, x};
  }
  return sources;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> ComputeOutputs(
    const ViewPlan& plan, const std::vector<std::shared_ptr<arrow::Array>>& latest,
    const std::vector<std::shared_ptr<arrow::Array>>& aggregated,
    const std::vector<int64_t>& lookup_time) {
  const int64_t n = static_cast<int64_t>(lookup_time.size());
  std::vector<std::shared_ptr<arrow::Array>> computed;
  if (!plan.expressions.empty()) {
    const auto sources = ExpressionInputs(plan);
    arrow::Int64Builder times;
    FST_RETURN_NOT_OK(times.AppendValues(lookup_time));
    std::shared_ptr<arrow::Array> lookup;
    FST_RETURN_NOT_OK(times.Finish(&lookup));
    for (const auto& expr : plan.expressions) {
      std::map<std::string, std::shared_ptr<arrow::Array>> inputs;
      for (const auto& name : expr.expression->Names()) {
        const ValueRef& ref = sources.at(name);
        switch (ref.kind) {
          case ValueKind::kLatest: inputs[name] = latest[ref.index]; break;
          case ValueKind::kAggregation: inputs[name] = aggregated[ref.index]; break;
          case ValueKind::kExpression: inputs[name] = computed[ref.index]; break;
        }
      }
      FST_ASSIGN_OR_RAISE(auto values, expr.expression->Evaluate(inputs, lookup, n));
      computed.push_back(values);
    }
  }
  std::vector<std::shared_ptr<arrow::Array>> outputs;
  for (const auto& ref : plan.outputs) {
    switch (ref.kind) {
      case ValueKind::kLatest: outputs.push_back(latest[ref.index]); break;
      case ValueKind::kAggregation: outputs.push_back(aggregated[ref.index]); break;
      case ValueKind::kExpression: outputs.push_back(computed[ref.index]); break;
    }
  }
  return outputs;
}

int32_t FeatureDimension(const definitions::Repo& repo, const definitions::FeatureView& view,
                         const std::string& feature) {
  const definitions::Source* source = repo.FindSource(view.source);
  if (source == nullptr) return 0;
  for (const definitions::Feature& f : view.features) {
    if (f.name != feature) continue;
    const bool keeps_value = f.kind == definitions::FeatureKind::kPassthrough ||
                             (f.kind == definitions::FeatureKind::kAggregation &&
                              (f.agg == "last" || f.agg == "first"));
    if (!keeps_value) return 0;
    const core::ColumnSpec* column =
        core::FindColumn(source->schema, f.column.empty() ? f.name : f.column);
    return column == nullptr ? 0 : column->dim;
  }
  return 0;
}

}  // namespace fst::features
