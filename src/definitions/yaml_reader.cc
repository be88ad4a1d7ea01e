#include "featherstone/definitions/yaml_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "featherstone/core/closest_name.h"
#include "featherstone/core/time.h"
#include "contract_yaml.h"
#include "lineage_yaml.h"
#include "featherstone/definitions/validate.h"
#include "featherstone/definitions/yaml_keys.h"

namespace fst::definitions {
namespace {

using Keys = std::span<const std::string_view>;

constexpr std::string_view kTopKeys[] = {
    "project",       "registry",      "online_store",           "lineage",         "entities",
    "sources",       "feature_views", "on_demand_feature_views", "feature_services"};
constexpr std::string_view kEntityKeys[] = {"name", "join_keys", "description", "owner", "tags",
                                            "labels"};
constexpr std::string_view kSourceKeys[] = {"name",   "kind",        "format",
                                            "timestamp_field", "created_timestamp_field",
                                            "schema", "description", "owner", "tags", "labels",
                                            "contract", "bootstrap_servers", "topic", "group",
                                            "dsn", "table", "query", "cursor_column"};
// Keys that only sources of kind kafka take.
constexpr std::string_view kKafkaKeys[] = {"bootstrap_servers", "topic", "group"};
// Keys that only sources of kind postgres take.
constexpr std::string_view kPostgresKeys[] = {"dsn", "table", "query", "cursor_column"};
// Kinds whose keys are all in kSourceKeys. Other kinds (connectors/source_kind.h) take keys
// of their own, kept as Source::options and checked against the kind's table at apply.
constexpr std::string_view kParserKinds[] = {"file", "push", "kafka", "postgres"};
constexpr std::string_view kColumnKeys[] = {"name", "type", "nullable", "path", "dim"};
constexpr std::string_view kViewKeys[] = {"name",     "entities",    "source", "ttl",
                                          "online",   "features",    "description", "owner",
                                          "tags",     "labels"};
constexpr std::string_view kFeatureKeys[] = {"name",        "column", "expr", "agg",   "window",
                                             "description", "owner",  "tags", "labels"};
constexpr std::string_view kOnDemandViewKeys[] = {"name",        "request_schema", "sources",
                                                  "features",    "description",    "owner",
                                                  "tags",        "labels"};
constexpr std::string_view kOnDemandFeatureKeys[] = {"name", "expr",   "description",
                                                     "owner", "tags", "labels"};
constexpr std::string_view kServiceKeys[] = {"name", "features", "description", "owner", "tags",
                                             "labels", "logging"};
constexpr std::string_view kLoggingKeys[] = {"sample_rate"};

// What is wrong with a column's `path` (docs/connectors.md, "Nested JSON"), or "": dot-separated
// non-empty steps, array elements as number steps ("items.0.sku", never "items[0].sku").
std::string PathProblem(const std::string& path) {
  if (path.empty()) return "";
  const size_t bracket = path.find_first_of("[]");
  if (bracket != std::string::npos) {
    std::string dotted;
    for (size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '[') {
        if (i > 0 && path[i - 1] != '.') dotted += '.';
      } else if (path[i] != ']') {
        dotted += path[i];
      }
    }
    return "'" + path + "' indexes with brackets; array elements are steps of the dotted path: '" +
           dotted + "'";
  }
  if (path.front() == '.' || path.back() == '.' || path.find("..") != std::string::npos) {
    return "'" + path + "' has an empty step; write steps separated by single dots, as in "
           "'address.city' or 'items.0.sku'";
  }
  return "";
}

bool IsCsv(const std::string& format) {
  return format.size() == 3 && (format[0] | 0x20) == 'c' && (format[1] | 0x20) == 's' &&
         (format[2] | 0x20) == 'v';
}

// The closest allowed key within two edits, or "".
std::string ClosestKey(std::string_view key, Keys allowed) {
  return core::ClosestName(key, std::vector<std::string>(allowed.begin(), allowed.end()));
}

std::string JoinKeyNames(Keys keys) {
  std::string out;
  for (std::string_view key : keys) {
    if (!out.empty()) out += ", ";
    out += key;
  }
  return out;
}

// Whether a file's top-level settings (project, registry, online_store, lineage) may be set.
enum class FileRole { kMain, kExtra };

class Parser {
 public:
  Parser(std::string file, FileRole role) : file_(std::move(file)), role_(role) {}

