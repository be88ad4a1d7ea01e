#include "featherstone/definitions/validate.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

#include "featherstone/core/closest_name.h"
#include "featherstone/definitions/log_source_name.h"

namespace fst::definitions {
namespace {

constexpr std::string_view kFormats[] = {"csv", "parquet", "jsonl"};
constexpr std::string_view kAggs[] = {"count", "sum",  "avg",   "min",           "max",
                                      "stddev", "last", "first", "count_distinct"};
constexpr std::string_view kNumericAggs[] = {"sum", "avg", "stddev"};

template <typename... Args>
std::string Cat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

template <typename Range>
bool Contains(const Range& range, std::string_view value) {
  return std::find(std::begin(range), std::end(range), value) != std::end(range);
}

template <typename Range>
std::string Join(const Range& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// "(entities: a, b)", or "(no entities are defined)".
template <typename T>
std::string Defined(std::string_view plural, const std::vector<T>& items) {
  if (items.empty()) return Cat("(no ", plural, " are defined)");
  std::vector<std::string> names;
  for (const auto& item : items) names.push_back(item.name);
  return Cat("(", plural, ": ", Join(names), ")");
}

std::string Columns(const core::Schema& schema) { return Defined("columns", schema); }

// Object names appear in paths, keys and "view:feature" references.
bool IsObjectName(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// Feature names also appear in expressions.
bool IsFeatureName(std::string_view name) {
  return IsObjectName(name) && name.find('-') == std::string_view::npos;
}

bool IsNumeric(core::ValueType type) {
  using core::ValueType;
  return type == ValueType::kInt32 || type == ValueType::kInt64 || type == ValueType::kFloat32 ||
         type == ValueType::kFloat64;
}

class Problems {
 public:
  template <typename... Args>
  void Add(const Location& location, Args&&... args) {
    std::string line = location.ToString();
    if (!line.empty()) line += ": ";
    line += Cat(std::forward<Args>(args)...);
    lines_.push_back(std::move(line));
  }

  Status ToStatus() const {
    if (lines_.empty()) return Status::OK();
    std::string text;
    for (const auto& line : lines_) {
      if (!text.empty()) text += "\n";
      text += line;
    }
    return Status::Invalid(text);
  }

 private:
  std::vector<std::string> lines_;
};

template <typename T>
void CheckNames(const std::vector<T>& items, std::string_view kind, Problems* problems) {
  std::map<std::string, const T*> first;
  for (const auto& item : items) {
    if (!IsObjectName(item.name)) {
      problems->Add(item.location, kind, " '", item.name,
                    "': a name must start with a letter or '_' and contain only letters, "
                    "digits, '_' and '-'");
    }
    auto [it, inserted] = first.emplace(item.name, &item);
    if (inserted) continue;
    const std::string where = it->second->location.ToString();
    problems->Add(item.location, kind, " '", item.name, "' is defined twice",
                  where.empty() ? "" : " (first at " + where + ")");
  }
}

void CheckEntities(const Repo& repo, Problems* problems) {
  CheckNames(repo.entities, "entity", problems);
  for (const auto& entity : repo.entities) {
    if (entity.join_keys.empty()) {
      problems->Add(entity.location, "entity '", entity.name, "' has no join_keys");
    }
    std::set<std::string> seen;
    for (const auto& key : entity.join_keys) {
      if (key.empty()) {
        problems->Add(entity.location, "entity '", entity.name, "': a join key is empty");
      } else if (!seen.insert(key).second) {
        problems->Add(entity.location, "entity '", entity.name, "': join key '", key,
                      "' is listed twice");
      }
    }
  }
}

void CheckTimestampField(const Source& source, std::string_view role, const std::string& field,
                         Problems* problems) {
  const core::ColumnSpec* column = core::FindColumn(source.schema, field);
  if (column == nullptr) {
    problems->Add(source.location, "source '", source.name, "': ", role, " '", field,
                  "' is not in the schema ", Columns(source.schema));
  } else if (column->type != core::ValueType::kTimestamp) {
    problems->Add(source.location, "source '", source.name, "': ", role, " '", field,
                  "' has type ", core::ValueTypeName(column->type), "; it must be timestamp");
  }
}

void CheckKafkaSource(const Source& source, Problems* problems) {
  const std::string prefix = "source '" + source.name + "': ";
  if (!source.format.empty() && source.format != "json") {
    problems->Add(source.location, prefix, "format '", source.format,
                  "' is not one a kafka source reads; use json (one JSON object per message)");
  }
  if (source.bootstrap_servers.empty()) {
    problems->Add(source.location, prefix, "a kafka source needs bootstrap_servers (host:port)");
  }
  if (source.topic.empty()) problems->Add(source.location, prefix, "a kafka source needs a topic");
}

void CheckPostgresSource(const Source& source, Problems* problems) {
  const std::string prefix = "source '" + source.name + "': ";
  if (!source.format.empty()) {
    problems->Add(source.location, prefix, "format '", source.format,
                  "' does not apply to a postgres source (it reads rows, not files)");
  }
  if (source.dsn.empty()) {
    problems->Add(source.location, prefix, "a postgres source needs a dsn (a libpq connection "
                  "string or URI)");
  }
  if (source.table.empty() == source.query.empty()) {
    problems->Add(source.location, prefix, "a postgres source needs exactly one of table and "
                  "query");
  }
  if (!source.cursor_column.empty() &&
      core::FindColumn(source.schema, source.cursor_column) == nullptr) {
    problems->Add(source.location, prefix, "cursor_column '", source.cursor_column,
                  "' is not in the schema ", Columns(source.schema));
  }
}

void CheckSources(const Repo& repo, Problems* problems) {
  CheckNames(repo.sources, "source", problems);
  for (const auto& source : repo.sources) {
    const Location& at = source.location;
    const std::string prefix = "source '" + source.name + "': ";
    if (source.kind != "postgres" && (!source.dsn.empty() || !source.table.empty() ||
                                      !source.query.empty() || !source.cursor_column.empty())) {
      problems->Add(at, prefix, "dsn, table, query and cursor_column apply only to sources of "
                    "kind postgres");
    }
    if (source.kind == "postgres") {
      CheckPostgresSource(source, problems);
    } else if (source.kind == "kafka") {
      CheckKafkaSource(source, problems);
    } else if (source.kind == "file" || source.kind == "push") {
      if (!source.format.empty() && !Contains(kFormats, source.format)) {
        problems->Add(at, prefix, "format '", source.format, "' is not one of ", Join(kFormats));
      }
      if (!source.bootstrap_servers.empty() || !source.topic.empty() || !source.group.empty()) {
        problems->Add(at, prefix, "bootstrap_servers, topic and group apply only to sources of "
                      "kind kafka");
      }
    }
    for (const auto& option : source.options) {
      if (source.kind != "python" || option.key != "input") continue;
      if (option.value == source.name) {
        problems->Add(option.location, prefix, "input is the source itself; a python source "
                      "transforms the rows of another source");
      } else if (repo.FindSource(option.value) == nullptr) {
        problems->Add(option.location, prefix, "input source '", option.value, "' is not defined ",
                      Defined("sources", repo.sources));
      }
    }
    if (source.schema.empty()) problems->Add(at, prefix, "the schema has no columns");
    std::set<std::string> seen;
    for (const auto& column : source.schema) {
      if (column.name.empty()) {
        problems->Add(at, prefix, "a schema column has no name");
      } else if (!seen.insert(column.name).second) {
        problems->Add(at, prefix, "column '", column.name, "' is declared twice");
      }
    }
    if (source.timestamp_field.empty()) {
      problems->Add(at, prefix, "timestamp_field is missing");
    } else {
      CheckTimestampField(source, "timestamp_field", source.timestamp_field, problems);
    }
    if (!source.created_timestamp_field.empty()) {
      CheckTimestampField(source, "created_timestamp_field", source.created_timestamp_field,
                          problems);
    }
    if (source.contract.has_value()) {
      std::vector<ContractProblem> found;
      CheckContract(*source.contract, source.schema, source.timestamp_field, &found);
      for (const auto& p : found) {
        const Location where = p.line > 0 ? Location{at.file, p.line, p.column} : at;
        problems->Add(where, prefix, "contract: ", p.message);
      }
    }
  }
}

void CheckFeature(const FeatureView& view, const Feature& feature, const Source* source,
                  const std::vector<std::string>& join_keys, Problems* problems) {
  const Location& at = feature.location.line > 0 ? feature.location : view.location;
  const std::string prefix =
      "feature_view '" + view.name + "': feature '" + feature.name + "': ";
  if (!IsFeatureName(feature.name)) {
    problems->Add(at, prefix,
                  "a feature name must start with a letter or '_' and contain only letters, "
                  "digits and '_'");
  }
  if (Contains(join_keys, feature.name)) {
    problems->Add(at, prefix,
                  "the name is a join key of the view; join keys come with every row, so "
                  "rename the feature");
  }
  if (feature.kind != FeatureKind::kAggregation && feature.window_us != 0) {
    problems->Add(at, prefix, "a window applies only to aggregations");
  }
  auto check_column = [&] {
    if (source == nullptr || feature.column.empty()) return;
    if (core::FindColumn(source->schema, feature.column) == nullptr) {
      problems->Add(at, prefix, "column '", feature.column, "' is not in source '",
                    source->name, "' ", Columns(source->schema));
    }
  };
  switch (feature.kind) {
    case FeatureKind::kPassthrough:
      if (feature.column.empty()) problems->Add(at, prefix, "a passthrough needs a column");
      check_column();
      break;
    case FeatureKind::kExpression:
      if (feature.expr.empty()) problems->Add(at, prefix, "the expression is empty");
      break;
    case FeatureKind::kAggregation: {
      if (!Contains(kAggs, feature.agg)) {
        problems->Add(at, prefix, "unknown agg '", feature.agg, "' (expected one of: ",
                      Join(kAggs), ")");
      }
      if (feature.window_us <= 0) {
        problems->Add(at, prefix, "agg '", feature.agg,
                      "' needs a window greater than 0 (e.g. window: 30d)");
      }
      if (feature.column.empty() && feature.agg != "count") {
        problems->Add(at, prefix, "agg '", feature.agg, "' needs a column");
      }
      check_column();
      const core::ColumnSpec* column =
          source == nullptr ? nullptr : core::FindColumn(source->schema, feature.column);
      const bool vector_avg = feature.agg == "avg" && column != nullptr &&
                              column->type == core::ValueType::kListFloat32;
      if (column != nullptr && Contains(kNumericAggs, feature.agg) && !IsNumeric(column->type) &&
          !vector_avg) {
        problems->Add(at, prefix, "agg '", feature.agg, "' needs a numeric column; '",
                      column->name, "' is ", core::ValueTypeName(column->type),
                      column->type == core::ValueType::kListFloat32
                          ? " (vectors take last, first, avg, count and count_distinct)"
                          : "");
      }
      break;
    }
  }
}

void CheckViews(const Repo& repo, Problems* problems) {
  CheckNames(repo.feature_views, "feature_view", problems);
  for (const auto& view : repo.feature_views) {
    const Location& at = view.location;
    const std::string prefix = "feature_view '" + view.name + "': ";
    if (view.entities.empty()) problems->Add(at, prefix, "no entities are listed");
    std::set<std::string> seen_entities;
    for (const auto& name : view.entities) {
      if (!seen_entities.insert(name).second) {
        problems->Add(at, prefix, "entity '", name, "' is listed twice");
      } else if (repo.FindEntity(name) == nullptr) {
        problems->Add(at, prefix, "entity '", name, "' is not defined ",
                      Defined("entities", repo.entities));
      }
    }
    const Source* source = repo.FindSource(view.source);
    // A service's feature log is made from the service at plan (features/log_source.h), which
    // checks the view against the log's columns then.
    if (source == nullptr && LoggedService(repo, view.source).empty()) {
      problems->Add(at, prefix, "source '", view.source, "' is not defined ",
                    Defined("sources", repo.sources));
    }
    if (view.ttl_us < 0) problems->Add(at, prefix, "ttl must not be negative");
    const std::vector<std::string> join_keys = JoinKeys(repo, view);
    if (source != nullptr) {
      for (const auto& name : view.entities) {
        const Entity* entity = repo.FindEntity(name);
        if (entity == nullptr) continue;
        for (const auto& key : entity->join_keys) {
          if (core::FindColumn(source->schema, key) != nullptr) continue;
          problems->Add(at, prefix, "join key '", key, "' of entity '", name,
                        "' is not in source '", source->name, "' ", Columns(source->schema));
        }
      }
    }
    if (view.features.empty()) problems->Add(at, prefix, "no features are defined");
    std::map<std::string, const Feature*> first;
    for (const auto& feature : view.features) {
      CheckFeature(view, feature, source, join_keys, problems);
      auto [it, inserted] = first.emplace(feature.name, &feature);
      if (inserted) continue;
      const std::string where = it->second->location.ToString();
      problems->Add(feature.location.line > 0 ? feature.location : at, prefix, "feature '",
                    feature.name, "' is defined twice",
                    where.empty() ? "" : " (first at " + where + ")");
    }
  }
}

// "; did you mean 'x'?" for the closest of `names`, or "".
std::string Hint(std::string_view name, const std::vector<std::string>& names) {
  const std::string closest = core::ClosestName(name, names);
  return closest.empty() ? "" : "; did you mean '" + closest + "'?";
}

template <typename T>
std::vector<std::string> NamesOf(const std::vector<T>& items) {
  std::vector<std::string> names;
  for (const auto& item : items) names.push_back(item.name);
  return names;
}

void CheckRequestSchema(const OnDemandFeatureView& view, Problems* problems) {
  const std::string prefix = "on_demand_feature_view '" + view.name + "': request field '";
  std::set<std::string> seen;
  for (const auto& field : view.request_schema) {
    if (!IsFeatureName(field.name)) {
      problems->Add(view.location, prefix, field.name,
                    "': a name must start with a letter or '_' and contain only letters, "
                    "digits and '_'");
    } else if (!seen.insert(field.name).second) {
      problems->Add(view.location, prefix, field.name, "' is declared twice");
    }
    if (field.type == core::ValueType::kListString) {
      problems->Add(view.location, prefix, field.name, "' has type ",
                    core::ValueTypeName(field.type),
                    "; request fields are scalars or list<float32> vectors");
    }
    if (!field.path.empty()) {
      problems->Add(view.location, prefix, field.name, "': 'path' applies only to sources");
    }
  }
}

void CheckOnDemandViews(const Repo& repo, Problems* problems) {
  CheckNames(repo.on_demand_feature_views, "on_demand_feature_view", problems);
  const std::vector<std::string> view_names = NamesOf(repo.feature_views);
  for (const auto& view : repo.on_demand_feature_views) {
    const Location& at = view.location;
    const std::string prefix = "on_demand_feature_view '" + view.name + "': ";
    if (const FeatureView* stored = repo.FindView(view.name)) {
      const std::string where = stored->location.ToString();
      problems->Add(at, prefix, "the name is already taken by a feature_view",
                    where.empty() ? "" : " (at " + where + ")",
                    "; features are referenced as view:feature, so view names are unique");
    }
    CheckRequestSchema(view, problems);
    if (view.sources.empty()) {
      problems->Add(at, prefix,
                    "no sources are listed (the feature views whose features the expressions "
                    "read; they give the entities)");
    }
    std::set<std::string> seen_sources;
    for (const auto& source : view.sources) {
      if (!seen_sources.insert(source).second) {
        problems->Add(at, prefix, "source '", source, "' is listed twice");
      } else if (repo.FindView(source) == nullptr) {
        problems->Add(at, prefix, "source '", source, "' is not a feature_view ",
                      Defined("feature_views", repo.feature_views), Hint(source, view_names));
      }
    }
    if (view.features.empty()) problems->Add(at, prefix, "no features are defined");
    std::map<std::string, const Feature*> first;
    for (const auto& feature : view.features) {
      const Location& fat = feature.location.line > 0 ? feature.location : at;
      const std::string fprefix = prefix + "feature '" + feature.name + "': ";
      if (!IsFeatureName(feature.name)) {
        problems->Add(fat, fprefix,
                      "a feature name must start with a letter or '_' and contain only "
                      "letters, digits and '_'");
      }
      if (core::FindColumn(view.request_schema, feature.name) != nullptr) {
        problems->Add(fat, fprefix, "the name is a request field; rename the feature");
      }
      if (feature.kind != FeatureKind::kExpression || feature.expr.empty()) {
        problems->Add(fat, fprefix, "an on-demand feature needs an expression (expr)");
      }
      auto [it, inserted] = first.emplace(feature.name, &feature);
      if (inserted) continue;
      const std::string where = it->second->location.ToString();
      problems->Add(fat, prefix, "feature '", feature.name, "' is defined twice",
                    where.empty() ? "" : " (first at " + where + ")");
    }
  }
}

void CheckServices(const Repo& repo, Problems* problems) {
  CheckNames(repo.feature_services, "feature_service", problems);
  for (const auto& service : repo.feature_services) {
    const Location& at = service.location;
    const std::string prefix = "feature_service '" + service.name + "': ";
    if (service.features.empty()) problems->Add(at, prefix, "no features are listed");
    std::set<std::string> seen;
    for (const auto& ref : service.features) {
      const std::string text = ref.ToString();
      if (!seen.insert(text).second) {
        problems->Add(at, prefix, "'", text, "' is listed twice");
        continue;
      }
      const FeatureView* view = repo.FindView(ref.view);
      const OnDemandFeatureView* on_demand = repo.FindOnDemandView(ref.view);
      if (view == nullptr && on_demand == nullptr) {
        problems->Add(at, prefix, "feature_view '", ref.view, "' is not defined ",
                      Defined("feature_views", repo.feature_views));
        continue;
      }
      const std::vector<Feature>& features = view ? view->features : on_demand->features;
      const bool found = std::any_of(features.begin(), features.end(),
                                     [&](const Feature& f) { return f.name == ref.feature; });
      if (!found) {
        problems->Add(at, prefix, "feature '", ref.feature, "' is not in ",
                      view ? "feature_view '" : "on_demand_feature_view '", ref.view, "' ",
                      Defined("features", features));
      }
    }
  }
}

}  // namespace

Status Validate(const Repo& repo) {
  Problems problems;
  CheckEntities(repo, &problems);
  CheckSources(repo, &problems);
  CheckViews(repo, &problems);
  CheckOnDemandViews(repo, &problems);
  CheckServices(repo, &problems);
  return problems.ToStatus();
}

}  // namespace fst::definitions
