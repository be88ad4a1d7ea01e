#include "featherstone/features/on_demand.h"

#include <algorithm>

#include <arrow/builder.h>

#include "featherstone/connectors/connector.h"
#include "featherstone/core/closest_name.h"
#include "featherstone/features/view_plan.h"

namespace fst::features {
namespace {

using definitions::FeatureRef;

// "; did you mean 'x'?" for a name no type was found for: a request field or qualified feature
// within two edits, or the qualified form of a bare name that is a feature of one source view.
std::string UnknownNameHint(const definitions::Repo& repo,
                            const definitions::OnDemandFeatureView& view,
                            const std::string& name) {
  std::vector<std::string> candidates;
  std::vector<std::string> qualified_matches;
  for (const auto& field : view.request_schema) candidates.push_back(field.name);
  for (const auto& source : view.sources) {
    const definitions::FeatureView* stored = repo.FindView(source);
    if (stored == nullptr) continue;
    for (const auto& f : stored->features) {
      candidates.push_back(source + "." + f.name);
      if (f.name == name) qualified_matches.push_back(source + "." + f.name);
    }
  }
  if (qualified_matches.size() == 1) {
    return "; features of source views are qualified by the view: did you mean '" +
           qualified_matches.front() + "'?";
  }
  const std::string closest = core::ClosestName(name, candidates);
  return closest.empty() ? "" : "; did you mean '" + closest + "'?";
}

Result<OnDemandFeaturePlan> PlanFeature(const definitions::Repo& repo,
                                        const definitions::OnDemandFeatureView& view,
                                        const FeatureRef& ref) {
  const auto it =
      std::find_if(view.features.begin(), view.features.end(),
                   [&](const definitions::Feature& f) { return f.name == ref.feature; });
  if (it == view.features.end()) {
    std::vector<std::string> known;
    for (const auto& f : view.features) known.push_back(f.name);
    return Status::KeyError("on-demand feature view '", view.name, "' has no feature '",
                            ref.feature, "'; its features: ", JoinNames(known));
  }
  const std::string where = "feature '" + ref.ToString() + "': ";
  auto parsed = transform::Expression::Parse(it->expr);
  if (!parsed.ok()) return Status::Invalid(where, parsed.status().message());
  OnDemandFeaturePlan plan;
  plan.ref = ref;
  plan.expression = std::make_shared<transform::Expression>(std::move(*parsed));
  std::map<std::string, core::ValueType> types;
  std::string first_unknown;
  for (const auto& name : plan.expression->Names()) {
    const size_t dot = name.find('.');
    if (dot == std::string::npos) {
      if (const core::ColumnSpec* field = core::FindColumn(view.request_schema, name)) {
        types[name] = field->type;
      }
    } else {
      const FeatureRef read{name.substr(0, dot), name.substr(dot + 1)};
      const definitions::FeatureView* source = repo.FindView(read.view);
      const bool listed =
          std::find(view.sources.begin(), view.sources.end(), read.view) != view.sources.end();
      const bool has_feature =
          source != nullptr &&
          std::any_of(source->features.begin(), source->features.end(),
                      [&](const definitions::Feature& f) { return f.name == read.feature; });
      if (listed && has_feature) {
        FST_ASSIGN_OR_RAISE(auto stored, PlanView(repo, read.view, {read.feature}));
        types[name] = stored.output_types.front();
      }
    }
    if (!types.contains(name) && first_unknown.empty()) first_unknown = name;
  }
  auto type = plan.expression->Check(types);
  if (!type.ok()) {
    std::string message = type.status().message();
    if (!first_unknown.empty() && message.ends_with("unknown name '" + first_unknown + "'")) {
      message += UnknownNameHint(repo, view, first_unknown);
    }
    return Status::Invalid(where, message);
  }
  std::map<std::string, int32_t> dims;  // of the list<float32> names
  for (const auto& name : plan.expression->Names()) {
    const size_t dot = name.find('.');
    int32_t dim = 0;
    if (dot == std::string::npos) {
      const core::ColumnSpec* field = core::FindColumn(view.request_schema, name);
      dim = field == nullptr ? 0 : field->dim;
    } else if (const definitions::FeatureView* source = repo.FindView(name.substr(0, dot))) {
      dim = FeatureDimension(repo, *source, name.substr(dot + 1));
    }
    if (dim > 0) dims[name] = dim;
  }
  auto dims_ok = plan.expression->CheckDimensions(dims);
  if (!dims_ok.ok()) return Status::Invalid(where, dims_ok.message());
  plan.type = *type;
  return plan;
}

// Adds the request field `spec` read by `feature`. Errors: Invalid when the field is already
// planned with another type.
Status AddRequestField(const core::ColumnSpec& spec, const FeatureRef& feature,
                       std::vector<RequestFieldPlan>* fields) {
  for (const auto& field : *fields) {
    if (field.spec.name != spec.name) continue;
    if (field.spec.type == spec.type) return Status::OK();
    return Status::Invalid("request field '", spec.name, "' is ",
                           core::ValueTypeName(field.spec.type), " for feature '", field.used_by,
                           "' but ", core::ValueTypeName(spec.type), " for feature '",
                           feature.ToString(), "'; request them separately");
  }
  fields->push_back({spec, feature.ToString()});
  return Status::OK();
}

std::string DescribeFields(const std::vector<RequestFieldPlan>& fields) {
  if (fields.empty()) return "none of the requested features is on-demand";
  std::string out = "the requested on-demand features take: ";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ", ";
    out += fields[i].spec.name + " (" + std::string(core::ValueTypeName(fields[i].spec.type)) + ")";
  }
  return out;
}

}  // namespace

