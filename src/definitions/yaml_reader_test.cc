#include "featherstone/definitions/yaml_reader.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "featherstone/core/time.h"

namespace fst::definitions {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDay = core::kMicrosPerDay;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string ErrorOf(const std::string& yaml) {
  auto repo = ParseYaml(yaml, "featherstone.yaml");
  return repo.ok() ? "OK" : repo.status().message();
}

// Entity and source shared by the snippets below (lines 1-7).
constexpr char kHead[] = R"(project: shop
entities:
  - {name: customer, join_keys: [customer_id]}
sources:
  - name: orders
    timestamp_field: event_ts
    schema: [{name: customer_id, type: int64}, {name: event_ts, type: timestamp}]
)";

TEST(ParseYaml, DesignExample) {
  const std::string text = ReadText(fs::path(FST_DEFINITIONS_CASES) / "design_example.yaml");
  auto parsed = ParseYaml(text, "featherstone.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Repo& repo = *parsed;
  EXPECT_EQ(repo.project, "shop");
  EXPECT_EQ(repo.registry, "sqlite");
  EXPECT_EQ(repo.online_store, "rocksdb");

  ASSERT_EQ(repo.entities.size(), 1u);
  EXPECT_EQ(repo.entities[0].name, "customer");
  EXPECT_EQ(repo.entities[0].join_keys, std::vector<std::string>{"customer_id"});
  EXPECT_EQ(repo.entities[0].description, "A buying customer");
  EXPECT_EQ(repo.entities[0].location.ToString(), "featherstone.yaml:6:5");

  ASSERT_EQ(repo.sources.size(), 1u);
  const Source& orders = repo.sources[0];
  EXPECT_EQ(orders.kind, "file");
  EXPECT_EQ(orders.format, "csv");
  EXPECT_EQ(orders.timestamp_field, "event_ts");
  EXPECT_EQ(orders.created_timestamp_field, "created_ts");
  ASSERT_EQ(orders.schema.size(), 5u);
  EXPECT_EQ(orders.schema[0].name, "customer_id");
  EXPECT_EQ(orders.schema[0].type, core::ValueType::kInt64);
  EXPECT_EQ(orders.schema[2].type, core::ValueType::kFloat64);
  EXPECT_TRUE(orders.schema[2].nullable);
  EXPECT_EQ(orders.schema[3].type, core::ValueType::kTimestamp);

  ASSERT_EQ(repo.feature_views.size(), 1u);
  const FeatureView& view = repo.feature_views[0];
  EXPECT_EQ(view.entities, std::vector<std::string>{"customer"});
  EXPECT_EQ(view.source, "orders");
  EXPECT_EQ(view.ttl_us, 30 * kDay);
  EXPECT_TRUE(view.online);
  ASSERT_EQ(view.features.size(), 5u);
  EXPECT_EQ(view.features[0].kind, FeatureKind::kPassthrough);
  EXPECT_EQ(view.features[0].column, "amount");
  EXPECT_EQ(view.features[1].kind, FeatureKind::kExpression);
  EXPECT_EQ(view.features[1].expr, "amount * 100");
  EXPECT_EQ(view.features[2].kind, FeatureKind::kAggregation);
  EXPECT_EQ(view.features[2].agg, "count");
  EXPECT_EQ(view.features[2].column, "order_id");
  EXPECT_EQ(view.features[2].window_us, 30 * kDay);
  EXPECT_EQ(view.features[3].window_us, 365 * kDay);
  EXPECT_EQ(view.features[4].location.ToString(), "featherstone.yaml:32:9");

  ASSERT_EQ(repo.feature_services.size(), 1u);
  ASSERT_EQ(repo.feature_services[0].features.size(), 2u);
  EXPECT_EQ(repo.feature_services[0].features[1].ToString(),
            "customer_features:churn_risk_score");
}

TEST(ParseYaml, UnknownKeyWithHint) {
  EXPECT_EQ(ErrorOf(std::string(kHead) + R"(feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    tll: 30d
    features: [{name: customer_id}]
)"),
            "featherstone.yaml:12:5: unknown key 'tll' in feature_view 'customer_features'; "
            "did you mean 'ttl'?");
  EXPECT_EQ(ErrorOf("project: shop\nentites: []\n"),
            "featherstone.yaml:2:1: unknown key 'entites' in the top-level map; did you mean "
            "'entities'?");
}

TEST(ParseYaml, UnknownKeyWithoutHintListsKeys) {
  EXPECT_EQ(ErrorOf("entities:\n  - {name: c, join_keys: [k], team: me}\n"),
            "featherstone.yaml:2:31: unknown key 'team' in entity 'c' (expected one of: "
            "name, join_keys, description, owner, tags, labels)");
}

TEST(ParseYaml, WrongTypes) {
  EXPECT_EQ(ErrorOf(std::string(kHead) + R"(feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    online: yes please
    features: [{name: customer_id}]
)"),
            "featherstone.yaml:12:13: 'online' must be a boolean, got 'yes please'");
  EXPECT_EQ(ErrorOf("project: [a, b]\n"),
            "featherstone.yaml:1:10: 'project' must be a string, got a list");
  EXPECT_EQ(ErrorOf("entities: {name: customer}\n"),
            "featherstone.yaml:1:11: 'entities' must be a list, got a map");
  EXPECT_EQ(ErrorOf("entities:\n  - customer\n"),
            "featherstone.yaml:2:5: each entity must be a map, got 'customer'");
  EXPECT_EQ(ErrorOf("entities:\n  - {name: c, join_keys: [{a: b}]}\n"),
            "featherstone.yaml:2:27: 'join_keys' must be a list of strings, got a map in it");
  EXPECT_EQ(ErrorOf("- project\n"),
            "featherstone.yaml:1:1: the top level must be a map of project, registry, "
            "online_store, lineage, entities, sources, feature_views, "
            "on_demand_feature_views, feature_services, got a list");
}

TEST(ParseYaml, BadDurationAndType) {
  EXPECT_EQ(ErrorOf(std::string(kHead) + R"(feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 30x
    features: [{name: customer_id}]
)"),
            "featherstone.yaml:12:10: 'ttl' of feature_view 'customer_features': cannot parse "
            "duration '30x'; expected 0 or a whole number with a unit s, m, h, d or w (e.g. "
            "90s, 15m, 12h, 30d, 2w)");
  const std::string error = ErrorOf(R"(sources:
  - name: orders
    timestamp_field: ts
    schema:
      - {name: ts, type: integer}
)");
  EXPECT_EQ(error.substr(0, error.find(';')),
            "featherstone.yaml:5:26: 'type' of column 'ts' of source 'orders': unknown type "
            "'integer'");
}

// Paths index arrays with dotted number steps; brackets, empty steps and paths in CSV sources
// are refused where they are written.
TEST(ParseYaml, ColumnPaths) {
  const std::string ok = ErrorOf(R"(sources:
  - name: orders
    format: jsonl
    timestamp_field: ts
    schema:
      - {name: ts, type: timestamp}
      - {name: sku, type: string, path: items.0.sku}
)");
  EXPECT_EQ(ok, "OK");
  EXPECT_EQ(ErrorOf(R"(sources:
  - name: orders
    timestamp_field: ts
    schema:
      - {name: ts, type: timestamp}
      - {name: sku, type: string, path: "items[0].sku"}
)"),
            "featherstone.yaml:6:41: 'path' of column 'sku' of source 'orders': 'items[0].sku' "
            "indexes with brackets; array elements are steps of the dotted path: 'items.0.sku'");
  EXPECT_EQ(ErrorOf(R"(sources:
  - name: orders
    timestamp_field: ts
    schema:
      - {name: ts, type: timestamp}
      - {name: city, type: string, path: address..city}
)"),
            "featherstone.yaml:6:42: 'path' of column 'city' of source 'orders': "
            "'address..city' has an empty step; write steps separated by single dots, as in "
            "'address.city' or 'items.0.sku'");
  EXPECT_EQ(ErrorOf(R"(sources:
  - name: orders
    format: csv
    timestamp_field: ts
    schema:
      - {name: ts, type: timestamp}
      - {name: city, type: string, path: address.city}
)"),
            "featherstone.yaml:7:42: column 'city' of source 'orders' declares 'path', but the "
            "source's format is csv: CSV columns are read by their header name (paths reach "
            "into JSON objects and Parquet structs)");
}

TEST(ParseYaml, VectorDimension) {
  auto source = [](const std::string& column) {
    return "sources:\n  - name: items\n    timestamp_field: ts\n    schema:\n"
           "      - {name: ts, type: timestamp}\n      - " + column + "\n";
  };
  auto repo = ParseYaml(source("{name: embedding, type: list<float32>, dim: 384}"), "f.yaml");
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();
  EXPECT_EQ(repo->sources[0].schema[1].dim, 384);
  EXPECT_EQ(repo->sources[0].schema[0].dim, 0);
  EXPECT_EQ(ErrorOf(source("{name: embedding, type: list<float32>}")),
            "featherstone.yaml:6:27: column 'embedding' of source 'items': list<float32> needs "
            "'dim', the number of values in every vector (e.g. {name: embedding, type: "
            "list<float32>, dim: 384})");
  EXPECT_EQ(ErrorOf(source("{name: score, type: float32, dim: 3}")),
            "featherstone.yaml:6:38: 'dim' of column 'score' of source 'items' applies only to "
            "type list<float32>, not float32");
  EXPECT_EQ(ErrorOf(source("{name: embedding, type: list<float32>, dim: 0}")),
            "featherstone.yaml:6:53: 'dim' of column 'embedding' of source 'items' must be a "
            "whole number from 1 to 1048576, got '0'");
  EXPECT_EQ(ErrorOf(source("{name: embedding, type: list<float32>, dim: many}")),
            "featherstone.yaml:6:53: 'dim' of column 'embedding' of source 'items' must be a "
            "whole number from 1 to 1048576, got 'many'");
}

TEST(ParseYaml, KafkaSourceKeys) {
  const std::string kafka = R"(sources:
  - name: clicks
    kind: kafka
    format: json
    bootstrap_servers: 127.0.0.1:9092
    topic: clicks
    timestamp_field: ts
    schema: [{name: ts, type: timestamp}]
)";
  auto repo = ParseYaml(kafka, "featherstone.yaml");
  ASSERT_TRUE(repo.ok()) << repo.status();
  const Source& source = repo->sources[0];
  EXPECT_EQ(source.bootstrap_servers, "127.0.0.1:9092");
  EXPECT_EQ(source.topic, "clicks");
  EXPECT_EQ(source.group, "");
  EXPECT_EQ(source.KafkaGroup(), "featherstone-clicks");
  auto grouped = ParseYaml(kafka + "    group: g1\n", "featherstone.yaml");
  ASSERT_TRUE(grouped.ok()) << grouped.status();
  EXPECT_EQ(grouped->sources[0].KafkaGroup(), "g1");

  std::string without_topic = kafka;
  without_topic.erase(without_topic.find("    topic: clicks\n"), 18);
  EXPECT_EQ(ErrorOf(without_topic),
            "featherstone.yaml:2:5: source 'clicks' is missing required key 'topic'");
  EXPECT_EQ(ErrorOf(std::string(kHead) + "    topic: orders\n"),
            "featherstone.yaml:8:5: 'topic' in source 'orders' applies only to sources of kind "
            "kafka (this one is 'file')");
}