  // Errors: Invalid "file:line:column: message"; never throws.
  Result<Repo> Parse(std::string_view text) const;

 private:
  // A mapping whose keys were checked: scalar, unique and allowed. Getters leave `*out`
  // unchanged when the key is absent or null.
  class Fields {
   public:
    Fields(const Parser* parser, YAML::Node node, std::string what)
        : parser_(parser), node_(std::move(node)), what_(std::move(what)) {}

    const std::string& what() const { return what_; }
    bool Has(std::string_view key) const { return Get(key).IsDefined() && !Get(key).IsNull(); }
    YAML::Node Get(std::string_view key) const { return node_[std::string(key)]; }
    // The key's own position, for errors about its presence.
    YAML::Mark KeyMark(std::string_view key) const;
    // The value's position, or the key's when the value is null.
    YAML::Mark ValueMark(std::string_view key) const;

    Status Require(std::string_view key) const;
    Status String(std::string_view key, std::string* out) const;
    Status RequiredString(std::string_view key, std::string* out) const;
    Status Bool(std::string_view key, bool* out) const;
    Status Duration(std::string_view key, int64_t* out) const;
    Status StringList(std::string_view key, std::vector<std::string>* out) const;
    // The list under `key` (an empty node when absent or null).
    Result<YAML::Node> List(std::string_view key) const;
    // description, owner, tags (a list of strings) and labels (a map of string to string).
    Status Catalog(std::string* description, CatalogInfo* out) const;

   private:
    const Parser* parser_;
    YAML::Node node_;
    std::string what_;
  };

  std::string Where(const YAML::Mark& mark) const;
  Location Locate(const YAML::Mark& mark) const;
  template <typename... Args>
  Status Error(const YAML::Mark& mark, Args&&... args) const {
    return Status::Invalid(Where(mark), ": ", std::forward<Args>(args)...);
  }

  // Checks `node` is a map with allowed keys; `kind` names it in messages ("feature_view").
  Result<Fields> Open(const YAML::Node& node, std::string_view kind, Keys allowed,
                      const std::string& parent = "") const;

  Result<Repo> ParseRoot(const YAML::Node& root) const;
  Result<Entity> ReadEntity(const YAML::Node& node) const;
  Result<Source> ReadSource(const YAML::Node& node) const;
  // bootstrap_servers, topic and group: required (the first two) for kind kafka, refused
  // for other kinds.
  Status ReadKafkaKeys(const Fields& fields, Source* source) const;
  // Invalid at the first of `keys` present: they apply only to sources of kind `kind`.
  Status RefuseKindKeys(const Fields& fields, Keys keys, std::string_view kind,
                        const Source& source) const;
  // dsn, table or query (exactly one) and cursor_column (a schema column): for kind postgres,
  // refused for other kinds.
  Status ReadPostgresKeys(const Fields& fields, Source* source) const;
  Result<core::ColumnSpec> ReadColumn(const YAML::Node& node, const std::string& parent) const;
  // Reads "dim": required for list<float32> (a positive count), refused for other types.
  Status ReadDimension(const Fields& fields, core::ColumnSpec* column) const;
  Result<FeatureView> ReadView(const YAML::Node& node) const;
  Result<Feature> ReadFeature(const YAML::Node& node, const std::string& parent) const;
  Result<OnDemandFeatureView> ReadOnDemandView(const YAML::Node& node) const;
  Result<Feature> ReadOnDemandFeature(const YAML::Node& node, const std::string& parent) const;
  Result<FeatureService> ReadService(const YAML::Node& node) const;
  // `logging: {sample_rate: R}` of a service, 0 <= R <= 1.
  Status ReadLogging(const Fields& service_fields, FeatureService* service) const;

  // Reads every item of the list `key` of `top` with `read` into `out`.
  template <typename T, typename ReadFn>
  Status ReadItems(const Fields& top, std::string_view key, ReadFn read,
                   std::vector<T>* out) const {
    FST_ASSIGN_OR_RAISE(YAML::Node list, top.List(key));
    for (const auto& item : list) {
      FST_ASSIGN_OR_RAISE(T value, (this->*read)(item));
      out->push_back(std::move(value));
    }
    return Status::OK();
  }

