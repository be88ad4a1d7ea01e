#include "featherstone/features/log_source.h"

#include <algorithm>

#include "featherstone/definitions/validate.h"
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

namespace {

// The log sources that the feature views `service` reads (directly or through its on-demand
// views) are read from and that `repo` does not hold yet.
std::vector<std::string> MissingLogs(const definitions::Repo& repo,
                                     const definitions::FeatureService& service) {
  std::vector<std::string> missing;
  auto check_view = [&](const std::string& name) {
    const definitions::FeatureView* view = repo.FindView(name);
    if (view == nullptr || repo.FindSource(view->source) != nullptr) return;
    if (!definitions::LoggedService(repo, view->source).empty()) missing.push_back(view->source);
  };
  for (const auto& ref : service.features) {
    check_view(ref.view);
    if (const auto* on_demand = repo.FindOnDemandView(ref.view)) {
      for (const auto& name : on_demand->sources) check_view(name);
    }
  }
  return missing;
}

}  // namespace

Result<definitions::Repo> WithLogSources(const definitions::Repo& repo) {
  for (const auto& service : repo.feature_services) {
    const std::string name = definitions::LogSourceName(service.name);
    if (const definitions::Source* taken = repo.FindSource(name)) {
      const std::string where = taken->location.ToString();
      return Status::Invalid(where.empty() ? "" : where + ": ", "source '", name,
                             "' takes the name of the feature log of service '", service.name,
                             "' (sources named SERVICE", definitions::kLogSuffix,
                             " are made by featherstone from the service); rename the source");
    }
  }
  // A service serving a view over another service's log needs that log's columns first, so
  // the logs are made in rounds; what is left when a round adds none reads its own log.
  definitions::Repo out = repo;
  std::vector<const definitions::FeatureService*> pending;
  for (const auto& service : repo.feature_services) pending.push_back(&service);
  bool logs_added = false;
  while (!pending.empty()) {
    // Views over the logs made so far are checked against the logs' columns (file:line).
    if (logs_added) FST_RETURN_NOT_OK(definitions::Validate(out));
    std::vector<const definitions::FeatureService*> later;
    for (const auto* service : pending) {
      if (!MissingLogs(out, *service).empty()) {
        later.push_back(service);
        continue;
      }
      FST_ASSIGN_OR_RAISE(definitions::Source source, LogSource(out, *service));
      out.sources.push_back(std::move(source));
      logs_added = true;
    }
    if (later.size() == pending.size()) {
      std::string names;
      for (const auto* service : later) {
        const std::string own = definitions::LogSourceName(service->name);
        const auto missing = MissingLogs(out, *service);
        if (std::find(missing.begin(), missing.end(), own) != missing.end()) {
          const std::string where = service->location.ToString();
          return Status::Invalid(where.empty() ? "" : where + ": ", "feature service '",
                                 service->name, "' serves features computed from its own feature "
                                 "log '", own, "'; serve them from another service");
        }
        names += (names.empty() ? "'" : ", '") + service->name + "'";
      }
      return Status::Invalid("feature services ", names,
                             " serve features computed from each other's feature logs (a "
                             "cycle); serve them from a service whose log none of them reads");
    }
    pending = std::move(later);
  }
  // Log sources sit after the declared ones, in the order of the services.
  auto service_index = [&](const definitions::Source& log) {
    const std::string service = definitions::LoggedService(repo, log.name);
    for (size_t i = 0; i < repo.feature_services.size(); ++i) {
      if (repo.feature_services[i].name == service) return i;
    }
    return repo.feature_services.size();
  };
  std::stable_sort(out.sources.begin() + static_cast<long>(repo.sources.size()), out.sources.end(),
                   [&](const definitions::Source& a, const definitions::Source& b) {
                     return service_index(a) < service_index(b);
                   });
  return out;
}

}  // namespace fst::features
