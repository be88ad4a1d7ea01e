#include "featherstone/definitions/spec.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "featherstone/core/hash.h"
#include "featherstone/definitions/yaml_reader.h"

namespace fst::definitions {
namespace {

using nlohmann::json;

Repo DesignExample() {
  std::ifstream in(std::filesystem::path(FST_DEFINITIONS_CASES) / "design_example.yaml");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto repo = ParseYaml(text, "featherstone.yaml");
  EXPECT_TRUE(repo.ok()) << repo.status();
  return repo.ok() ? *repo : Repo{};
}

Repo Parse(const std::string& yaml) {
  auto repo = ParseYaml(yaml, "featherstone.yaml");
  EXPECT_TRUE(repo.ok()) << repo.status();
  return repo.ok() ? *repo : Repo{};
}

void ExpectSameObjects(const std::vector<SpecObject>& a, const std::vector<SpecObject>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kind, b[i].kind);
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].spec, b[i].spec) << a[i].spec.dump() << "\n" << b[i].spec.dump();
    EXPECT_EQ(a[i].hash, b[i].hash);
  }
}

TEST(Spec, KindOrderThenNameOrder) {
  Repo repo = DesignExample();
  Entity zone;
  zone.name = "zone";
  zone.join_keys = {"zone_id"};
  repo.entities.insert(repo.entities.begin(), zone);
  const auto objects = ToSpecObjects(repo);
  std::vector<std::string> order;
  for (const auto& object : objects) order.push_back(object.kind + "/" + object.name);
  EXPECT_EQ(order, (std::vector<std::string>{"entity/customer", "entity/zone", "source/orders",
                                             "feature_view/customer_features",
                                             "feature_service/churn_model"}));
  for (const auto& object : objects) {
    EXPECT_EQ(object.hash, core::HashHex(object.spec.dump()));
    EXPECT_EQ(SpecText(object.spec), object.spec.dump());
  }
  EXPECT_LT(KindRank("source"), KindRank("feature_view"));
  EXPECT_EQ(KindRank("unknown"), 5);
}

// The stored format: changing it changes every hash in every registry.
TEST(Spec, CanonicalJson) {
  const auto objects = ToSpecObjects(DesignExample());
  EXPECT_EQ(objects[0].spec.dump(),
            R"({"description":"A buying customer","join_keys":["customer_id"],)"
            R"("name":"customer"})");
  EXPECT_EQ(objects[1].spec["schema"][2].dump(),
            R"({"name":"amount","nullable":true,"path":"","type":"float64"})");
  EXPECT_EQ(objects[2].spec.dump(),
            R"({"description":"","entities":["customer"],"features":[)"
            R"({"column":"amount","description":"","kind":"passthrough","name":"amount"},)"
            R"({"description":"","expr":"amount * 100","kind":"expression",)"
            R"("name":"amount_cents"},)"
            R"({"agg":"count","column":"order_id","description":"","kind":"aggregation",)"
            R"("name":"purchase_frequency_30d","window":"30d"},)"
            R"({"agg":"avg","column":"amount","description":"","kind":"aggregation",)"
            R"("name":"average_order_value","window":"365d"},)"
            R"x({"description":"","expr":"1/(1+exp(0.9*purchase_frequency_30d - 0.5))",)x"
            R"("kind":"expression","name":"churn_risk_score"}],)"
            R"("name":"customer_features","online":true,"source":"orders","ttl":"30d"})");
  EXPECT_EQ(objects[3].spec.dump(),
            R"({"description":"","features":["customer_features:purchase_frequency_30d",)"
            R"("customer_features:churn_risk_score"],"name":"churn_model"})");
}

TEST(Spec, RoundTrip) {
  const Repo repo = DesignExample();
  const auto objects = ToSpecObjects(repo);
  auto rebuilt = FromSpecObjects(objects);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  ExpectSameObjects(ToSpecObjects(*rebuilt), objects);
  EXPECT_EQ(rebuilt->FindView("customer_features")->ttl_us, repo.feature_views[0].ttl_us);
  EXPECT_EQ(rebuilt->FindSource("orders")->schema[2].type, core::ValueType::kFloat64);
  EXPECT_EQ(rebuilt->FindView("customer_features")->location.ToString(), "");
}