  std::string file_;
  FileRole role_;
};

std::string Parser::Where(const YAML::Mark& mark) const {
  return mark.is_null() ? file_ : Locate(mark).ToString();
}

Location Parser::Locate(const YAML::Mark& mark) const {
  if (mark.is_null()) return Location{file_, 0, 0};
  return Location{file_, mark.line + 1, mark.column + 1};
}

YAML::Mark Parser::Fields::KeyMark(std::string_view key) const {
  for (const auto& entry : node_) {
    if (entry.first.Scalar() == key) return entry.first.Mark();
  }
  return node_.Mark();
}

YAML::Mark Parser::Fields::ValueMark(std::string_view key) const {
  const YAML::Node value = Get(key);
  if (!value.IsDefined() || value.IsNull()) return KeyMark(key);
  return value.Mark();
}

Status Parser::Fields::Require(std::string_view key) const {
  if (Has(key)) return Status::OK();
  return parser_->Error(node_.Mark(), what_, " is missing required key '", key, "'");
}

Status Parser::Fields::String(std::string_view key, std::string* out) const {
  if (!Has(key)) return Status::OK();
  const YAML::Node value = Get(key);
  if (!value.IsScalar()) {
    return parser_->Error(ValueMark(key), "'", key, "' must be a string, got ",
                          DescribeYaml(value));
  }
  *out = value.Scalar();
  return Status::OK();
}

Status Parser::Fields::RequiredString(std::string_view key, std::string* out) const {
  FST_RETURN_NOT_OK(Require(key));
  FST_RETURN_NOT_OK(String(key, out));
  if (out->empty()) return parser_->Error(ValueMark(key), "'", key, "' must not be empty");
  return Status::OK();
}

Status Parser::Fields::Bool(std::string_view key, bool* out) const {
  if (!Has(key)) return Status::OK();
  const YAML::Node value = Get(key);
  bool parsed = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, parsed)) {
    return parser_->Error(ValueMark(key), "'", key, "' must be a boolean, got ",
                          DescribeYaml(value));
  }
  *out = parsed;
  return Status::OK();
}

Status Parser::Fields::Duration(std::string_view key, int64_t* out) const {
  std::string text;
  FST_RETURN_NOT_OK(String(key, &text));
  if (!Has(key)) return Status::OK();
  auto parsed = core::ParseDuration(text);
  if (!parsed.ok()) {
    return parser_->Error(ValueMark(key), "'", key, "' of ", what_, ": ",
                          parsed.status().message());
  }
  *out = *parsed;
  return Status::OK();
}

Result<YAML::Node> Parser::Fields::List(std::string_view key) const {
  if (!Has(key)) return YAML::Node(YAML::NodeType::Sequence);
  const YAML::Node value = Get(key);
  if (!value.IsSequence()) {
    return parser_->Error(ValueMark(key), "'", key, "' must be a list, got ", DescribeYaml(value));
  }
  return value;
}

Status Parser::Fields::StringList(std::string_view key, std::vector<std::string>* out) const {
  FST_ASSIGN_OR_RAISE(YAML::Node list, List(key));
  out->clear();
  for (const auto& item : list) {
    if (!item.IsScalar()) {
      return parser_->Error(item.Mark(), "'", key, "' must be a list of strings, got ",
                            DescribeYaml(item), " in it");
    }
    out->push_back(item.Scalar());
  }
  return Status::OK();
}

Status Parser::Fields::Catalog(std::string* description, CatalogInfo* out) const {
  FST_RETURN_NOT_OK(String("description", description));
  FST_RETURN_NOT_OK(String("owner", &out->owner));
  if (Has("tags") && Get("tags").IsMap()) {
    return parser_->Error(ValueMark("tags"), "'tags' of ", what_,
                          " must be a list of strings, got a map (key: value pairs go under "
                          "'labels')");
  }
  FST_RETURN_NOT_OK(StringList("tags", &out->tags));
  if (!Has("labels")) return Status::OK();
  const YAML::Node labels = Get("labels");
  if (!labels.IsMap()) {
    return parser_->Error(ValueMark("labels"), "'labels' of ", what_,
                          " must be a map of string to string, got ", DescribeYaml(labels));
  }
  for (const auto& entry : labels) {
    if (!entry.first.IsScalar()) {
      return parser_->Error(entry.first.Mark(), "label names of ", what_,
                            " must be strings, got ", DescribeYaml(entry.first));
    }
    if (!entry.second.IsScalar()) {
      return parser_->Error(entry.second.Mark(), "label '", entry.first.Scalar(), "' of ",
                            what_, " must be a string, got ", DescribeYaml(entry.second));
    }
    out->labels[entry.first.Scalar()] = entry.second.Scalar();
  }
  return Status::OK();
}

