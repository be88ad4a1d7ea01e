// Internal: how to compute a set of a feature view's features, shared by training sets,
// materialization and online reads so that all three compute the same values.
//   latest-row columns: source columns read by the point-in-time join (ttl applies);
//   aggregations: windowed over the source's events (their window applies, not the ttl);
//   expressions: evaluated last, in dependency order, over the two above and each other.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "featherstone/definitions/model.h"
#include "featherstone/transform/expression.h"
#include "featherstone/transform/window_aggregation.h"

namespace fst::features {

enum class ValueKind { kLatest, kAggregation, kExpression };

// Where one computed value comes from.
struct ValueRef {
  ValueKind kind;
  size_t index;  // into latest_columns, aggregations or expressions
};

struct AggregationPlan {
  std::string feature;
  transform::AggRequest request;  // column indexes agg_columns
  core::ValueType type;
};

struct ExpressionPlan {
  std::string feature;
  std::shared_ptr<transform::Expression> expression;
  core::ValueType type;
};

struct ViewPlan {
  const definitions::FeatureView* view = nullptr;
  const definitions::Source* source = nullptr;
  std::vector<std::string> join_keys;
  std::vector<core::ValueType> key_types;

  std::vector<std::string> latest_columns;  // source columns by the PIT join
  std::vector<core::ValueType> latest_types;
  std::vector<std::string> agg_columns;  // source columns the aggregations read
  std::vector<core::ValueType> agg_types;
  std::vector<AggregationPlan> aggregations;
  std::vector<ExpressionPlan> expressions;  // dependency order
  int64_t max_window_us = 0;

  std::vector<std::string> features;  // requested, in request order
  std::vector<ValueRef> outputs;      // one per requested feature
  std::vector<core::ValueType> output_types;
};

// The type of the value `ref` points at in `plan`.
core::ValueType TypeOf(const ViewPlan& plan, const ValueRef& ref);

// Plans `feature_names` of view `view_name` (all features when empty), with every feature
// they depend on. Errors: KeyError naming an unknown view or feature (and the known ones);
// Invalid for expression errors ("feature 'v:f': column 10: unknown name 'OO'"), type errors
// and dependency cycles (naming the cycle).
Result<ViewPlan> PlanView(const definitions::Repo& repo, const std::string& view_name,
                          const std::vector<std::string>& feature_names);

// Where each name the plan's expressions use finds its value: the source columns read as
// latest values, shadowed by the planned features of the same name.
std::map<std::string, ValueRef> ExpressionInputs(const ViewPlan& plan);

// The declared dim of the vectors feature `feature` of `view` holds: its source column's for a
// passthrough, last or first of a list<float32> column; 0 otherwise (or when unknown).
int32_t FeatureDimension(const definitions::Repo& repo, const definitions::FeatureView& view,
                         const std::string& feature);

// Evaluates the plan's outputs for `n` rows from the latest-row values (one array per
// latest column), the aggregation values (one per aggregation) and the lookup times (µs).
Result<std::vector<std::shared_ptr<arrow::Array>>> ComputeOutputs(
    const ViewPlan& plan, const std::vector<std::shared_ptr<arrow::Array>>& latest,
    const std::vector<std::shared_ptr<arrow::Array>>& aggregated,
    const std::vector<int64_t>& lookup_time);

// One array holding all chunks of `column` (an empty array when it has none).
Result<std::shared_ptr<arrow::Array>> Flatten(const arrow::ChunkedArray& column);

// "a, b, c" of names, for error messages.
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace fst::features