std::string QualifiedName(const FeatureRef& ref) { return ref.view + "." + ref.feature; }

bool HasRef(const std::vector<FeatureRef>& refs, const FeatureRef& ref) {
  return std::any_of(refs.begin(), refs.end(), [&](const FeatureRef& r) {
    return r.view == ref.view && r.feature == ref.feature;
  });
}

Result<OnDemandPlan> PlanOnDemand(const definitions::Repo& repo,
                                  const std::vector<FeatureRef>& refs) {
  OnDemandPlan plan;
  for (const auto& ref : refs) {
    if (repo.FindOnDemandView(ref.view) == nullptr && !HasRef(plan.reads, ref)) {
      plan.reads.push_back(ref);
    }
  }
  for (const auto& ref : refs) {
    const definitions::OnDemandFeatureView* view = repo.FindOnDemandView(ref.view);
    if (view == nullptr) continue;
    FST_ASSIGN_OR_RAISE(auto feature, PlanFeature(repo, *view, ref));
    for (const auto& name : feature.expression->Names()) {
      const size_t dot = name.find('.');
      if (dot == std::string::npos) {
        FST_RETURN_NOT_OK(AddRequestField(*core::FindColumn(view->request_schema, name), ref,
                                          &plan.request_fields));
        continue;
      }
      const FeatureRef read{name.substr(0, dot), name.substr(dot + 1)};
      if (!HasRef(plan.reads, read)) plan.reads.push_back(read);
    }
    plan.features.push_back(std::move(feature));
  }
  return plan;
}

Result<std::vector<core::ValueType>> FeatureTypes(const definitions::Repo& repo,
                                                  const std::vector<FeatureRef>& refs) {
  FST_ASSIGN_OR_RAISE(auto plan, PlanOnDemand(repo, refs));
  std::vector<core::ValueType> types;
  for (const auto& ref : refs) {
    const auto computed = std::find_if(plan.features.begin(), plan.features.end(),
                                       [&](const auto& f) { return f.ref.view == ref.view &&
                                                                   f.ref.feature == ref.feature; });
    if (computed != plan.features.end()) {
      types.push_back(computed->type);
      continue;
    }
    FST_ASSIGN_OR_RAISE(auto view, PlanView(repo, ref.view, {ref.feature}));
    types.push_back(view.output_types.front());
  }
  return types;
}