Result<Parser::Fields> Parser::Open(const YAML::Node& node, std::string_view kind, Keys allowed,
                                    const std::string& parent) const {
  if (!node.IsMap()) {
    return Error(node.Mark(), "each ", kind, " must be a map, got ", DescribeYaml(node));
  }
  std::string what(kind);
  const YAML::Node name = node["name"];
  const bool named = std::find(allowed.begin(), allowed.end(), "name") != allowed.end();
  if (named && name.IsDefined() && name.IsScalar()) what += " '" + name.Scalar() + "'";
  if (!parent.empty()) what += " of " + parent;
  auto problem = FindYamlKeyProblem(node, allowed, what, [&](const std::string& key) {
    const std::string hint = ClosestKey(key, allowed);
    return hint.empty() ? " (expected one of: " + JoinKeyNames(allowed) + ")"
                        : "; did you mean '" + hint + "'?";
  });
  if (problem.has_value()) return Error(problem->mark, problem->message);
  return Fields(this, node, std::move(what));
}

Result<Entity> Parser::ReadEntity(const YAML::Node& node) const {
  FST_ASSIGN_OR_RAISE(Fields fields, Open(node, "entity", kEntityKeys));
  Entity entity;
  entity.location = Locate(node.Mark());
  FST_RETURN_NOT_OK(fields.RequiredString("name", &entity.name));
  FST_RETURN_NOT_OK(fields.Require("join_keys"));
  FST_RETURN_NOT_OK(fields.StringList("join_keys", &entity.join_keys));
  FST_RETURN_NOT_OK(fields.Catalog(&entity.description, &entity.catalog));
  return entity;
}

Result<core::ColumnSpec> Parser::ReadColumn(const YAML::Node& node,
                                            const std::string& parent) const {
  FST_ASSIGN_OR_RAISE(Fields fields, Open(node, "column", kColumnKeys, parent));
  core::ColumnSpec column;
  FST_RETURN_NOT_OK(fields.RequiredString("name", &column.name));
  std::string type;
  FST_RETURN_NOT_OK(fields.RequiredString("type", &type));
  auto parsed = core::ParseValueType(type);
  if (!parsed.ok()) {
    return Error(fields.ValueMark("type"), "'type' of ", fields.what(), ": ",
                 parsed.status().message());
  }
  column.type = *parsed;
  FST_RETURN_NOT_OK(fields.Bool("nullable", &column.nullable));
  FST_RETURN_NOT_OK(fields.String("path", &column.path));
  const std::string problem = PathProblem(column.path);
  if (!problem.empty()) {
    return Error(fields.ValueMark("path"), "'path' of ", fields.what(), ": ", problem);
  }
  FST_RETURN_NOT_OK(ReadDimension(fields, &column));
  return column;
}

Status Parser::ReadDimension(const Fields& fields, core::ColumnSpec* column) const {
  const bool embedding = column->type == core::ValueType::kListFloat32;
  if (!fields.Has("dim")) {
    if (!embedding) return Status::OK();
    return Error(fields.KeyMark("type"), fields.what(),
                 ": list<float32> needs 'dim', the number of values in every vector "
                 "(e.g. {name: embedding, type: list<float32>, dim: 384})");
  }
  if (!embedding) {
    return Error(fields.KeyMark("dim"), "'dim' of ", fields.what(),
                 " applies only to type list<float32>, not ", core::ValueTypeName(column->type));
  }
  const YAML::Node value = fields.Get("dim");
  int64_t dim = 0;
  constexpr int64_t kMaxDim = 1 << 20;
  if (!value.IsScalar() || !YAML::convert<int64_t>::decode(value, dim) || dim < 1 ||
      dim > kMaxDim) {
    return Error(fields.ValueMark("dim"), "'dim' of ", fields.what(),
                 " must be a whole number from 1 to ", kMaxDim, ", got ", DescribeYaml(value));
  }
  column->dim = static_cast<int32_t>(dim);
  return Status::OK();
}

