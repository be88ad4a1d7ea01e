#include "featherstone/lineage/describe.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include "featherstone/core/time.h"
#include "featherstone/definitions/spec.h"
#include "featherstone/definitions/yaml_reader.h"

namespace fst::lineage {
namespace {

constexpr char kRepo[] = R"(project: shop
entities:
  - {name: customer, join_keys: [customer_id]}
sources:
  - name: orders
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: amount, type: float64}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    description: Spending of each customer
    owner: growth
    tags: [spend]
    features:
      - {name: amount, description: Latest order amount}
feature_services:
  - {name: churn_model, features: ["customer_features:amount"]}
)";

class DescribeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("describe_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto opened = registry::Registry::Open((dir_ / "registry.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    registry_ = std::move(*opened);
  }
  void TearDown() override {
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Apply(const std::string& yaml) {
    auto repo = definitions::ParseYaml(yaml, "featherstone.yaml");
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    ASSERT_TRUE(registry_->Apply(definitions::ToSpecObjects(*repo)).ok());
    applied_ = *repo;
  }
  Result<nlohmann::ordered_json> Describe(const std::string& name, int64_t now = 0) {
    return DescribeObject(applied_, *registry_, name, now);
  }

  std::filesystem::path dir_;
  std::unique_ptr<registry::Registry> registry_;
  definitions::Repo applied_;
};

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST_F(DescribeTest, TwoAppliesShowBothVersionsAndWhatChanged) {
  Apply(kRepo);
  Apply(Replace(Replace(kRepo, "description: Spending of each customer",
                        "description: Money spent by each customer"),
                "      - {name: amount, description: Latest order amount}\n",
                "      - {name: amount, description: Latest order amount}\n"
                "      - {name: cents, expr: amount * 100}\n"));
  auto d = Describe("customer_features");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)["kind"], "feature_view");
  EXPECT_EQ((*d)["version"], 2);
  EXPECT_EQ((*d)["description"], "Money spent by each customer");
  EXPECT_EQ((*d)["owner"], "growth");
  EXPECT_EQ((*d)["tags"], nlohmann::ordered_json({"spend"}));
  const auto& versions = (*d)["versions"];
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0]["version"], 1);
  EXPECT_EQ(versions[0]["changes"], "created");
  EXPECT_EQ(versions[1]["changes"],
            "description: \"Spending of each customer\" -> \"Money spent by each customer\"; "
            "feature cents added");
  EXPECT_EQ((*d)["lineage"]["producers"], nlohmann::ordered_json({"source:orders"}));
  EXPECT_EQ((*d)["lineage"]["consumers"],
            nlohmann::ordered_json({"feature_service:churn_model"}));
  EXPECT_TRUE((*d)["data"]["watermark"].is_null());

  const std::string text = DescribeText(*d);
  EXPECT_NE(text.find("feature_view customer_features  (version 2"), std::string::npos) << text;
  EXPECT_NE(text.find("  owner: growth\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  v1  "), std::string::npos) << text;
  EXPECT_NE(text.find("feature cents added"), std::string::npos) << text;
  EXPECT_NE(text.find("  from: source:orders\n"), std::string::npos) << text;
  EXPECT_NE(text.find("data: not materialized\n"), std::string::npos) << text;
}

TEST_F(DescribeTest, RowsOfASourceAndAgeOfAWatermark) {
  Apply(kRepo);
  auto id = registry_->BeginIngest("orders", "orders.csv", "h1");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(registry_->PublishIngest(*id, 42, {}).ok());
  auto d = Describe("orders");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)["data"]["rows"], 42);
  EXPECT_EQ((*d)["data"]["ingests"], 1);
  EXPECT_EQ((*d)["lineage"]["consumers"],
            nlohmann::ordered_json({"feature_view:customer_features"}));

  const int64_t end = core::kMicrosPerDay * 20000;
  ASSERT_TRUE(registry_->SetWatermark({"customer_features", end, *id, 0}).ok());
  d = Describe("customer_features", end + 90 * core::kMicrosPerSecond);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)["data"]["watermark_age_seconds"], 90);
  EXPECT_EQ((*d)["data"]["watermark"], core::FormatTimestamp(end));
}

TEST_F(DescribeTest, AServiceCountsTheLoggedRowsPublishedIntoItsLog) {
  Apply(kRepo);
  auto d = Describe("churn_model");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)["data"]["logged_rows"], 0);
  EXPECT_TRUE((*d)["data"]["last_log_publish_at"].is_null());
  for (int64_t rows : {30, 12}) {
    auto id = registry_->BeginIngest("churn_model__log", "part", "h" + std::to_string(rows));
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(registry_->PublishIngest(*id, rows, {}).ok());
  }
  d = Describe("churn_model");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)["data"]["logged_rows"], 42);
  EXPECT_EQ((*d)["data"]["log_source"], "churn_model__log");
  const std::string text = DescribeText(*d);
  EXPECT_NE(text.find("data: 42 logged rows published into churn_model__log, last "),
            std::string::npos)
      << text;
}

TEST_F(DescribeTest, AFeatureIsDescribedWithItsView) {
  Apply(kRepo);
  auto d = Describe("customer_features:amount");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)["kind"], "feature");
  EXPECT_EQ((*d)["view"], "customer_features");
  EXPECT_EQ((*d)["description"], "Latest order amount");
  EXPECT_EQ((*d)["owner"], "growth");  // the view's
  EXPECT_EQ((*d)["feature"]["column"], "amount");
  const std::string text = DescribeText(*d);
  EXPECT_TRUE(text.starts_with("feature customer_features:amount  (version 1")) << text;
  // The metadata in the header lines, not again in the feature's definition; then its view's.
  EXPECT_NE(text.find("\n  description: Latest order amount\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  feature:\n    column: amount\n    kind: passthrough\n  view"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  view customer_features:\n"), std::string::npos) << text;

  auto missing = Describe("customer_features:nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "feature view 'customer_features' has no feature 'nope'");
  missing = Describe("custmer_features");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsKeyError());
  EXPECT_EQ(missing.status().message(),
            "nothing named 'custmer_features' is applied; did you mean 'customer_features'?");
}

}  // namespace
}  // namespace fst::lineage