TEST(Spec, SameDefinitionSameHashAcrossSpellings) {
  const Repo block = Parse(R"(project: shop
entities:
  - name: customer
    join_keys:
      - customer_id
sources:
  - name: orders
    kind: file
    timestamp_field: event_ts
    schema:
      - name: customer_id
        type: int64
        nullable: true
      - name: event_ts
        type: timestamp
feature_views:
  - name: customer_features
    entities:
      - customer
    source: orders
    ttl: 30d
    online: true
    features:
      - name: customer_ref
        column: customer_id
      - name: orders_2w
        agg: count
        window: 2w
)");
  const Repo flow = Parse(R"(
feature_views: [{features: [{column: customer_id, name: customer_ref},
                            {window: 14d, name: orders_2w, agg: count}],
                 source: orders, ttl: 720h, entities: [customer], name: customer_features}]
sources: [{schema: [{type: int64, name: customer_id}, {name: event_ts, type: timestamp}],
           timestamp_field: event_ts, name: orders}]
entities: [{join_keys: [customer_id], name: customer}]
project: other
)");
  ExpectSameObjects(ToSpecObjects(flow), ToSpecObjects(block));
}

TEST(Spec, AnyChangeChangesTheHash) {
  const Repo repo = DesignExample();
  const std::string view_hash = ToSpecObjects(repo)[2].hash;
  Repo changed = repo;
  changed.feature_views[0].description = "Per customer";
  EXPECT_NE(ToSpecObjects(changed)[2].hash, view_hash);
  changed = repo;
  changed.feature_views[0].ttl_us = 0;
  EXPECT_NE(ToSpecObjects(changed)[2].hash, view_hash);
  changed = repo;
  changed.feature_views[0].features[2].window_us += 1;
  EXPECT_NE(ToSpecObjects(changed)[2].hash, view_hash);
}

TEST(Spec, KafkaSourceRoundTripsAndOtherSourcesKeepTheirShape) {
  Repo repo = DesignExample();
  const json file_spec = ToSpecObjects(repo)[1].spec;
  EXPECT_FALSE(file_spec.contains("topic")) << file_spec.dump();
  repo.sources[0].kind = "kafka";
  repo.sources[0].format = "json";
  repo.sources[0].bootstrap_servers = "127.0.0.1:9092";
  repo.sources[0].topic = "orders";
  repo.sources[0].group = "g";
  const auto objects = ToSpecObjects(repo);
  EXPECT_EQ(objects[1].spec.at("topic"), "orders");
  auto rebuilt = FromSpecObjects(objects);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  ExpectSameObjects(ToSpecObjects(*rebuilt), objects);
  const Source* source = rebuilt->FindSource("orders");
  EXPECT_EQ(source->bootstrap_servers, "127.0.0.1:9092");
  EXPECT_EQ(source->group, "g");
  Repo moved = repo;
  moved.sources[0].topic = "orders-v2";
  EXPECT_NE(ToSpecObjects(moved)[1].hash, objects[1].hash);
}

TEST(Spec, PostgresSourceRoundTripsWithItsDsnAsWritten) {
  Repo repo = DesignExample();
  EXPECT_FALSE(ToSpecObjects(repo)[1].spec.contains("dsn"));
  repo.sources[0].kind = "postgres";
  repo.sources[0].format = "";
  repo.sources[0].dsn = "${PG_DSN}";
  repo.sources[0].query = "SELECT * FROM orders";
  repo.sources[0].cursor_column = "event_ts";
  const auto objects = ToSpecObjects(repo);
  EXPECT_EQ(objects[1].spec.at("dsn"), "${PG_DSN}");  // never the expanded secret
  auto rebuilt = FromSpecObjects(objects);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  ExpectSameObjects(ToSpecObjects(*rebuilt), objects);
  const Source* source = rebuilt->FindSource("orders");
  EXPECT_EQ(source->query, "SELECT * FROM orders");
  EXPECT_EQ(source->cursor_column, "event_ts");
  EXPECT_TRUE(source->table.empty());
  Repo moved = repo;
  moved.sources[0].cursor_column = "";
  EXPECT_NE(ToSpecObjects(moved)[1].hash, objects[1].hash);
}

Repo OnDemandExample() {
  std::ifstream in(std::filesystem::path(FST_DEFINITIONS_CASES) / "on_demand_example.yaml");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return Parse(text);
}

