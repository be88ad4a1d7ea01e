// The log source of a feature service: its columns derived from the service (keys typed as
// their sources declare them, request fields, three columns per feature), and the refusal of a
// declared source that takes a log's name.
#include "featherstone/features/log_source.h"

#include <gtest/gtest.h>

#include "featherstone/definitions/validate.h"
#include "featherstone/definitions/yaml_reader.h"

namespace fst::features {
namespace {

constexpr char kYaml[] = R"yaml(project: shop
entities:
  - {name: customer, join_keys: [customer_id]}
  - {name: store, join_keys: [store_code]}
sources:
  - name: orders
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int32}
      - {name: store_code, type: string}
      - {name: amount, type: float64}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer, store]
    source: orders
    features:
      - {name: amount}
      - {name: orders_30d, agg: count, window: 30d}
on_demand_feature_views:
  - name: transaction_features
    request_schema:
      - {name: basket, type: float64}
    sources: [customer_features]
    features:
      - {name: ratio, expr: "basket / customer_features.amount"}
feature_services:
  - name: fraud_model
    features: [customer_features:orders_30d, transaction_features:ratio]
)yaml";

definitions::Repo Parse(const std::string& yaml) {
  auto repo = definitions::ParseYaml(yaml, "featherstone.yaml");
  EXPECT_TRUE(repo.ok()) << repo.status().ToString();
  EXPECT_TRUE(definitions::Validate(*repo).ok());
  return *repo;
}

std::string Columns(const core::Schema& schema) {
  std::string out;
  for (const auto& column : schema) {
    out += (out.empty() ? "" : ", ") + column.name + " " +
           std::string(core::ValueTypeName(column.type));
  }
  return out;
}

TEST(LogSource, ColumnsFollowTheService) {
  const definitions::Repo repo = Parse(kYaml);
  auto source = LogSource(repo, repo.feature_services[0]);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ(source->name, "fraud_model__log");
  EXPECT_EQ(source->timestamp_field, "served_at");
  EXPECT_EQ(source->format, "parquet");
  EXPECT_EQ(Columns(source->schema),
            "request_id string, served_at timestamp, at timestamp, customer_id int32, "
            "store_code string, basket float64, "
            "customer_features__orders_30d int64, customer_features__orders_30d__status string, "
            "customer_features__orders_30d__event_ts timestamp, "
            "transaction_features__ratio float64, transaction_features__ratio__status string, "
            "transaction_features__ratio__event_ts timestamp, "
            "spec_hash string, spec_hashes string, full_feature_names bool");
}

TEST(LogSource, EveryServiceGetsOneAndOnlyItsOwnName) {
  std::string yaml = kYaml;
  yaml += "  - name: churn_model\n    features: [customer_features:amount]\n";
  const definitions::Repo repo = Parse(yaml);
  auto with_logs = WithLogSources(repo);
  ASSERT_TRUE(with_logs.ok()) << with_logs.status().ToString();
  ASSERT_EQ(with_logs->sources.size(), 3u);
  EXPECT_EQ(with_logs->sources[1].name, "fraud_model__log");
  EXPECT_EQ(with_logs->sources[2].name, "churn_model__log");
  EXPECT_EQ(Columns(with_logs->sources[2].schema),
            "request_id string, served_at timestamp, at timestamp, customer_id int32, "
            "store_code string, customer_features__amount float64, "
            "customer_features__amount__status string, "
            "customer_features__amount__event_ts timestamp, "
            "spec_hash string, spec_hashes string, full_feature_names bool");
  EXPECT_EQ(definitions::LoggedService(*with_logs, "churn_model__log"), "churn_model");
  EXPECT_EQ(definitions::LoggedService(*with_logs, "orders"), "");
  EXPECT_EQ(definitions::LoggedService(*with_logs, "nothing__log"), "");
}

TEST(LogSource, ADeclaredSourceNamedLikeALogIsRefused) {
  std::string yaml = kYaml;
  const std::string sources = "sources:\n";
  yaml.insert(yaml.find(sources) + sources.size(),
              "  - name: fraud_model__log\n    timestamp_field: ts\n"
              "    schema:\n      - {name: ts, type: timestamp}\n");
  const definitions::Repo repo = Parse(yaml);
  auto with_logs = WithLogSources(repo);
  ASSERT_FALSE(with_logs.ok());
  EXPECT_EQ(with_logs.status().message(),
            "featherstone.yaml:6:5: source 'fraud_model__log' takes the name of the feature log "
            "of service 'fraud_model' (sources named SERVICE__log are made by featherstone from "
            "the service); rename the source");
}

}  // namespace
}  // namespace fst::features