Result<std::map<std::string, std::shared_ptr<arrow::Array>>> RequestFromText(
    const OnDemandPlan& plan,
    const std::vector<std::vector<std::pair<std::string, std::string>>>& requests, size_t rows) {
  for (const auto& request : requests) {
    for (const auto& [name, value] : request) {
      const bool known =
          std::any_of(plan.request_fields.begin(), plan.request_fields.end(),
                      [&](const RequestFieldPlan& f) { return f.spec.name == name; });
      if (!known) {
        return Status::Invalid("unknown request field '", name, "'; ",
                               DescribeFields(plan.request_fields));
      }
    }
  }
  std::map<std::string, std::shared_ptr<arrow::Array>> out;
  if (plan.request_fields.empty()) return out;
  if (!requests.empty() && requests.size() != rows) {
    return Status::Invalid("got request values for ", requests.size(), " rows, expected ", rows,
                           " (one per entity)");
  }
  const std::vector<std::pair<std::string, std::string>> none;
  for (const auto& field : plan.request_fields) {
    arrow::StringBuilder texts;
    for (size_t row = 0; row < rows; ++row) {
      const auto& request = requests.empty() ? none : requests[row];
      const auto it = std::find_if(request.begin(), request.end(),
                                   [&](const auto& pair) { return pair.first == field.spec.name; });
      if (it == request.end()) {
        return Status::Invalid("missing request field '", field.spec.name, "' (",
                               core::ValueTypeName(field.spec.type), ") for entity ", row + 1,
                               ", needed by feature '", field.used_by, "'; ",
                               DescribeFields(plan.request_fields));
      }
      FST_RETURN_NOT_OK(texts.Append(it->second));
    }
    std::shared_ptr<arrow::Array> text_array;
    FST_RETURN_NOT_OK(texts.Finish(&text_array));
    FST_ASSIGN_OR_RAISE(out[field.spec.name],
                        connectors::CoerceArray(*text_array, field.spec, "request"));
  }
  return out;
}

Result<std::map<std::string, std::shared_ptr<arrow::Array>>> RequestFromTable(
    const OnDemandPlan& plan, const arrow::Table& table, const std::string& what) {
  std::map<std::string, std::shared_ptr<arrow::Array>> out;
  for (const auto& field : plan.request_fields) {
    const auto column = table.GetColumnByName(field.spec.name);
    if (column == nullptr) {
      return Status::Invalid(what, ": missing request column '", field.spec.name, "' (",
                             core::ValueTypeName(field.spec.type), "), needed by feature '",
                             field.used_by, "'");
    }
    FST_ASSIGN_OR_RAISE(auto values, Flatten(*column));
    FST_ASSIGN_OR_RAISE(out[field.spec.name], connectors::CoerceArray(*values, field.spec, what));
  }
  return out;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> ComputeOnDemand(
    const OnDemandPlan& plan, const std::map<std::string, std::shared_ptr<arrow::Array>>& stored,
    const std::map<std::string, std::shared_ptr<arrow::Array>>& request,
    const std::vector<int64_t>& lookup_time) {
  std::map<std::string, std::shared_ptr<arrow::Array>> inputs = stored;
  inputs.insert(request.begin(), request.end());
  arrow::Int64Builder times;
  FST_RETURN_NOT_OK(times.AppendValues(lookup_time));
  std::shared_ptr<arrow::Array> lookup;
  FST_RETURN_NOT_OK(times.Finish(&lookup));
  const int64_t n = static_cast<int64_t>(lookup_time.size());
  std::vector<std::shared_ptr<arrow::Array>> out;
  for (const auto& feature : plan.features) {
    FST_ASSIGN_OR_RAISE(auto values, feature.expression->Evaluate(inputs, lookup, n));
    out.push_back(std::move(values));
  }
  return out;
}

}  // namespace fst::features