Result<Source> Parser::ReadSource(const YAML::Node& node) const {
  // A kind of connectors/source_kind.h: any scalar key outside kSourceKeys is an option.
  std::vector<std::string_view> allowed(std::begin(kSourceKeys), std::end(kSourceKeys));
  std::vector<std::string> option_keys;
  const YAML::Node kind = node.IsMap() ? node["kind"] : YAML::Node();
  const bool own_keys = kind.IsDefined() && kind.IsScalar() &&
                        std::find(std::begin(kParserKinds), std::end(kParserKinds),
                                  kind.Scalar()) == std::end(kParserKinds);
  if (own_keys) {
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) continue;
      const std::string& key = entry.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      option_keys.push_back(key);
    }
    for (const auto& key : option_keys) allowed.push_back(key);
  }
  FST_ASSIGN_OR_RAISE(Fields fields, Open(node, "source", allowed));
  Source source;
  source.location = Locate(node.Mark());
  for (const auto& key : option_keys) {
    SourceOption option{key, "", Locate(fields.KeyMark(key))};
    FST_RETURN_NOT_OK(fields.RequiredString(key, &option.value));
    source.options.push_back(std::move(option));
  }
  FST_RETURN_NOT_OK(fields.RequiredString("name", &source.name));
  FST_RETURN_NOT_OK(fields.String("kind", &source.kind));
  FST_RETURN_NOT_OK(fields.String("format", &source.format));
  FST_RETURN_NOT_OK(fields.RequiredString("timestamp_field", &source.timestamp_field));
  FST_RETURN_NOT_OK(fields.String("created_timestamp_field", &source.created_timestamp_field));
  FST_RETURN_NOT_OK(fields.Require("schema"));
  FST_ASSIGN_OR_RAISE(YAML::Node schema, fields.List("schema"));
  for (const auto& item : schema) {
    FST_ASSIGN_OR_RAISE(core::ColumnSpec column, ReadColumn(item, fields.what()));
    if (!column.path.empty() && IsCsv(source.format)) {
      return Error(item["path"].Mark(), "column '", column.name, "' of ", fields.what(),
                   " declares 'path', but the source's format is csv: CSV columns are read by "
                   "their header name (paths reach into JSON objects and Parquet structs)");
    }
    source.schema.push_back(std::move(column));
    source.column_locations.push_back(Locate(item.Mark()));
  }
  if (fields.Has("contract")) {
    FST_ASSIGN_OR_RAISE(source.contract, internal::ReadContractYaml(fields.Get("contract"), file_,
                                                                    fields.what(), source.schema));
  }
  FST_RETURN_NOT_OK(fields.Catalog(&source.description, &source.catalog));
  FST_RETURN_NOT_OK(ReadKafkaKeys(fields, &source));
  FST_RETURN_NOT_OK(ReadPostgresKeys(fields, &source));
  return source;
}

Status Parser::RefuseKindKeys(const Fields& fields, Keys keys, std::string_view kind,
                              const Source& source) const {
  for (std::string_view key : keys) {
    if (fields.Has(key)) {
      return Error(fields.KeyMark(key), "'", key, "' in ", fields.what(),
                   " applies only to sources of kind ", kind, " (this one is '", source.kind,
                   "')");
    }
  }
  return Status::OK();
}

Status Parser::ReadPostgresKeys(const Fields& fields, Source* source) const {
  if (source->kind != "postgres") {
    return RefuseKindKeys(fields, kPostgresKeys, "postgres", *source);
  }
  FST_RETURN_NOT_OK(fields.RequiredString("dsn", &source->dsn));
  if (fields.Has("table") && fields.Has("query")) {
    return Error(fields.KeyMark("query"), fields.what(),
                 " has both 'table' and 'query'; use one");
  }
  if (!fields.Has("table") && !fields.Has("query")) {
    return Error(fields.KeyMark("dsn"), fields.what(),
                 " needs 'table' or 'query' (what to read from the database)");
  }
  FST_RETURN_NOT_OK(fields.String("table", &source->table));
  FST_RETURN_NOT_OK(fields.String("query", &source->query));
  FST_RETURN_NOT_OK(fields.String("cursor_column", &source->cursor_column));
  if (fields.Has("cursor_column") &&
      core::FindColumn(source->schema, source->cursor_column) == nullptr) {
    std::vector<std::string> names;
    for (const auto& column : source->schema) names.push_back(column.name);
    const std::string close = core::ClosestName(source->cursor_column, names);
    return Error(fields.ValueMark("cursor_column"), "'cursor_column' of ", fields.what(), ": '",
                 source->cursor_column, "' is not a column of the schema",
                 close.empty() ? std::string() : " (did you mean '" + close + "'?)");
  }
  return Status::OK();
}

