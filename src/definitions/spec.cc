#include "featherstone/definitions/spec.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "featherstone/core/hash.h"
#include "featherstone/core/time.h"

namespace fst::definitions {
namespace {

using nlohmann::json;

constexpr std::string_view kFeatureKinds[] = {"passthrough", "expression", "aggregation"};

// Adds owner, tags and labels to `spec`, each only when set, so objects without catalog
// metadata keep the hash they had before it existed.
json WithCatalog(json spec, const CatalogInfo& catalog) {
  if (!catalog.owner.empty()) spec["owner"] = catalog.owner;
  if (!catalog.tags.empty()) spec["tags"] = catalog.tags;
  if (!catalog.labels.empty()) spec["labels"] = catalog.labels;
  return spec;
}

json FeatureSpec(const Feature& feature) {
  json spec = {{"name", feature.name},
               {"kind", kFeatureKinds[static_cast<int>(feature.kind)]},
               {"description", feature.description}};
  switch (feature.kind) {
    case FeatureKind::kPassthrough:
      spec["column"] = feature.column;
      break;
    case FeatureKind::kExpression:
      spec["expr"] = feature.expr;
      break;
    case FeatureKind::kAggregation:
      spec["agg"] = feature.agg;
      spec["column"] = feature.column;
      spec["window"] = core::FormatDuration(feature.window_us);
      break;
  }
  return WithCatalog(std::move(spec), feature.catalog);
}

json EntitySpec(const Entity& entity) {
  return WithCatalog({{"name", entity.name},
                     {"join_keys", entity.join_keys},
                     {"description", entity.description}},
                     entity.catalog);
}

json SchemaSpec(const core::Schema& columns) {
  json schema = json::array();
  for (const auto& column : columns) {
    json item = {{"name", column.name},
                 {"type", core::ValueTypeName(column.type)},
                 {"nullable", column.nullable},
                 {"path", column.path}};
    if (column.dim > 0) item["dim"] = column.dim;  // absent otherwise: older hashes stay
    schema.push_back(std::move(item));
  }
  return schema;
}

json SourceSpec(const Source& source) {
  json schema = SchemaSpec(source.schema);
  json spec = {{"name", source.name},
               {"kind", source.kind},
               {"format", source.format},
               {"timestamp_field", source.timestamp_field},
               {"created_timestamp_field", source.created_timestamp_field},
               {"schema", std::move(schema)},
               {"description", source.description}};
  // Absent rather than null without a contract, so sources without one keep their hash.
  if (source.contract.has_value()) spec["contract"] = ContractSpec(*source.contract, source.schema);
  // Only Kafka sources carry these keys, so the hashes of other sources stay as they were.
  if (source.kind == "kafka") {
    spec["bootstrap_servers"] = source.bootstrap_servers;
    spec["topic"] = source.topic;
    spec["group"] = source.group;
  }
  if (source.kind == "postgres") {
    spec["dsn"] = source.dsn;
    spec["table"] = source.table;
    spec["query"] = source.query;
    spec["cursor_column"] = source.cursor_column;
  }
  // Only kinds with keys of their own carry them, so the hashes of other sources stay.
  if (!source.options.empty()) {
    json options = json::object();
    for (const auto& option : source.options) options[option.key] = option.value;
    spec["options"] = std::move(options);
  }
  return WithCatalog(std::move(spec), source.catalog);
}

json ViewSpec(const FeatureView& view) {
  json features = json::array();
  for (const auto& feature : view.features) features.push_back(FeatureSpec(feature));
  return WithCatalog({{"name", view.name},
                      {"entities", view.entities},
                      {"source", view.source},
                      {"ttl", core::FormatDuration(view.ttl_us)},
                      {"online", view.online},
                      {"features", std::move(features)},
                      {"description", view.description}},
                     view.catalog);
}

json OnDemandViewSpec(const OnDemandFeatureView& view) {
  json features = json::array();
  for (const auto& feature : view.features) {
    features.push_back(WithCatalog(
        {{"name", feature.name}, {"expr", feature.expr}, {"description", feature.description}},
        feature.catalog));
  }
  return WithCatalog({{"name", view.name},
                      {"request_schema", SchemaSpec(view.request_schema)},
                      {"sources", view.sources},
                      {"features", std::move(features)},
                      {"description", view.description}},
                     view.catalog);
}

json ServiceSpec(const FeatureService& service) {
  json features = json::array();
  for (const auto& ref : service.features) features.push_back(ref.ToString());
  json spec = WithCatalog({{"name", service.name}, {"features", std::move(features)},
                           {"description", service.description}},
                          service.catalog);
  // Only when set, so the hashes of services without it do not change.
  if (service.log_sample_rate != 1.0) {
    spec["logging"] = {{"sample_rate", service.log_sample_rate}};
  }
  return spec;
}

// Raised inside this file only, for a spec that does not have the expected shape.
class MalformedSpec : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `spec` must be an object with exactly `keys`.
void ExpectKeys(const json& spec, std::initializer_list<std::string_view> keys) {
  if (!spec.is_object()) throw MalformedSpec("expected an object, got " + spec.dump());
  for (std::string_view key : keys) {
    if (!spec.contains(key)) throw MalformedSpec("missing key '" + std::string(key) + "'");
  }
  for (const auto& [key, value] : spec.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      throw MalformedSpec("unknown key '" + key + "'");
    }
  }
}

std::string Str(const json& spec, const char* key) { return spec.at(key).get<std::string>(); }

// `spec` without its owner, tags and labels, which go to `*catalog`.
json TakeCatalog(json spec, CatalogInfo* catalog) {
  if (!spec.is_object()) return spec;
  if (spec.contains("owner")) catalog->owner = Str(spec, "owner");
  if (spec.contains("tags")) catalog->tags = spec.at("tags").get<std::vector<std::string>>();
  if (spec.contains("labels")) {
    catalog->labels = spec.at("labels").get<std::map<std::string, std::string>>();
  }
  for (const char* key : {"owner", "tags", "labels"}) spec.erase(key);
  return spec;
}

int64_t Duration(const json& spec, const char* key) {
  auto parsed = core::ParseDuration(Str(spec, key));
  if (!parsed.ok()) throw MalformedSpec(parsed.status().message());
  return *parsed;
}

Entity EntityFrom(const json& spec) {
  ExpectKeys(spec, {"name", "join_keys", "description"});
  Entity entity;
  entity.name = Str(spec, "name");
  entity.join_keys = spec.at("join_keys").get<std::vector<std::string>>();
  entity.description = Str(spec, "description");
  return entity;
}

core::Schema SchemaFrom(const json& spec) {
  core::Schema schema;
  for (const auto& item : spec) {
    core::ColumnSpec column;
    if (item.is_object() && item.contains("dim")) {
      column.dim = item.at("dim").get<int32_t>();
      json rest = item;
      rest.erase("dim");
      ExpectKeys(rest, {"name", "type", "nullable", "path"});
    } else {
      ExpectKeys(item, {"name", "type", "nullable", "path"});
    }
    column.name = Str(item, "name");
    auto type = core::ParseValueType(Str(item, "type"));
    if (!type.ok()) throw MalformedSpec(type.status().message());
    column.type = *type;
    column.nullable = item.at("nullable").get<bool>();
    column.path = Str(item, "path");
    schema.push_back(std::move(column));
  }
  return schema;
}

Source SourceFrom(const json& spec) {
  if (spec.is_object() && spec.contains("contract")) {
    json without = spec;
    without.erase("contract");
    Source source = SourceFrom(without);
    auto contract = ContractFromSpec(spec.at("contract"), source.schema);
    if (!contract.ok()) throw MalformedSpec(contract.status().message());
    source.contract = *std::move(contract);
    return source;
  }
  if (spec.is_object() && spec.contains("options")) {
    json without = spec;
    without.erase("options");
    Source source = SourceFrom(without);
    for (const auto& [key, value] : spec.at("options").items()) {
      source.options.push_back(SourceOption{key, value.get<std::string>(), {}});
    }
    return source;
  }
  // Keys only sources of one kind carry (SourceSpec writes them for that kind alone).
  struct KindKeys {
    const char* kind;
    std::vector<std::pair<const char*, std::string Source::*>> keys;
  };
  static const KindKeys kKindKeys[] = {
      {"kafka",
       {{"bootstrap_servers", &Source::bootstrap_servers},
        {"topic", &Source::topic},
        {"group", &Source::group}}},
      {"postgres",
       {{"dsn", &Source::dsn},
        {"table", &Source::table},
        {"query", &Source::query},
        {"cursor_column", &Source::cursor_column}}},
  };
  for (const auto& kind : kKindKeys) {
    if (!spec.is_object() || !spec.contains("kind") || spec.at("kind") != kind.kind) continue;
    json without = spec;
    for (const auto& [key, member] : kind.keys) {
      if (!spec.contains(key)) throw MalformedSpec("missing key '" + std::string(key) + "'");
      without.erase(key);
    }
    without["kind"] = "";
    Source source = SourceFrom(without);
    source.kind = kind.kind;
    for (const auto& [key, member] : kind.keys) source.*member = Str(spec, key);
    return source;
  }
  ExpectKeys(spec, {"name", "kind", "format", "timestamp_field", "created_timestamp_field",
                    "schema", "description"});
  Source source;
  source.name = Str(spec, "name");
  source.kind = Str(spec, "kind");
  source.format = Str(spec, "format");
  source.timestamp_field = Str(spec, "timestamp_field");
  source.created_timestamp_field = Str(spec, "created_timestamp_field");
  source.schema = SchemaFrom(spec.at("schema"));
  source.description = Str(spec, "description");
  return source;
}

Feature FeatureFrom(const json& with_catalog) {
  Feature feature;
  const json spec = TakeCatalog(with_catalog, &feature.catalog);
  const std::string kind = Str(spec, "kind");
  if (kind == "passthrough") {
    ExpectKeys(spec, {"name", "kind", "description", "column"});
    feature.kind = FeatureKind::kPassthrough;
    feature.column = Str(spec, "column");
  } else if (kind == "expression") {
    ExpectKeys(spec, {"name", "kind", "description", "expr"});
    feature.kind = FeatureKind::kExpression;
    feature.expr = Str(spec, "expr");
  } else if (kind == "aggregation") {
    ExpectKeys(spec, {"name", "kind", "description", "agg", "column", "window"});
    feature.kind = FeatureKind::kAggregation;
    feature.agg = Str(spec, "agg");
    feature.column = Str(spec, "column");
    feature.window_us = Duration(spec, "window");
  } else {
    throw MalformedSpec("unknown feature kind '" + kind + "'");
  }
  feature.name = Str(spec, "name");
  feature.description = Str(spec, "description");
  return feature;
}

FeatureView ViewFrom(const json& spec) {
  ExpectKeys(spec,
             {"name", "entities", "source", "ttl", "online", "features", "description"});
  FeatureView view;
  view.name = Str(spec, "name");
  view.entities = spec.at("entities").get<std::vector<std::string>>();
  view.source = Str(spec, "source");
  view.ttl_us = Duration(spec, "ttl");
  view.online = spec.at("online").get<bool>();
  for (const auto& item : spec.at("features")) view.features.push_back(FeatureFrom(item));
  view.description = Str(spec, "description");
  return view;
}

OnDemandFeatureView OnDemandViewFrom(const json& spec) {
  ExpectKeys(spec, {"name", "request_schema", "sources", "features", "description"});
  OnDemandFeatureView view;
  view.name = Str(spec, "name");
  view.request_schema = SchemaFrom(spec.at("request_schema"));
  view.sources = spec.at("sources").get<std::vector<std::string>>();
  for (const auto& with_catalog : spec.at("features")) {
    Feature feature;
    const json item = TakeCatalog(with_catalog, &feature.catalog);
    ExpectKeys(item, {"name", "expr", "description"});
    feature.kind = FeatureKind::kExpression;
    feature.name = Str(item, "name");
    feature.expr = Str(item, "expr");
    feature.description = Str(item, "description");
    view.features.push_back(std::move(feature));
  }
  view.description = Str(spec, "description");
  return view;
}

FeatureService ServiceFrom(json spec) {
  FeatureService service;
  if (spec.is_object() && spec.contains("logging")) {
    service.log_sample_rate = spec.at("logging").at("sample_rate").get<double>();
    spec.erase("logging");
  }
  ExpectKeys(spec, {"name", "features", "description"});
  service.name = Str(spec, "name");
  for (const auto& item : spec.at("features")) {
    auto ref = ParseFeatureRef(item.get<std::string>());
    if (!ref.ok()) throw MalformedSpec(ref.status().message());
    service.features.push_back(*std::move(ref));
  }
  service.description = Str(spec, "description");
  return service;
}

void AddObject(const SpecObject& object, Repo* repo) {
  CatalogInfo catalog;
  const json spec = TakeCatalog(object.spec, &catalog);
  auto add = [&catalog](auto* list, auto item) {
    item.catalog = std::move(catalog);
    list->push_back(std::move(item));
  };
  if (object.kind == "entity") {
    add(&repo->entities, EntityFrom(spec));
  } else if (object.kind == "source") {
    add(&repo->sources, SourceFrom(spec));
  } else if (object.kind == "feature_view") {
    add(&repo->feature_views, ViewFrom(spec));
  } else if (object.kind == "on_demand_feature_view") {
    add(&repo->on_demand_feature_views, OnDemandViewFrom(spec));
  } else if (object.kind == "feature_service") {
    add(&repo->feature_services, ServiceFrom(spec));
  } else {
    throw MalformedSpec("unknown kind");
  }
  if (Str(object.spec, "name") != object.name) {
    throw MalformedSpec("the spec names '" + Str(object.spec, "name") + "'");
  }
}

}  // namespace