TEST(Spec, OnDemandViewIsItsOwnKind) {
  const Repo repo = OnDemandExample();
  const auto objects = ToSpecObjects(repo);
  std::vector<std::string> order;
  for (const auto& object : objects) order.push_back(object.kind + "/" + object.name);
  EXPECT_EQ(order, (std::vector<std::string>{"entity/customer", "source/orders",
                                             "feature_view/customer_features",
                                             "on_demand_feature_view/transaction_features",
                                             "feature_service/fraud_model"}));
  EXPECT_EQ(objects[3].spec.dump(),
            R"({"description":"The transaction being scored against the customer's history",)"
            R"("features":[{"description":"","expr":)"
            R"("amount / customer_features.average_order_value","name":"amount_vs_average"}],)"
            R"("name":"transaction_features","request_schema":[{"name":"amount",)"
            R"("nullable":true,"path":"","type":"float64"}],"sources":["customer_features"]})");
  auto rebuilt = FromSpecObjects(objects);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  ExpectSameObjects(ToSpecObjects(*rebuilt), objects);
  EXPECT_EQ(rebuilt->FindOnDemandView("transaction_features")->features[0].kind,
            FeatureKind::kExpression);

  const std::string hash = objects[3].hash;
  Repo changed = repo;
  changed.on_demand_feature_views[0].features[0].expr = "amount";
  EXPECT_NE(ToSpecObjects(changed)[3].hash, hash);
  changed = repo;
  changed.on_demand_feature_views[0].request_schema[0].type = core::ValueType::kInt64;
  EXPECT_NE(ToSpecObjects(changed)[3].hash, hash);
  changed = repo;
  changed.on_demand_feature_views[0].sources.clear();
  EXPECT_NE(ToSpecObjects(changed)[3].hash, hash);
  // The stored views keep their hashes.
  EXPECT_EQ(ToSpecObjects(changed)[2].hash, objects[2].hash);
}

// Catalog metadata is part of the spec (a changed description or owner is a new version) and
// absent when unset, so definitions without it keep the hashes they had before it existed.
TEST(Spec, CatalogMetadataIsPartOfTheSpec) {
  const Repo repo = DesignExample();
  const auto objects = ToSpecObjects(repo);
  EXPECT_FALSE(objects[2].spec.contains("owner"));
  EXPECT_FALSE(objects[2].spec["features"][0].contains("tags"));

  Repo changed = repo;
  changed.feature_views[0].description = "Spend per customer";
  EXPECT_NE(ToSpecObjects(changed)[2].hash, objects[2].hash);
  changed = repo;
  changed.feature_views[0].features[1].description = "Amount in cents";
  EXPECT_NE(ToSpecObjects(changed)[2].hash, objects[2].hash);

  changed = repo;
  changed.entities[0].catalog.owner = "crm";
  changed.feature_views[0].catalog.tags = {"spend", "orders"};
  changed.feature_views[0].features[0].catalog.labels = {{"unit", "usd"}};
  changed.feature_services[0].catalog.labels = {{"model", "v2"}};
  const auto with_catalog = ToSpecObjects(changed);
  EXPECT_EQ(with_catalog[0].spec["owner"], "crm");
  EXPECT_NE(with_catalog[0].hash, objects[0].hash);
  EXPECT_EQ(with_catalog[2].spec["tags"], json({"spend", "orders"}));
  EXPECT_EQ(with_catalog[2].spec["features"][0]["labels"], json({{"unit", "usd"}}));
  EXPECT_EQ(with_catalog[1].hash, objects[1].hash);

  auto rebuilt = FromSpecObjects(with_catalog);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  ExpectSameObjects(ToSpecObjects(*rebuilt), with_catalog);
  EXPECT_EQ(rebuilt->entities[0].catalog.owner, "crm");
  EXPECT_EQ(rebuilt->feature_views[0].features[0].catalog.labels.at("unit"), "usd");
}

TEST(Spec, MalformedSpecsNameTheObject) {
  const auto objects = ToSpecObjects(DesignExample());
  auto expect_error = [&](size_t index, auto mutate, const std::string& message) {
    std::vector<SpecObject> copy = objects;
    mutate(copy[index].spec);
    auto repo = FromSpecObjects(copy);
    ASSERT_FALSE(repo.ok());
    EXPECT_TRUE(repo.status().IsInvalid());
    EXPECT_EQ(repo.status().message(), message);
  };
  expect_error(0, [](json& spec) { spec.erase("join_keys"); },
               "entity 'customer': malformed spec: missing key 'join_keys'");
  expect_error(0, [](json& spec) { spec["team"] = "growth"; },
               "entity 'customer': malformed spec: unknown key 'team'");
  expect_error(2, [](json& spec) { spec["ttl"] = "30x"; },
               "feature_view 'customer_features': malformed spec: cannot parse duration '30x'; "
               "expected 0 or a whole number with a unit s, m, h, d or w (e.g. 90s, 15m, 12h, "
               "30d, 2w)");
  expect_error(2, [](json& spec) { spec["features"][0]["kind"] = "python"; },
               "feature_view 'customer_features': malformed spec: unknown feature kind 'python'");
  expect_error(3, [](json& spec) { spec["name"] = "other"; },
               "feature_service 'churn_model': malformed spec: the spec names 'other'");

  std::vector<SpecObject> unknown_kind = {objects[0]};
  unknown_kind[0].kind = "model";
  EXPECT_EQ(FromSpecObjects(unknown_kind).status().message(),
            "model 'customer': malformed spec: unknown kind");
}

}  // namespace
}  // namespace fst::definitions