TEST(ParseYaml, MissingRequiredKeyAndDuplicateKey) {
  EXPECT_EQ(ErrorOf("entities:\n  - {join_keys: [k]}\n"),
            "featherstone.yaml:2:5: entity is missing required key 'name'");
  EXPECT_EQ(ErrorOf("entities:\n  - {name: c}\n"),
            "featherstone.yaml:2:5: entity 'c' is missing required key 'join_keys'");
  EXPECT_EQ(ErrorOf("entities:\n  - name: c\n    join_keys: [k]\n    name: d\n"),
            "featherstone.yaml:4:5: duplicate key 'name' in entity 'c'");
}

TEST(ParseYaml, FeatureKinds) {
  auto repo = ParseYaml(std::string(kHead) + R"(feature_views:
  - name: v
    entities: [customer]
    source: orders
    features:
      - {name: id_copy, column: customer_id}
      - {name: n, agg: count, window: 2w}
)",
                        "featherstone.yaml");
  ASSERT_TRUE(repo.ok()) << repo.status();
  const auto& features = repo->feature_views[0].features;
  EXPECT_EQ(features[0].kind, FeatureKind::kPassthrough);
  EXPECT_EQ(features[0].column, "customer_id");
  EXPECT_EQ(features[1].kind, FeatureKind::kAggregation);
  EXPECT_EQ(features[1].column, "");
  EXPECT_EQ(features[1].window_us, 14 * kDay);
  EXPECT_EQ(repo->feature_views[0].ttl_us, 0);

  constexpr char kView[] = "feature_views:\n  - {name: v, entities: [c], source: s, features: [\n";
  EXPECT_EQ(ErrorOf(std::string(kView) + "      {name: x, expr: a + 1, window: 1d}]}\n"),
            "featherstone.yaml:3:30: 'window' in feature 'x' of feature_view 'v' applies only "
            "to aggregations (add 'agg')");
  EXPECT_EQ(ErrorOf(std::string(kView) + "      {name: x, expr: a + 1, column: a}]}\n"),
            "featherstone.yaml:3:30: 'column' in feature 'x' of feature_view 'v' cannot be "
            "combined with 'expr'; name the column in the expression");
}