int KindRank(std::string_view kind) {
  const auto it = std::find(std::begin(kSpecKinds), std::end(kSpecKinds), kind);
  return static_cast<int>(std::distance(std::begin(kSpecKinds), it));
}

std::string SpecText(const nlohmann::json& spec) {
  return spec.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<SpecObject> ToSpecObjects(const Repo& repo) {
  std::vector<SpecObject> objects;
  auto add = [&](std::string kind, const std::string& name, json spec) {
    std::string hash = core::HashHex(SpecText(spec));
    objects.push_back(SpecObject{std::move(kind), name, std::move(spec), std::move(hash)});
  };
  for (const auto& entity : repo.entities) add("entity", entity.name, EntitySpec(entity));
  for (const auto& source : repo.sources) add("source", source.name, SourceSpec(source));
  for (const auto& view : repo.feature_views) add("feature_view", view.name, ViewSpec(view));
  for (const auto& view : repo.on_demand_feature_views) {
    add("on_demand_feature_view", view.name, OnDemandViewSpec(view));
  }
  for (const auto& service : repo.feature_services) {
    add("feature_service", service.name, ServiceSpec(service));
  }
  std::stable_sort(objects.begin(), objects.end(), [](const SpecObject& a, const SpecObject& b) {
    const int ra = KindRank(a.kind), rb = KindRank(b.kind);
    return ra != rb ? ra < rb : a.name < b.name;
  });
  return objects;
}

Result<Repo> FromSpecObjects(const std::vector<SpecObject>& objects) {
  Repo repo;
  for (const auto& object : objects) {
    try {
      AddObject(object, &repo);
    } catch (const std::exception& e) {
      return Status::Invalid(object.kind, " '", object.name, "': malformed spec: ", e.what());
    }
  }
  return repo;
}

}  // namespace fst::definitions
