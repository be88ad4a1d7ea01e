// Internal: on-demand (request-time) features, computed when features are read, after the
// stored features they use, by training sets and online reads alike (docs/expressions.md,
// "On-demand feature views"). Names in their expressions: a request field bare (`amount`), a
// feature of a source view qualified by the view (`customer_features.average_order_value`).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/table.h>

#include "featherstone/definitions/model.h"
#include "featherstone/transform/expression.h"

namespace fst::features {

struct OnDemandFeaturePlan {
  definitions::FeatureRef ref;
  std::shared_ptr<transform::Expression> expression;
  core::ValueType type;
};

// A request field the planned features read, and the first feature that reads it.
struct RequestFieldPlan {
  core::ColumnSpec spec;
  std::string used_by;  // "view:feature"
};

// How to compute a list of requested features, stored and on-demand.
struct OnDemandPlan {
  // Stored features to read: the requested ones, then those the on-demand ones read; each once.
  std::vector<definitions::FeatureRef> reads;
  std::vector<OnDemandFeaturePlan> features;  // the requested on-demand features, in order
  std::vector<RequestFieldPlan> request_fields;
};

// Splits `refs` and plans their on-demand features. Errors: KeyError for an unknown feature
// of an on-demand view; Invalid "feature 'v:f': column N: ..." for expression errors (with a
// "did you mean" for a misspelt or unqualified name), and for one request field name declared
// with two types by two requested views.
Result<OnDemandPlan> PlanOnDemand(const definitions::Repo& repo,
                                  const std::vector<definitions::FeatureRef>& refs);

// The value type of each of `refs` (stored or on-demand), in order. Errors: those of
// PlanOnDemand and PlanView.
Result<std::vector<core::ValueType>> FeatureTypes(const definitions::Repo& repo,
                                                  const std::vector<definitions::FeatureRef>& refs);

// The name of a stored feature inside on-demand expressions: "view.feature".
std::string QualifiedName(const definitions::FeatureRef& ref);

// Whether `refs` holds `ref`.
bool HasRef(const std::vector<definitions::FeatureRef>& refs, const definitions::FeatureRef& ref);

// The request fields as typed arrays, one row per entity, from the (field, text) pairs of each
// entity (`requests` empty: none for any entity). Errors: Invalid naming a field no requested
// feature takes (and the fields they take), a missing field (and the feature that needs it),
// or a value not of the field's type.
Result<std::map<std::string, std::shared_ptr<arrow::Array>>> RequestFromText(
    const OnDemandPlan& plan,
    const std::vector<std::vector<std::pair<std::string, std::string>>>& requests, size_t rows);

// The request fields as typed arrays from the columns of `table` (converted to the declared
// types). Errors: Invalid "WHAT: missing request column 'C' ..." naming the feature that needs
// it, or a value not of the field's type.
Result<std::map<std::string, std::shared_ptr<arrow::Array>>> RequestFromTable(
    const OnDemandPlan& plan, const arrow::Table& table, const std::string& what);

// Evaluates the planned on-demand features, one array each (in plan order), over `stored`
// (QualifiedName -> values, for every read) and `request` (field -> values), with the lookup
// time of each row (µs) for days_since.
Result<std::vector<std::shared_ptr<arrow::Array>>> ComputeOnDemand(
    const OnDemandPlan& plan, const std::map<std::string, std::shared_ptr<arrow::Array>>& stored,
    const std::map<std::string, std::shared_ptr<arrow::Array>>& request,
    const std::vector<int64_t>& lookup_time);

}  // namespace fst::features