TEST(ParseYaml, OnDemandViews) {
  auto repo = ParseYaml(R"(on_demand_feature_views:
  - name: t
    request_schema:
      - {name: amount, type: float64}
    sources: [v]
    features:
      - {name: ratio, expr: amount / v.x, description: Amount over x}
)",
                        "featherstone.yaml");
  ASSERT_TRUE(repo.ok()) << repo.status();
  ASSERT_EQ(repo->on_demand_feature_views.size(), 1u);
  const auto& view = repo->on_demand_feature_views[0];
  EXPECT_EQ(view.location.ToString(), "featherstone.yaml:2:5");
  EXPECT_EQ(view.request_schema[0].type, core::ValueType::kFloat64);
  EXPECT_EQ(view.sources, (std::vector<std::string>{"v"}));
  EXPECT_EQ(view.features[0].kind, FeatureKind::kExpression);
  EXPECT_EQ(view.features[0].expr, "amount / v.x");
  EXPECT_EQ(view.features[0].location.ToString(), "featherstone.yaml:7:9");
  EXPECT_EQ(repo->FindOnDemandView("t"), &view);

  constexpr char kView[] =
      "on_demand_feature_views:\n  - {name: t, sources: [v], features: [\n";
  EXPECT_EQ(ErrorOf(std::string(kView) + "      {name: x, expr: a, window: 1d}]}\n"),
            "featherstone.yaml:3:26: unknown key 'window' in feature 'x' of "
            "on_demand_feature_view 't' (expected one of: name, expr, description, owner, tags, "
            "labels)");
  EXPECT_EQ(ErrorOf(std::string(kView) + "      {name: x}]}\n"),
            "featherstone.yaml:3:7: feature 'x' of on_demand_feature_view 't' is missing "
            "required key 'expr'");
  EXPECT_EQ(ErrorOf("on_demand_feature_views:\n  - {name: t, request_shema: []}\n"),
            "featherstone.yaml:2:15: unknown key 'request_shema' in on_demand_feature_view 't'; "
            "did you mean 'request_schema'?");
}

