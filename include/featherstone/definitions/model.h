// The typed model of featherstone.yaml (DESIGN section 2). Every producer of definitions (YAML,
// the Python SDK, the registry's stored specs) yields exactly these structs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "featherstone/core/types.h"
#include "featherstone/definitions/contract.h"

namespace fst::definitions {

// Where a definition was written; file empty when it came from the registry.
struct Location {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
  std::string ToString() const;  // "file:line:column", or "" when unknown
};

// Catalog metadata of an object (docs/catalog.md): who owns it and the words it is found by.
// No computation reads it; it is part of the spec, so a change makes a new version.
struct CatalogInfo {
  std::string owner;
  std::vector<std::string> tags;
  std::map<std::string, std::string> labels;

  bool empty() const { return owner.empty() && tags.empty() && labels.empty(); }
};

struct Entity {
  std::string name;
  std::vector<std::string> join_keys;
  std::string description;
  CatalogInfo catalog;
  Location location;
};

// A key of a source's YAML map that its kind takes (connectors/source_kind.h), as written.
struct SourceOption {
  std::string key;
  std::string value;
  Location location;  // of the key
};

struct Source {
  std::string name;
  std::string kind = "file";  // file | push | kafka, or a kind of connectors/source_kind.h
  std::string format;         // csv | parquet | jsonl; empty = from the file extension
  std::string timestamp_field;
  std::string created_timestamp_field;  // optional
  core::Schema schema;
  std::optional<Contract> contract;  // expectations, policy and breaker (DESIGN section 5)
  std::string description;
  CatalogInfo catalog;
  Location location;
  // kind kafka only (docs/streaming.md): one JSON object per message of `topic`.
  std::string bootstrap_servers;  // host:port[,host:port...]
  std::string topic;
  std::string group;  // consumer group; empty = KafkaGroup()'s default
  // kind postgres only (docs/connectors.md "PostgreSQL"): a libpq connection string or URI,
  // kept as written (`${VAR}` references are expanded when the source is read, so secrets
  // stay out of the YAML and the registry), and exactly one of `table` and `query`.
  std::string dsn;
  std::string table;
  std::string query;
  std::string cursor_column;  // optional: a schema column ordering rows for --incremental
  // Kinds of connectors/source_kind.h: their own keys, checked against the kind's table.
  std::vector<SourceOption> options;
  // Where each schema column is declared (parallel to `schema`; empty from the registry).
  std::vector<Location> column_locations;

  // The consumer group stream workers of this source join: `group`, or "featherstone-NAME".
  std::string KafkaGroup() const { return group.empty() ? "featherstone-" + name : group; }
};

enum class FeatureKind { kPassthrough, kExpression, kAggregation };

struct Feature {
  std::string name;
  FeatureKind kind = FeatureKind::kPassthrough;
  std::string column;     // passthrough: the source column (defaults to name); aggregation: the
                          // aggregated column (empty for count of rows)
  std::string expr;       // expression text
  std::string agg;        // count | sum | avg | min | max | stddev | last | first | count_distinct
  int64_t window_us = 0;  // aggregation window
  std::string description;
  CatalogInfo catalog;
  Location location;
};

struct FeatureView {
  std::string name;
  std::vector<std::string> entities;
  std::string source;
  int64_t ttl_us = 0;  // 0 = unbounded
  bool online = true;
  std::vector<Feature> features;
  std::string description;
  CatalogInfo catalog;
  Location location;
};

// Request-time features: expressions over values passed with each request (the request
// schema) and over features of stored views, computed when features are read (online and
// historical), never stored. In an expression a request field is named bare (`amount`), a
// feature of a source view qualified by its view (`customer_features.average_order_value`).
struct OnDemandFeatureView {
  std::string name;
  core::Schema request_schema;
  std::vector<std::string> sources;  // feature views the expressions may read
  std::vector<Feature> features;     // each of kind kExpression
  std::string description;
  CatalogInfo catalog;
  Location location;
};

// "view:feature" reference.
struct FeatureRef {
  std::string view;
  std::string feature;
  std::string ToString() const { return view + ":" + feature; }
};

struct FeatureService {
  std::string name;
  std::vector<FeatureRef> features;
  // `logging: {sample_rate: R}`: the share of responses the feature log keeps, chosen by a hash
  // of the request id (docs/serving.md "Feature log").
  double log_sample_rate = 1.0;
  std::string description;
  CatalogInfo catalog;
  Location location;
};

// Where OpenLineage run events go besides the registry (`lineage:` of featherstone.yaml,
// docs/lineage.md): a JSON Lines file (relative paths are in the repo) and/or a collector's
// HTTP endpoint. Without the key: the file .featherstone/lineage.jsonl; `lineage: none`: neither.
struct LineageSettings {
  std::string file = ".featherstone/lineage.jsonl";  // "" = no file sink
  std::string http;                                  // "" = no HTTP sink
  Location file_location;                            // where each was written (unknown: default)
  Location http_location;
};

struct Repo {
  std::string project;
  std::string registry = "sqlite";     // "sqlite" or a postgresql:// URL
  std::string online_store = "rocksdb";  // "rocksdb" or a redis:// URL
  Location registry_location;            // where each setting was written (unknown: default)
  Location online_store_location;
  LineageSettings lineage;
  std::vector<Entity> entities;
  std::vector<Source> sources;
  std::vector<FeatureView> feature_views;
  std::vector<OnDemandFeatureView> on_demand_feature_views;
  std::vector<FeatureService> feature_services;

  // Lookups by name; nullptr when absent.
  const Entity* FindEntity(const std::string& name) const;
  const Source* FindSource(const std::string& name) const;
  const FeatureView* FindView(const std::string& name) const;
  const OnDemandFeatureView* FindOnDemandView(const std::string& name) const;
  const FeatureService* FindService(const std::string& name) const;
};

// Parses "view:feature". Errors: Invalid naming the text.
Result<FeatureRef> ParseFeatureRef(const std::string& text);

// The join keys of `view`, in the order its entities list them (deduplicated).
// Precondition: the repo validated.
std::vector<std::string> JoinKeys(const Repo& repo, const FeatureView& view);

}  // namespace fst::definitions
