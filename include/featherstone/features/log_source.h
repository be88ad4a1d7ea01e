// The source `<service>__log` that holds the feature log of a feature service once it is
// published (docs/impl.md "Feature log"): derived from the service's definition at plan, never
// declared in YAML.
#pragma once

#include <string>
#include <vector>

#include "featherstone/definitions/log_source_name.h"
#include "featherstone/definitions/model.h"

namespace fst::features {

// The columns of a service's log, in order: request_id, served_at (the time field), at (the
// lookup time), the join keys (typed as their sources declare them), the request fields of its
// on-demand features, per feature `view__feature` (typed as the feature), `view__feature__status`
// and `view__feature__event_ts`, then spec_hash (the service's), spec_hashes (JSON
// "kind/name" -> hash of every definition that served the response) and full_feature_names.
struct LogLayout {
  std::vector<core::ColumnSpec> keys;
  std::vector<core::ColumnSpec> request_fields;
  std::vector<definitions::FeatureRef> features;
  std::vector<core::ValueType> feature_types;
  core::Schema schema;  // every column, in order
};
inline constexpr char kLogRequestId[] = "request_id";
inline constexpr char kLogServedAt[] = "served_at";
inline constexpr char kLogAt[] = "at";
inline constexpr char kLogSpecHash[] = "spec_hash";
inline constexpr char kLogSpecHashes[] = "spec_hashes";
inline constexpr char kLogFullNames[] = "full_feature_names";
// "view__feature", and its status and event time columns.
std::string LogValueColumn(const definitions::FeatureRef& ref);
std::string LogStatusColumn(const definitions::FeatureRef& ref);
std::string LogEventTsColumn(const definitions::FeatureRef& ref);

// The layout of `service`'s log. Errors: those of PlanOnDemand and FeatureTypes; Invalid when
// two columns of the log would share a name (e.g. a request field named like a join key).
Result<LogLayout> LogLayoutOf(const definitions::Repo& repo,
                              const definitions::FeatureService& service);

// The source of `service`'s log: kind file, format parquet, time field served_at, the layout's
// schema. Errors: those of LogLayoutOf.
Result<definitions::Source> LogSource(const definitions::Repo& repo,
                                      const definitions::FeatureService& service);

// `repo` with the log source of every feature service added after its declared sources, in
// the order of the services. A feature view may read another service's log (training on what
// was served); the service serving it then logs columns typed from that log.
// Errors: Invalid "FILE:LINE:COL: source 'x__log' is the name of the feature log of service
// 'x' ..." for a declared source that takes a log's name; Invalid naming the service that
// serves features computed from its own log, or the services that do from each other's; those
// of definitions::Validate for a view over a log (its columns); those of LogSource.
Result<definitions::Repo> WithLogSources(const definitions::Repo& repo);

}  // namespace fst::features