TEST(ParseYaml, ContractAccepted) {
  auto repo = ParseYaml(R"(sources:
  - name: orders
    timestamp_field: ts
    schema: [{name: ts, type: timestamp}]
    contract:
      policy: quarantine
      expectations:
        - {expect: not_null, column: ts}
)",
                        "featherstone.yaml");
  ASSERT_TRUE(repo.ok()) << repo.status();
  EXPECT_EQ(repo->sources[0].schema.size(), 1u);
}

TEST(ParseYaml, CatalogMetadataOnEveryObject) {
  auto repo = ParseYaml(std::string(kHead) + R"(    owner: data-eng
    tags: [orders, billing]
    labels: {tier: gold, pii: "no"}
feature_views:
  - name: v
    entities: [customer]
    source: orders
    description: Spend per customer
    owner: growth
    tags: [spend]
    features:
      - name: total
        agg: sum
        column: customer_id
        window: 1d
        description: Summed ids
        tags: [money]
        labels: {unit: id}
feature_services:
  - {name: s, features: [v:total], owner: ml, tags: [churn], labels: {model: v2}}
)",
                        "featherstone.yaml");
  ASSERT_TRUE(repo.ok()) << repo.status();
  const Source& source = repo->sources[0];
  EXPECT_EQ(source.catalog.owner, "data-eng");
  EXPECT_EQ(source.catalog.tags, (std::vector<std::string>{"orders", "billing"}));
  EXPECT_EQ(source.catalog.labels, (std::map<std::string, std::string>{{"pii", "no"},
                                                                       {"tier", "gold"}}));
  const FeatureView& view = repo->feature_views[0];
  EXPECT_EQ(view.description, "Spend per customer");
  EXPECT_EQ(view.catalog.owner, "growth");
  EXPECT_EQ(view.catalog.tags, (std::vector<std::string>{"spend"}));
  EXPECT_EQ(view.features[0].description, "Summed ids");
  EXPECT_EQ(view.features[0].catalog.tags, (std::vector<std::string>{"money"}));
  EXPECT_EQ(view.features[0].catalog.labels.at("unit"), "id");
  EXPECT_EQ(repo->feature_services[0].catalog.owner, "ml");
  EXPECT_EQ(repo->feature_services[0].catalog.labels.at("model"), "v2");
  EXPECT_TRUE(repo->entities[0].catalog.empty());
}

