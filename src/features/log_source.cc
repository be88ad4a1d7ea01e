#include "featherstone/features/log_source.h"

#include <algorithm>

#include "featherstone/features/on_demand.h"

namespace fst::features {

std::string LogValueColumn(const definitions::FeatureRef& ref) {
  return ref.view + "__" + ref.feature;
}
std::string LogStatusColumn(const definitions::FeatureRef& ref) {
  return LogValueColumn(ref) + "__status";
}
std::string LogEventTsColumn(const definitions::FeatureRef& ref) {
  return LogValueColumn(ref) + "__event_ts";
}

Result<LogLayout> LogLayoutOf(const definitions::Repo& repo,
                              const definitions::FeatureService& service) {
  LogLayout layout;
  FST_ASSIGN_OR_RAISE(OnDemandPlan plan, PlanOnDemand(repo, service.features));
  // Join keys of every stored view the service reads (on-demand features read stored ones).
  for (const auto& ref : plan.reads) {
    const definitions::FeatureView* view = repo.FindView(ref.view);
    if (view == nullptr) continue;
    const definitions::Source* source = repo.FindSource(view->source);
    for (const auto& key : definitions::JoinKeys(repo, *view)) {
      const bool seen = std::any_of(layout.keys.begin(), layout.keys.end(),
                                    [&](const core::ColumnSpec& c) { return c.name == key; });
      const core::ColumnSpec* column =
          source == nullptr ? nullptr : core::FindColumn(source->schema, key);
      if (!seen && column != nullptr) layout.keys.push_back({key, column->type, true, ""});
    }
  }
  for (const auto& field : plan.request_fields) {
    layout.request_fields.push_back({field.spec.name, field.spec.type, true, ""});
  }
  layout.features = service.features;
  FST_ASSIGN_OR_RAISE(layout.feature_types, FeatureTypes(repo, service.features));

  using core::ValueType;
  layout.schema.push_back({kLogRequestId, ValueType::kString, false, ""});
  layout.schema.push_back({kLogServedAt, ValueType::kTimestamp, false, ""});
  layout.schema.push_back({kLogAt, ValueType::kTimestamp, true, ""});
  for (const auto& key : layout.keys) layout.schema.push_back(key);
  for (const auto& field : layout.request_fields) layout.schema.push_back(field);
  for (size_t f = 0; f < layout.features.size(); ++f) {
    const auto& ref = layout.features[f];
    layout.schema.push_back({LogValueColumn(ref), layout.feature_types[f], true, ""});
    layout.schema.push_back({LogStatusColumn(ref), ValueType::kString, true, ""});
    layout.schema.push_back({LogEventTsColumn(ref), ValueType::kTimestamp, true, ""});
  }
  layout.schema.push_back({kLogSpecHash, ValueType::kString, true, ""});
  layout.schema.push_back({kLogSpecHashes, ValueType::kString, true, ""});
  layout.schema.push_back({kLogFullNames, ValueType::kBool, true, ""});
  for (size_t i = 0; i < layout.schema.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (layout.schema[i].name == layout.schema[j].name) {
        return Status::Invalid("feature service '", service.name, "': its feature log ",
                               definitions::LogSourceName(service.name), " would have two columns named '",
                               layout.schema[i].name, "'");
      }
    }
  }
  return layout;
}

Result<definitions::Source> LogSource(const definitions::Repo& repo,
                                      const definitions::FeatureService& service) {
  FST_ASSIGN_OR_RAISE(LogLayout layout, LogLayoutOf(repo, service));
  definitions::Source source;
  source.name = definitions::LogSourceName(service.name);
  source.kind = "file";
  source.format = "parquet";
  source.timestamp_field = kLogServedAt;
  source.schema = std::move(layout.schema);
  source.description = "The feature log of service '" + service.name +
                       "': one row per served entity (written by featherstone serve).";
  return source;
}

Result<definitions::Repo> WithLogSources(const definitions::Repo& repo) {
  definitions::Repo out = repo;
  for (const auto& service : repo.feature_services) {
    const std::string name = definitions::LogSourceName(service.name);
    if (const definitions::Source* taken = repo.FindSource(name)) {
      const std::string where = taken->location.ToString();
      return Status::Invalid(where.empty() ? "" : where + ": ", "source '", name,
                             "' takes the name of the feature log of service '", service.name,
                             "' (sources named SERVICE", definitions::kLogSuffix,
                             " are made by featherstone from the service); rename the source");
    }
    FST_ASSIGN_OR_RAISE(definitions::Source source, LogSource(repo, service));
    out.sources.push_back(std::move(source));
  }
  return out;
}

}  // namespace fst::features
