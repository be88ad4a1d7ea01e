// The log source of a feature service: its columns derived from the service (keys typed as
// their sources declare them, request fields, three columns per feature), the refusal of a
// declared source that takes a log's name, and views over a log (checked against its columns,
// served by other services, never by the service whose log they read).
#include "featherstone/features/log_source.h"

#include <gtest/gtest.h>

#include "featherstone/definitions/validate.h"
#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/features/check_features.h"

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


// A view over fraud_model's log, served by `audit` (declared first, so its log is made after
// fraud_model's in a second round).
std::string WithLogView(const std::string& column, const std::string& service_of_view) {
  std::string yaml = kYaml;
  const std::string views = "on_demand_feature_views:\n";
  yaml.insert(yaml.find(views),
              "  - name: served_ratios\n    entities: [customer, store]\n"
              "    source: fraud_model__log\n    features:\n"
              "      - {name: served_ratio, column: " + column + "}\n"
              "      - {name: served_7d, agg: count, window: 7d}\n");
  const std::string services = "feature_services:\n";
  yaml.insert(yaml.find(services) + services.size(),
              "  - name: " + service_of_view +
                  "\n    features: [served_ratios:served_ratio, served_ratios:served_7d]\n");
  return yaml;
}

TEST(LogSource, AViewReadsAnotherServicesLog) {
  const definitions::Repo repo = Parse(WithLogView("transaction_features__ratio", "audit"));
  auto with_logs = WithLogSources(repo);
  ASSERT_TRUE(with_logs.ok()) << with_logs.status().ToString();
  ASSERT_EQ(with_logs->sources.size(), 3u);
  EXPECT_EQ(with_logs->sources[1].name, "audit__log");  // in the order of the services
  EXPECT_EQ(with_logs->sources[2].name, "fraud_model__log");
  EXPECT_EQ(Columns(with_logs->sources[1].schema),
            "request_id string, served_at timestamp, at timestamp, customer_id int32, "
            "store_code string, served_ratios__served_ratio float64, "
            "served_ratios__served_ratio__status string, "
            "served_ratios__served_ratio__event_ts timestamp, "
            "served_ratios__served_7d int64, served_ratios__served_7d__status string, "
            "served_ratios__served_7d__event_ts timestamp, "
            "spec_hash string, spec_hashes string, full_feature_names bool");
  EXPECT_TRUE(definitions::Validate(*with_logs).ok());
  const Status checked = CheckFeatures(*with_logs);
  EXPECT_TRUE(checked.ok()) << checked.ToString();
}

TEST(LogSource, AViewOverALogIsCheckedAgainstTheLogsColumns) {
  auto with_logs = WithLogSources(Parse(WithLogView("ratio", "audit")));
  ASSERT_FALSE(with_logs.ok());
  EXPECT_NE(with_logs.status().message().find(
                "feature_view 'served_ratios': feature 'served_ratio': column 'ratio' is not in "
                "source 'fraud_model__log'"),
            std::string::npos)
      << with_logs.status().message();
}

TEST(LogSource, AServiceServingItsOwnLogIsRefused) {
  std::string yaml = WithLogView("transaction_features__ratio", "audit");
  // fraud_model serves the view over its own log as well.
  yaml.replace(yaml.find("features: [customer_features:orders_30d"),
               std::string("features: [").size(),
               "features: [served_ratios:served_ratio, ");
  auto with_logs = WithLogSources(Parse(yaml));
  ASSERT_FALSE(with_logs.ok());
  EXPECT_NE(with_logs.status().message().find(
                "feature service 'fraud_model' serves features computed from its own feature "
                "log 'fraud_model__log'; serve them from another service"),
            std::string::npos)
      << with_logs.status().message();
}

}  // namespace
}  // namespace fst::features