TEST(ParseYaml, CatalogMetadataWrongTypes) {
  EXPECT_EQ(ErrorOf("entities:\n  - {name: c, join_keys: [k], tags: {team: growth}}\n"),
            "featherstone.yaml:2:37: 'tags' of entity 'c' must be a list of strings, got a map "
            "(key: value pairs go under 'labels')");
  EXPECT_EQ(ErrorOf("entities:\n  - {name: c, join_keys: [k], tags: growth}\n"),
            "featherstone.yaml:2:37: 'tags' must be a list, got 'growth'");
  EXPECT_EQ(ErrorOf("entities:\n  - {name: c, join_keys: [k], tags: [a, [b]]}\n"),
            "featherstone.yaml:2:41: 'tags' must be a list of strings, got a list in it");
  EXPECT_EQ(ErrorOf("entities:\n  - {name: c, join_keys: [k], labels: [a]}\n"),
            "featherstone.yaml:2:39: 'labels' of entity 'c' must be a map of string to string, "
            "got a list");
  EXPECT_EQ(ErrorOf("entities:\n  - {name: c, join_keys: [k], labels: {team: [a]}}\n"),
            "featherstone.yaml:2:46: label 'team' of entity 'c' must be a string, got a list");
  EXPECT_EQ(ErrorOf("entities:\n  - {name: c, join_keys: [k], owner: [a]}\n"),
            "featherstone.yaml:2:38: 'owner' must be a string, got a list");
  EXPECT_EQ(ErrorOf("entities:\n  - {name: c, join_keys: [k], onwer: me}\n"),
            "featherstone.yaml:2:31: unknown key 'onwer' in entity 'c'; did you mean 'owner'?");
}