Status Parser::ReadKafkaKeys(const Fields& fields, Source* source) const {
  if (source->kind != "kafka") return RefuseKindKeys(fields, kKafkaKeys, "kafka", *source);
  FST_RETURN_NOT_OK(fields.RequiredString("bootstrap_servers", &source->bootstrap_servers));
  FST_RETURN_NOT_OK(fields.RequiredString("topic", &source->topic));
  return fields.String("group", &source->group);
}

Result<Feature> Parser::ReadFeature(const YAML::Node& node, const std::string& parent) const {
  FST_ASSIGN_OR_RAISE(Fields fields, Open(node, "feature", kFeatureKeys, parent));
  Feature feature;
  feature.location = Locate(node.Mark());
  FST_RETURN_NOT_OK(fields.RequiredString("name", &feature.name));
  if (fields.Has("agg") && fields.Has("expr")) {
    return Error(fields.KeyMark("expr"), fields.what(), " has both 'agg' and 'expr'; use one");
  }
  if (fields.Has("agg")) {
    feature.kind = FeatureKind::kAggregation;
    FST_RETURN_NOT_OK(fields.RequiredString("agg", &feature.agg));
    FST_RETURN_NOT_OK(fields.String("column", &feature.column));
    FST_RETURN_NOT_OK(fields.Duration("window", &feature.window_us));
  } else {
    if (fields.Has("window")) {
      return Error(fields.KeyMark("window"), "'window' in ", fields.what(),
                   " applies only to aggregations (add 'agg')");
    }
    if (fields.Has("expr")) {
      feature.kind = FeatureKind::kExpression;
      if (fields.Has("column")) {
        return Error(fields.KeyMark("column"), "'column' in ", fields.what(),
                     " cannot be combined with 'expr'; name the column in the expression");
      }
      FST_RETURN_NOT_OK(fields.RequiredString("expr", &feature.expr));
    } else {
      feature.column = feature.name;
      FST_RETURN_NOT_OK(fields.String("column", &feature.column));
    }
  }
  FST_RETURN_NOT_OK(fields.Catalog(&feature.description, &feature.catalog));
  return feature;
}

Result<FeatureView> Parser::ReadView(const YAML::Node& node) const {
  FST_ASSIGN_OR_RAISE(Fields fields, Open(node, "feature_view", kViewKeys));
  FeatureView view;
  view.location = Locate(node.Mark());
  FST_RETURN_NOT_OK(fields.RequiredString("name", &view.name));
  FST_RETURN_NOT_OK(fields.Require("entities"));
  FST_RETURN_NOT_OK(fields.StringList("entities", &view.entities));
  FST_RETURN_NOT_OK(fields.RequiredString("source", &view.source));
  FST_RETURN_NOT_OK(fields.Duration("ttl", &view.ttl_us));
  FST_RETURN_NOT_OK(fields.Bool("online", &view.online));
  FST_RETURN_NOT_OK(fields.Require("features"));
  FST_ASSIGN_OR_RAISE(YAML::Node features, fields.List("features"));
  for (const auto& item : features) {
    FST_ASSIGN_OR_RAISE(Feature feature, ReadFeature(item, fields.what()));
    view.features.push_back(std::move(feature));
  }
  FST_RETURN_NOT_OK(fields.Catalog(&view.description, &view.catalog));
  return view;
}

Result<Feature> Parser::ReadOnDemandFeature(const YAML::Node& node,
                                            const std::string& parent) const {
  FST_ASSIGN_OR_RAISE(Fields fields, Open(node, "feature", kOnDemandFeatureKeys, parent));
  Feature feature;
  feature.location = Locate(node.Mark());
  feature.kind = FeatureKind::kExpression;
  FST_RETURN_NOT_OK(fields.RequiredString("name", &feature.name));
  FST_RETURN_NOT_OK(fields.RequiredString("expr", &feature.expr));
  FST_RETURN_NOT_OK(fields.Catalog(&feature.description, &feature.catalog));
  return feature;
}

