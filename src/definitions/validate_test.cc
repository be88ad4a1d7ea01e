#include "featherstone/definitions/validate.h"

#include <gtest/gtest.h>

#include "featherstone/core/time.h"

namespace fst::definitions {
namespace {

using core::ValueType;

Feature Passthrough(const std::string& name, const std::string& column) {
  Feature feature;
  feature.name = name;
  feature.column = column;
  return feature;
}

Feature Aggregation(const std::string& name, const std::string& agg, const std::string& column,
                    int64_t window_us) {
  Feature feature = Passthrough(name, column);
  feature.kind = FeatureKind::kAggregation;
  feature.agg = agg;
  feature.window_us = window_us;
  return feature;
}

Feature Expression(const std::string& name, const std::string& expr) {
  Feature feature;
  feature.name = name;
  feature.kind = FeatureKind::kExpression;
  feature.expr = expr;
  return feature;
}

// A valid repo as the Python SDK would build it: no locations.
Repo MakeRepo() {
  Repo repo;
  repo.project = "shop";
  Entity customer;
  customer.name = "customer";
  customer.join_keys = {"customer_id"};
  repo.entities.push_back(customer);
  Source orders;
  orders.name = "orders";
  orders.timestamp_field = "event_ts";
  orders.schema = {{"customer_id", ValueType::kInt64, false, ""},
                   {"order_id", ValueType::kString, true, ""},
                   {"amount", ValueType::kFloat64, true, ""},
                   {"event_ts", ValueType::kTimestamp, false, ""}};
  repo.sources.push_back(orders);
  FeatureView view;
  view.name = "customer_features";
  view.entities = {"customer"};
  view.source = "orders";
  view.ttl_us = 30 * core::kMicrosPerDay;
  view.features = {Passthrough("amount", "amount"),
                   Aggregation("orders_7d", "count", "", 7 * core::kMicrosPerDay),
                   Expression("cents", "amount * 100")};
  repo.feature_views.push_back(view);
  FeatureService service;
  service.name = "churn_model";
  service.features = {{"customer_features", "orders_7d"}};
  repo.feature_services.push_back(service);
  return repo;
}

std::string ErrorOf(const Repo& repo) {
  const Status status = Validate(repo);
  return status.ok() ? "OK" : status.message();
}

TEST(Validate, AcceptsValidRepo) { EXPECT_EQ(ErrorOf(MakeRepo()), "OK"); }

TEST(Validate, ReportsEveryProblemOnItsOwnLine) {
  Repo repo = MakeRepo();
  repo.feature_views[0].entities = {"custmer"};
  repo.feature_views[0].source = "ordrs";
  repo.feature_services[0].features.push_back({"customer_features", "nope"});
  EXPECT_EQ(ErrorOf(repo),
            "feature_view 'customer_features': entity 'custmer' is not defined "
            "(entities: customer)\n"
            "feature_view 'customer_features': source 'ordrs' is not defined (sources: orders)\n"
            "feature_service 'churn_model': feature 'nope' is not in feature_view "
            "'customer_features' (features: amount, orders_7d, cents)");
}

TEST(Validate, PrefixesLocations) {
  Repo repo = MakeRepo();
  repo.feature_views[0].location = {"featherstone.yaml", 20, 5};
  repo.feature_views[0].entities = {"custmer"};
  EXPECT_EQ(ErrorOf(repo),
            "featherstone.yaml:20:5: feature_view 'customer_features': entity 'custmer' is not "
            "defined (entities: customer)");
}

TEST(Validate, DuplicateNames) {
  Repo repo = MakeRepo();
  repo.entities[0].location = {"featherstone.yaml", 3, 5};
  repo.entities.push_back(repo.entities[0]);
  repo.entities[1].location = {"more.yaml", 2, 5};
  repo.sources[0].schema.push_back(repo.sources[0].schema[1]);
  repo.feature_services.push_back(repo.feature_services[0]);
  EXPECT_EQ(ErrorOf(repo),
            "more.yaml:2:5: entity 'customer' is defined twice (first at "
            "featherstone.yaml:3:5)\n"
            "source 'orders': column 'order_id' is declared twice\n"
            "feature_service 'churn_model' is defined twice");
}

TEST(Validate, TimestampFields) {
  Repo repo = MakeRepo();
  repo.sources[0].timestamp_field = "ts";
  repo.sources[0].created_timestamp_field = "order_id";
  EXPECT_EQ(ErrorOf(repo),
            "source 'orders': timestamp_field 'ts' is not in the schema (columns: customer_id, "
            "order_id, amount, event_ts)\n"
            "source 'orders': created_timestamp_field 'order_id' has type string; it must be "
            "timestamp");
  repo.sources[0].timestamp_field = "";
  repo.sources[0].created_timestamp_field = "";
  EXPECT_EQ(ErrorOf(repo), "source 'orders': timestamp_field is missing");
}

TEST(Validate, SourceKindFormatAndSchema) {
  Repo repo = MakeRepo();
  repo.sources[0].format = "xlsx";
  EXPECT_EQ(ErrorOf(repo), "source 'orders': format 'xlsx' is not one of csv, parquet, jsonl");
}

TEST(Validate, KafkaSettings) {
  Repo repo = MakeRepo();
  repo.sources[0].kind = "kafka";
  repo.sources[0].format = "csv";
  EXPECT_EQ(ErrorOf(repo),
            "source 'orders': format 'csv' is not one a kafka source reads; use json (one JSON "
            "object per message)\n"
            "source 'orders': a kafka source needs bootstrap_servers (host:port)\n"
            "source 'orders': a kafka source needs a topic");
  repo.sources[0].kind = "file";
  repo.sources[0].topic = "t";
  EXPECT_EQ(ErrorOf(repo),
            "source 'orders': bootstrap_servers, topic and group apply only to sources of kind "
            "kafka");
}

TEST(Validate, PostgresSettings) {
  Repo repo = MakeRepo();
  repo.sources[0].kind = "postgres";
  repo.sources[0].format = "";
  repo.sources[0].table = "t";
  repo.sources[0].query = "SELECT 1";
  repo.sources[0].cursor_column = "id";
  EXPECT_EQ(ErrorOf(repo),
            "source 'orders': a postgres source needs a dsn (a libpq connection string or "
            "URI)\n"
            "source 'orders': a postgres source needs exactly one of table and query\n"
            "source 'orders': cursor_column 'id' is not in the schema (columns: customer_id, "
            "order_id, amount, event_ts)");
  repo.sources[0].kind = "file";
  repo.sources[0].query = "";
  repo.sources[0].cursor_column = "";
  EXPECT_EQ(ErrorOf(repo),
            "source 'orders': dsn, table, query and cursor_column apply only to sources of "
            "kind postgres");
}

TEST(Validate, FeatureRules) {
  Repo repo = MakeRepo();
  auto& features = repo.feature_views[0].features;
  features[0].column = "";
  features[1].window_us = 0;
  features[2].window_us = core::kMicrosPerDay;
  features.push_back(Aggregation("total", "sum", "order_id", core::kMicrosPerDay));
  features.push_back(Passthrough("bad-name", "amount"));
  EXPECT_EQ(ErrorOf(repo),
            "feature_view 'customer_features': feature 'amount': a passthrough needs a column\n"
            "feature_view 'customer_features': feature 'orders_7d': agg 'count' needs a window "
            "greater than 0 (e.g. window: 30d)\n"
            "feature_view 'customer_features': feature 'cents': a window applies only to "
            "aggregations\n"
            "feature_view 'customer_features': feature 'total': agg 'sum' needs a numeric "
            "column; 'order_id' is string\n"
            "feature_view 'customer_features': feature 'bad-name': a feature name must start "
            "with a letter or '_' and contain only letters, digits and '_'");
}

TEST(Validate, ViewShape) {
  Repo repo = MakeRepo();
  repo.feature_views[0].entities = {};
  repo.feature_views[0].features = {};
  repo.feature_views[0].ttl_us = -1;
  repo.feature_services[0].features = {};
  repo.sources[0].name = "../orders";
  repo.feature_views[0].source = "../orders";
  EXPECT_EQ(ErrorOf(repo),
            "source '../orders': a name must start with a letter or '_' and contain only "
            "letters, digits, '_' and '-'\n"
            "feature_view 'customer_features': no entities are listed\n"
            "feature_view 'customer_features': ttl must not be negative\n"
            "feature_view 'customer_features': no features are defined\n"
            "feature_service 'churn_model': no features are listed");
}

TEST(Validate, JoinKeysMustBeSourceColumns) {
  Repo repo = MakeRepo();
  repo.entities[0].join_keys = {"customer_id", "region"};
  EXPECT_EQ(ErrorOf(repo),
            "feature_view 'customer_features': join key 'region' of entity 'customer' is not in "
            "source 'orders' (columns: customer_id, order_id, amount, event_ts)");
}

}  // namespace
}  // namespace fst::definitions
