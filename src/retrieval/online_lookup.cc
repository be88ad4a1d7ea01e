// GetOnlineFeatures: stored features by ReadStoredRows (online_rows.cc), then on-demand features
// on top of them, then the columns ordered as requested and timestamps formatted.
#include "featherstone/retrieval/online_lookup.h"

#include <algorithm>
#include <map>
#include <string_view>

#include "featherstone/features/on_demand.h"
#include "online_values.h"

namespace fst::retrieval {
namespace {

using definitions::FeatureRef;

std::string OutputName(const FeatureRef& ref, bool full_feature_names) {
  return full_feature_names ? ref.view + "__" + ref.feature : ref.feature;
}

// Whether `name` is OutputName(ref, full_feature_names), without building it.
bool IsOutputName(std::string_view name, const FeatureRef& ref, bool full_feature_names) {
  if (!full_feature_names) return name == ref.feature;
  return name.size() == ref.view.size() + 2 + ref.feature.size() && name.starts_with(ref.view) &&
         name.substr(ref.view.size(), 2) == "__" && name.ends_with(ref.feature);
}

bool HasRequestValues(const std::vector<EntityKeyText>& requests) {
  return std::any_of(requests.begin(), requests.end(),
                     [](const EntityKeyText& r) { return !r.empty(); });
}

// `rows` with the key columns first, then one column per ref of `refs` (each present in
// `rows` under its output name), in that order; timestamps and dates formatted.
OnlineRows Arrange(OnlineRows rows, const std::vector<FeatureRef>& refs,
                   bool full_feature_names) {
  // Usually the columns already are in the requested order: checked in one pass.
  bool identity = rows.key_columns + refs.size() == rows.columns.size();
  for (size_t i = 0; identity && i < refs.size(); ++i) {
    identity = IsOutputName(rows.columns[rows.key_columns + i], refs[i], full_feature_names);
  }
  std::vector<size_t> order;
  if (!identity) {
    for (size_t c = 0; c < rows.key_columns; ++c) order.push_back(c);
    for (const auto& ref : refs) {
      const std::string name = OutputName(ref, full_feature_names);
      const auto it =
          std::find(rows.columns.begin() + static_cast<std::ptrdiff_t>(rows.key_columns),
                    rows.columns.end(), name);
      order.push_back(static_cast<size_t>(it - rows.columns.begin()));
    }
  }
  OnlineRows out;
  if (identity) {
    out = std::move(rows);
  } else {
    out.key_columns = rows.key_columns;
    for (size_t c : order) {
      out.columns.push_back(rows.columns[c]);
      out.types.push_back(rows.types[c]);
    }
    out.rows.resize(rows.rows.size());
    out.statuses.resize(rows.rows.size());
    out.event_ts.resize(rows.rows.size());
    for (size_t e = 0; e < rows.rows.size(); ++e) {
      for (size_t c : order) {
        out.rows[e].push_back(std::move(rows.rows[e][c]));
        out.statuses[e].push_back(rows.statuses[e][c]);
        out.event_ts[e].push_back(rows.event_ts[e][c]);
      }
    }
  }
  for (size_t c = 0; c < out.columns.size(); ++c) {
    const core::ValueType type = out.types[c];
    if (type != core::ValueType::kTimestamp && type != core::ValueType::kDate) continue;
    for (auto& row : out.rows) row[c] = FormatValue(type, std::move(row[c]));
  }
  return out;
}

}  // namespace

const char* FeatureStatusName(FeatureStatus status) {
  switch (status) {
    case FeatureStatus::kPresent: return "PRESENT";
    case FeatureStatus::kNotFound: return "NOT_FOUND";
    case FeatureStatus::kOutsideMaxAge: return "OUTSIDE_MAX_AGE";
  }
  return "UNKNOWN";
}

Result<OnlineRows> GetOnlineFeatures(repo::RepoContext& repo, const std::vector<FeatureRef>& refs,
                                     const std::vector<EntityKeyText>& entities, int64_t at,
                                     bool full_feature_names,
                                     const std::vector<EntityKeyText>& requests) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  const bool on_demand_requested = std::any_of(refs.begin(), refs.end(), [&](const auto& ref) {
    return applied->FindOnDemandView(ref.view) != nullptr;
  });
  if (!on_demand_requested && !HasRequestValues(requests)) {
    FST_ASSIGN_OR_RAISE(auto rows, ReadStoredRows(repo, refs, entities, at, full_feature_names));
    return Arrange(std::move(rows), refs, full_feature_names);
  }

  FST_ASSIGN_OR_RAISE(auto plan, features::PlanOnDemand(*applied, refs));
  FST_ASSIGN_OR_RAISE(auto request, features::RequestFromText(plan, requests, entities.size()));
  // Every stored read under its qualified name, so that reads of two views never clash.
  FST_ASSIGN_OR_RAISE(auto rows, ReadStoredRows(repo, plan.reads, entities, at, true));
  std::map<std::string, std::shared_ptr<arrow::Array>> stored;
  std::vector<const OnlineValue*> column_values(entities.size());
  for (const auto& ref : plan.reads) {
    const auto it = std::find(rows.columns.begin(), rows.columns.end(), OutputName(ref, true));
    const size_t c = static_cast<size_t>(it - rows.columns.begin());
    for (size_t e = 0; e < entities.size(); ++e) column_values[e] = &rows.rows[e][c];
    FST_ASSIGN_OR_RAISE(stored[features::QualifiedName(ref)],
                        ValuesToArray(rows.types[c], column_values));
  }
  FST_ASSIGN_OR_RAISE(auto computed,
                      features::ComputeOnDemand(plan, stored, request,
                                                std::vector<int64_t>(entities.size(), at)));
  // The response's names: requested stored reads renamed to their output names, on-demand
  // features appended.
  for (const auto& ref : plan.reads) {
    if (!features::HasRef(refs, ref)) continue;
    const auto it = std::find(rows.columns.begin(), rows.columns.end(), OutputName(ref, true));
    *it = OutputName(ref, full_feature_names);
  }
  for (size_t f = 0; f < plan.features.size(); ++f) {
    rows.columns.push_back(OutputName(plan.features[f].ref, full_feature_names));
    rows.types.push_back(plan.features[f].type);
    for (size_t e = 0; e < entities.size(); ++e) {
      rows.rows[e].push_back(ArrayValue(*computed[f], static_cast<int64_t>(e)));
      rows.statuses[e].push_back(FeatureStatus::kPresent);
      rows.event_ts[e].push_back(0);
    }
  }
  return Arrange(std::move(rows), refs, full_feature_names);
}

}  // namespace fst::retrieval