Result<OnDemandFeatureView> Parser::ReadOnDemandView(const YAML::Node& node) const {
  FST_ASSIGN_OR_RAISE(Fields fields, Open(node, "on_demand_feature_view", kOnDemandViewKeys));
  OnDemandFeatureView view;
  view.location = Locate(node.Mark());
  FST_RETURN_NOT_OK(fields.RequiredString("name", &view.name));
  FST_ASSIGN_OR_RAISE(YAML::Node schema, fields.List("request_schema"));
  for (const auto& item : schema) {
    FST_ASSIGN_OR_RAISE(core::ColumnSpec column, ReadColumn(item, fields.what()));
    view.request_schema.push_back(std::move(column));
  }
  FST_RETURN_NOT_OK(fields.StringList("sources", &view.sources));
  FST_RETURN_NOT_OK(fields.Require("features"));
  FST_ASSIGN_OR_RAISE(YAML::Node features, fields.List("features"));
  for (const auto& item : features) {
    FST_ASSIGN_OR_RAISE(Feature feature, ReadOnDemandFeature(item, fields.what()));
    view.features.push_back(std::move(feature));
  }
  FST_RETURN_NOT_OK(fields.Catalog(&view.description, &view.catalog));
  return view;
}

Result<FeatureService> Parser::ReadService(const YAML::Node& node) const {
  FST_ASSIGN_OR_RAISE(Fields fields, Open(node, "feature_service", kServiceKeys));
  FeatureService service;
  service.location = Locate(node.Mark());
  FST_RETURN_NOT_OK(fields.RequiredString("name", &service.name));
  FST_RETURN_NOT_OK(fields.Require("features"));
  FST_ASSIGN_OR_RAISE(YAML::Node features, fields.List("features"));
  for (const auto& item : features) {
    if (!item.IsScalar()) {
      return Error(item.Mark(), "'features' of ", fields.what(),
                   " must be a list of view:feature strings, got ", DescribeYaml(item), " in it");
    }
    auto ref = ParseFeatureRef(item.Scalar());
    if (!ref.ok()) return Error(item.Mark(), fields.what(), ": ", ref.status().message());
    service.features.push_back(*std::move(ref));
  }
  FST_RETURN_NOT_OK(fields.Catalog(&service.description, &service.catalog));
  FST_RETURN_NOT_OK(ReadLogging(fields, &service));
  return service;
}

Status Parser::ReadLogging(const Fields& service_fields, FeatureService* service) const {
  if (!service_fields.Has("logging")) return Status::OK();
  const YAML::Node node = service_fields.Get("logging");
  if (!node.IsMap()) {
    return Error(service_fields.ValueMark("logging"), "'logging' of ", service_fields.what(),
                 " must be a map like {sample_rate: 0.5}, got ", DescribeYaml(node));
  }
  FST_ASSIGN_OR_RAISE(Fields fields, Open(node, "logging", kLoggingKeys, service_fields.what()));
  if (!fields.Has("sample_rate")) return Status::OK();
  const YAML::Node value = fields.Get("sample_rate");
  double rate = -1;
  if (!value.IsScalar() || !YAML::convert<double>::decode(value, rate) || !(rate >= 0) ||
      rate > 1) {
    return Error(fields.ValueMark("sample_rate"), "'sample_rate' of ", fields.what(),
                 " must be a number from 0 to 1 (the share of responses logged), got ",
                 DescribeYaml(value));
  }
  service->log_sample_rate = rate;
  return Status::OK();
}

Result<Repo> Parser::Parse(std::string_view text) const {
  try {
    return ParseRoot(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& e) {
    return Error(e.mark, "invalid YAML: ", e.msg);
  }
}

Result<Repo> Parser::ParseRoot(const YAML::Node& root) const {
  Repo repo;
  if (!root.IsDefined() || root.IsNull()) return repo;
  if (!root.IsMap()) {
    return Error(root.Mark(), "the top level must be a map of ", JoinKeyNames(kTopKeys),
                 ", got ", DescribeYaml(root));
  }
  FST_ASSIGN_OR_RAISE(Fields top, Open(root, "the top-level map", kTopKeys));
  if (role_ == FileRole::kExtra) {
    for (std::string_view key : {"project", "registry", "online_store", "lineage"}) {
      if (top.Get(key).IsDefined()) {
        return Error(top.KeyMark(key), "'", key, "' may only be set in featherstone.yaml");
      }
    }
  }
  FST_RETURN_NOT_OK(top.String("project", &repo.project));
  FST_RETURN_NOT_OK(top.String("registry", &repo.registry));
  FST_RETURN_NOT_OK(top.String("online_store", &repo.online_store));
  if (top.Has("registry")) repo.registry_location = Locate(top.ValueMark("registry"));
  if (top.Has("online_store")) repo.online_store_location = Locate(top.ValueMark("online_store"));
  if (top.Get("lineage").IsDefined()) {
    FST_ASSIGN_OR_RAISE(repo.lineage, internal::ReadLineageYaml(top.Get("lineage"), file_));
  }
  FST_RETURN_NOT_OK(ReadItems(top, "entities", &Parser::ReadEntity, &repo.entities));
  FST_RETURN_NOT_OK(ReadItems(top, "sources", &Parser::ReadSource, &repo.sources));
  FST_RETURN_NOT_OK(ReadItems(top, "feature_views", &Parser::ReadView, &repo.feature_views));
  FST_RETURN_NOT_OK(ReadItems(top, "on_demand_feature_views", &Parser::ReadOnDemandView,
                              &repo.on_demand_feature_views));
  FST_RETURN_NOT_OK(
      ReadItems(top, "feature_services", &Parser::ReadService, &repo.feature_services));
  return repo;
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path.string(), ": cannot open");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError(path.string(), ": read error");
  return text;
}