TEST(ParseYaml, EmptyDocumentAndNullValues) {
  auto empty = ParseYaml("# nothing yet\n", "featherstone.yaml");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->entities.empty());
  auto nulls = ParseYaml("project: shop\nentities:\nfeature_services:\n", "featherstone.yaml");
  ASSERT_TRUE(nulls.ok()) << nulls.status();
  EXPECT_EQ(nulls->project, "shop");
}

TEST(ParseYaml, ServiceFeatureRefs) {
  EXPECT_EQ(ErrorOf("feature_services:\n  - name: s\n    features: [v:a, b]\n"),
            "featherstone.yaml:3:21: feature_service 's': feature reference 'b' must have the "
            "form view:feature");
}

TEST(ParseYaml, InvalidSyntax) {
  EXPECT_EQ(ErrorOf("project: shop\nentities: [a\n"),
            "featherstone.yaml:3:1: invalid YAML: end of sequence flow not found");
}

class LoadRepoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("FST_TEST_TMP");
    dir_ = fs::path(base != nullptr ? base : "/tmp") /
           ("definitions_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  fs::path dir_;
};

TEST_F(LoadRepoTest, MissingMainFile) {
  auto repo = LoadRepo(dir_.string());
  ASSERT_FALSE(repo.ok());
  EXPECT_TRUE(repo.status().IsIOError());
  EXPECT_EQ(repo.status().message(), (dir_ / "featherstone.yaml").string() +
                                         ": not found; run `featherstone init DIR` or create it");
}

TEST_F(LoadRepoTest, MergesFilesBesideMainInNameOrder) {
  Write("featherstone.yaml", std::string(kHead));
  Write("b_views.yml",
        "feature_views:\n  - {name: v2, entities: [customer], source: orders,"
        " features: [{name: n, agg: count, window: 1d}]}\n");
  Write("a_views.yaml",
        "feature_views:\n  - {name: v1, entities: [customer], source: orders,"
        " features: [{name: n, agg: count, window: 1d}]}\n");
  Write("notes.txt", "not yaml: [");
  Write("sub/ignored.yaml", "not yaml: [");
  auto repo = LoadRepo(dir_.string());
  ASSERT_TRUE(repo.ok()) << repo.status();
  EXPECT_EQ(repo->project, "shop");
  ASSERT_EQ(repo->feature_views.size(), 2u);
  EXPECT_EQ(repo->feature_views[0].name, "v1");
  EXPECT_EQ(repo->feature_views[0].location.ToString(), "a_views.yaml:2:5");
  EXPECT_EQ(repo->feature_views[1].name, "v2");
}

TEST_F(LoadRepoTest, ValidatesAcrossFiles) {
  Write("featherstone.yaml", std::string(kHead));
  Write("views.yaml",
        "feature_views:\n  - {name: v, entities: [custmer], source: ordrs,"
        " features: [{name: customer_id}]}\n");
  auto repo = LoadRepo(dir_.string());
  ASSERT_FALSE(repo.ok());
  EXPECT_EQ(repo.status().message(),
            "views.yaml:2:5: feature_view 'v': entity 'custmer' is not defined "
            "(entities: customer)\n"
            "views.yaml:2:5: feature_view 'v': source 'ordrs' is not defined (sources: orders)");
}

TEST_F(LoadRepoTest, SettingsOnlyInMainFile) {
  Write("featherstone.yaml", "registry: sqlite\n");
  auto no_project = LoadRepo(dir_.string());
  ASSERT_FALSE(no_project.ok());
  EXPECT_EQ(no_project.status().message(),
            "featherstone.yaml: missing required key 'project' (the project name)");

  Write("featherstone.yaml", "project: shop\n");
  Write("extra.yaml", "entities: []\nproject: other\n");
  auto repo = LoadRepo(dir_.string());
  ASSERT_FALSE(repo.ok());
  EXPECT_EQ(repo.status().message(),
            "extra.yaml:2:1: 'project' may only be set in featherstone.yaml");
}

}  // namespace
}  // namespace fst::definitions
