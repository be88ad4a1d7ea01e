#include <filesystem>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <unistd.h>

#include "featherstone/lineage/graph.h"
#include "featherstone/lineage/lineage_run.h"
#include "featherstone/lineage/run_event.h"

namespace fst::lineage {
namespace {

class LineageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lineage_" + std::to_string(getpid()) + "_" +
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
  std::filesystem::path dir_;
  std::unique_ptr<registry::Registry> registry_;
};

definitions::Repo ShopRepo() {
  definitions::Repo repo;
  repo.sources.resize(2);
  repo.sources[0].name = "orders";
  repo.sources[1].name = "clicks";
  definitions::FeatureView customer;
  customer.name = "customer_features";
  customer.source = "orders";
  definitions::FeatureView clicks;
  clicks.name = "click_features";
  clicks.source = "clicks";
  repo.feature_views = {customer, clicks};
  definitions::OnDemandFeatureView scored;
  scored.name = "scored";
  scored.sources = {"customer_features"};
  repo.on_demand_feature_views = {scored};
  definitions::FeatureService churn;
  churn.name = "churn_model";
  churn.features = {{"customer_features", "a"}, {"customer_features", "b"}, {"scored", "s"}};
  repo.feature_services = {churn};
  return repo;
}

TEST(RunIdTest, IsARandomVersion4Uuid) {
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewRunId();
    EXPECT_TRUE(std::regex_match(id, uuid)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(RunEventTest, FailCarriesTheErrorAndEveryRequiredField) {
  RunEvent event{"FAIL", 1'700'000'000'000'000, NewRunId(), "shop", "ingest.orders",
                 {FileDataset("data/orders.csv")}, {{"shop", "offline/orders"}}, "bad rows"};
  auto json = ToJson(event);
  for (const char* key : {"eventType", "eventTime", "run", "job", "producer", "schemaURL"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_EQ(json["eventTime"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(json["job"]["namespace"], "shop");
  EXPECT_EQ(json["run"]["facets"]["errorMessage"]["message"], "bad rows");
  EXPECT_EQ(json["run"]["facets"]["errorMessage"]["_producer"], kProducer);
  EXPECT_EQ(json["inputs"][0]["namespace"], "file");
  EXPECT_TRUE(std::filesystem::path(json["inputs"][0]["name"].get<std::string>()).is_absolute());
  EXPECT_EQ(json["outputs"][0]["name"], "offline/orders");
}

TEST(QualityFacetsTest, MetricsAndAssertionsFromAContractRun) {
  auto metrics = nlohmann::json::parse(R"({"row_count": 4, "columns": {
      "amount": {"count": 4, "null_count": 1, "distinct_estimate": 3, "min": 1.0, "max": 5.0,
                 "mean": 2.0},
      "ts": {"count": 4, "null_count": 0, "min": "2026-01-01T00:00:00Z"}}})");
  auto result = nlohmann::json::parse(R"({"results": [
      {"expectation_config": {"expectation_type": "expect_column_values_to_not_be_null",
                              "kwargs": {"column": "amount"}, "meta": {"severity": "error"}},
       "success": false},
      {"expectation_config": {"expectation_type": "expect_table_row_count_to_be_between",
                              "kwargs": {}}, "success": true}]})");
  auto facets = QualityFacets(metrics, result);
  const auto& m = facets["dataQualityMetrics"];
  EXPECT_EQ(m["rowCount"], 4);
  EXPECT_EQ(m["columnMetrics"]["amount"]["nullCount"], 1);
  EXPECT_EQ(m["columnMetrics"]["amount"]["distinctCount"], 3);
  EXPECT_DOUBLE_EQ(m["columnMetrics"]["amount"]["sum"].get<double>(), 6.0);
  EXPECT_FALSE(m["columnMetrics"]["ts"].contains("min"));  // text, not a number
  const auto& a = facets["dataQualityAssertions"]["assertions"];
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0]["column"], "amount");
  EXPECT_EQ(a[0]["success"], false);
  EXPECT_FALSE(a[1].contains("column"));
  EXPECT_TRUE(QualityFacets(nullptr, "garbage").empty());
}

TEST_F(LineageTest, ARunRecordsStartThenCompleteWithOneRunId) {
  LineageRun run(*registry_, "shop", "ingest.orders", {FileDataset("a.csv")},
                 {{"shop", "offline/orders"}});
  Dataset out{"shop", "offline/orders"};
  out.output_facets = OutputStatistics(7);
  run.Complete(7, {}, {out});
  EXPECT_EQ(run.failed(), 0);
  auto events = registry_->ListLineageEvents("ingest.orders");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].event_type, "COMPLETE");
  EXPECT_EQ((*events)[1].event_type, "START");
  EXPECT_EQ((*events)[0].run_id, run.run_id());
  EXPECT_EQ((*events)[1].run_id, run.run_id());
  EXPECT_EQ((*events)[0].rows, 7);
  auto json = nlohmann::json::parse((*events)[0].event_json);
  EXPECT_EQ(json["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"], 7);
}

TEST_F(LineageTest, GraphLinksSourcesViewsAndServicesWithTheLastRuns) {
  LineageRun(*registry_, "shop", "ingest.orders", {}, {}).Fail("breaker open");
  auto graph = BuildGraph(ShopRepo(), *registry_);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  ASSERT_EQ(graph->nodes.size(), 6u);
  EXPECT_EQ(graph->nodes[0].id, "source:clicks");
  EXPECT_EQ(graph->nodes[1].id, "source:orders");
  ASSERT_TRUE(graph->nodes[1].last_run.has_value());
  EXPECT_EQ(graph->nodes[1].last_run->error, "breaker open");
  auto json = GraphJson(*graph);
  std::set<std::pair<std::string, std::string>> edges;
  for (const auto& e : json["edges"]) {
    edges.insert({e["from"].get<std::string>(), e["to"].get<std::string>()});
  }
  const std::set<std::pair<std::string, std::string>> expected = {
      {"source:clicks", "feature_view:click_features"},
      {"source:orders", "feature_view:customer_features"},
      {"feature_view:customer_features", "on_demand_feature_view:scored"},
      {"feature_view:customer_features", "feature_service:churn_model"},
      {"on_demand_feature_view:scored", "feature_service:churn_model"}};
  EXPECT_EQ(edges, expected);
  EXPECT_NE(GraphText(*graph).find("ingest.orders"), std::string::npos);

  auto around = Around(*graph, "customer_features");
  ASSERT_TRUE(around.ok());
  std::set<std::string> ids;
  for (const auto& node : around->nodes) ids.insert(node.id);
  EXPECT_EQ(ids, (std::set<std::string>{"source:orders", "feature_view:customer_features",
                                        "on_demand_feature_view:scored",
                                        "feature_service:churn_model"}));
  EXPECT_TRUE(Around(*graph, "nope").status().IsKeyError());
}

}  // namespace
}  // namespace fst::lineage