template <typename T>
void Append(std::vector<T>* to, std::vector<T>* from) {
  std::move(from->begin(), from->end(), std::back_inserter(*to));
}

}  // namespace

Result<Repo> ParseYaml(std::string_view text, const std::string& file_name) {
  return Parser(file_name, FileRole::kMain).Parse(text);
}

Result<Repo> LoadSettings(const std::string& repo_dir) {
  const std::filesystem::path path = std::filesystem::path(repo_dir) / "featherstone.yaml";
  Repo settings;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return settings;
  FST_ASSIGN_OR_RAISE(std::string text, ReadFile(path));
  // Only the top-level settings: errors in the objects are reported by plan and apply, not
  // by every command that opens the repo.
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception&) {
    return settings;
  }
  if (!root.IsMap()) return settings;
  const YAML::Node& top = root;
  auto read = [&](const char* key, std::string* value, Location* where) {
    const YAML::Node node = top[key];
    if (!node.IsDefined() || !node.IsScalar()) return;
    *value = node.Scalar();
    if (where != nullptr) {
      *where = Location{"featherstone.yaml", node.Mark().line + 1, node.Mark().column + 1};
    }
  };
  read("project", &settings.project, nullptr);
  read("registry", &settings.registry, &settings.registry_location);
  read("online_store", &settings.online_store, &settings.online_store_location);
  // A wrong `lineage:` is refused here, by every command: it decides where each run's events go.
  if (top["lineage"].IsDefined()) {
    FST_ASSIGN_OR_RAISE(settings.lineage,
                        internal::ReadLineageYaml(top["lineage"], "featherstone.yaml"));
  }
  return settings;
}

Result<Repo> LoadRepo(const std::string& repo_dir) {
  namespace fs = std::filesystem;
  const fs::path dir(repo_dir);
  const fs::path main_path = dir / "featherstone.yaml";
  std::error_code ec;
  if (!fs::is_regular_file(main_path, ec)) {
    return Status::IOError(main_path.string(),
                           ": not found; run `featherstone init DIR` or create it");
  }
  FST_ASSIGN_OR_RAISE(std::string main_text, ReadFile(main_path));
  FST_ASSIGN_OR_RAISE(Repo repo, ParseYaml(main_text, "featherstone.yaml"));
  if (repo.project.empty()) {
    return Status::Invalid("featherstone.yaml: missing required key 'project' (the project name)");
  }

  std::vector<fs::path> extra;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    const std::string ext = path.extension().string();
    if (name == "featherstone.yaml" || name.starts_with(".")) continue;
    if (ext != ".yaml" && ext != ".yml") continue;
    if (!it->is_regular_file(ec)) continue;
    extra.push_back(path);
  }
  if (ec) return Status::IOError(dir.string(), ": cannot list: ", ec.message());
  std::sort(extra.begin(), extra.end());

  for (const auto& path : extra) {
    FST_ASSIGN_OR_RAISE(std::string text, ReadFile(path));
    FST_ASSIGN_OR_RAISE(Repo part,
                        Parser(path.filename().string(), FileRole::kExtra).Parse(text));
    Append(&repo.entities, &part.entities);
    Append(&repo.sources, &part.sources);
    Append(&repo.feature_views, &part.feature_views);
    Append(&repo.on_demand_feature_views, &part.on_demand_feature_views);
    Append(&repo.feature_services, &part.feature_services);
  }
  FST_RETURN_NOT_OK(Validate(repo));
  return repo;
}

}  // namespace fst::definitions
