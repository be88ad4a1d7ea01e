#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <unistd.h>

#include "featherstone/core/file_system.h"
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
    definitions::LineageSettings settings;
    settings.file = "lineage.jsonl";
    emitter_ = Open(settings);
  }
  void TearDown() override {
    emitter_.reset();
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<Emitter> emitter_;

  std::unique_ptr<Emitter> Open(const definitions::LineageSettings& settings,
                                EmitterOptions options = {}) {
    auto emitter =
        Emitter::Open(*registry_, *core::LocalFs(), dir_.string(), "shop", settings, options);
    EXPECT_TRUE(emitter.ok()) << emitter.status().ToString();
    return emitter.ok() ? std::move(*emitter) : nullptr;
  }
  std::vector<std::string> Lines(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
};

definitions::LineageSettings NoSinks() {
  definitions::LineageSettings settings;
  settings.file.clear();
  return settings;
}

// A TCP port on loopback that nothing listens on (bound, then closed).
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

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
  LineageRun run(*emitter_, "ingest.orders", {FileDataset("a.csv")},
                 {{"shop", "offline/orders"}});
  Dataset out{"shop", "offline/orders"};
  out.output_facets = OutputStatistics(7);
  run.Complete(7, {}, {out});
  EXPECT_EQ(emitter_->failed(), 0);
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
  LineageRun(*emitter_, "ingest.orders", {}, {}).Fail("breaker open");
  auto graph = BuildGraph(ShopRepo(), *registry_);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  ASSERT_EQ(graph->nodes.size(), 7u);
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
      {"on_demand_feature_view:scored", "feature_service:churn_model"},
      {"feature_service:churn_model", "logged_requests:churn_model"}};
  EXPECT_EQ(edges, expected);
  EXPECT_NE(GraphText(*graph).find("ingest.orders"), std::string::npos);

  auto around = Around(*graph, "customer_features");
  ASSERT_TRUE(around.ok());
  std::set<std::string> ids;
  for (const auto& node : around->nodes) ids.insert(node.id);
  EXPECT_EQ(ids, (std::set<std::string>{"source:orders", "feature_view:customer_features",
                                        "on_demand_feature_view:scored",
                                        "feature_service:churn_model",
                                        "logged_requests:churn_model"}));
  EXPECT_TRUE(Around(*graph, "nope").status().IsKeyError());
}

TEST_F(LineageTest, ASourcesLastRunIsItsNewestIngestPushOrStreamAndTrainingSetsJoinOutcomes) {
  LineageRun(*emitter_, "ingest.orders", {}, {}).Complete(1);
  LineageRun(*emitter_, "push.orders", {}, {}).Fail("bad push");
  LineageRun(*emitter_, "training_set.churn_model", {{"shop", "log/churn_model"},
                                                      {"shop", "offline/clicks"}}, {})
      .Complete(4);
  auto graph = BuildGraph(ShopRepo(), *registry_);
  ASSERT_TRUE(graph.ok());
  std::map<std::string, const Node*> nodes;
  for (const auto& node : graph->nodes) nodes[node.id] = &node;
  ASSERT_TRUE(nodes["source:orders"]->last_run.has_value());
  EXPECT_EQ(nodes["source:orders"]->last_run->job, "push.orders");
  ASSERT_TRUE(nodes.count("training_set:churn_model"));
  EXPECT_EQ(nodes["training_set:churn_model"]->last_run->rows, 4);
  std::set<std::pair<std::string, std::string>> edges;
  for (const auto& e : graph->edges) edges.insert({e.from, e.to});
  EXPECT_TRUE(edges.count({"logged_requests:churn_model", "training_set:churn_model"}));
  EXPECT_TRUE(edges.count({"source:clicks", "training_set:churn_model"}));
}

TEST_F(LineageTest, AServicesLogSourceIsDrawnAsItsLoggedRequestsWithItsLastPublish) {
  definitions::Repo repo = ShopRepo();
  definitions::Source log;
  log.name = "churn_model__log";
  repo.sources.push_back(log);
  LineageRun(*emitter_, "ingest.churn_model__log", {}, {}).Complete(5);
  auto graph = BuildGraph(repo, *registry_);
  ASSERT_TRUE(graph.ok());
  std::map<std::string, const Node*> nodes;
  for (const auto& node : graph->nodes) nodes[node.id] = &node;
  EXPECT_FALSE(nodes.count("source:churn_model__log"));
  ASSERT_TRUE(nodes.count("logged_requests:churn_model"));
  ASSERT_TRUE(nodes["logged_requests:churn_model"]->last_run.has_value());
  EXPECT_EQ(nodes["logged_requests:churn_model"]->last_run->rows, 5);
}

TEST_F(LineageTest, TheFileSinkHoldsExactlyTheRegistrysEventsOnePerLine) {
  LineageRun(*emitter_, "ingest.orders", {}, {}).Complete(3);
  LineageRun(*emitter_, "apply", {}, {}).Fail("bad\nthing");
  auto events = registry_->ListLineageEvents("");
  ASSERT_TRUE(events.ok());
  std::multiset<std::string> stored, written;
  for (const auto& event : *events) stored.insert(event.event_json);
  for (const auto& line : Lines(dir_ / "lineage.jsonl")) written.insert(line);
  EXPECT_EQ(stored.size(), 4u);
  EXPECT_EQ(written, stored);
}

TEST_F(LineageTest, NoneWritesOnlyTheRegistry) {
  emitter_ = Open(NoSinks());
  LineageRun(*emitter_, "apply", {}, {}).Complete(0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "lineage.jsonl"));
  EXPECT_EQ(registry_->ListLineageEvents("apply")->size(), 2u);
}

TEST_F(LineageTest, ADownCollectorNeitherFailsNorHoldsTheRunAndEachEventIsCounted) {
  definitions::LineageSettings settings = NoSinks();
  settings.http = "http://127.0.0.1:" + std::to_string(ClosedPort());
  const auto began = std::chrono::steady_clock::now();
  {
    EmitterOptions options;
    options.backoff_ms = 20;
    auto emitter = Open(settings, options);
    LineageRun run(*emitter, "ingest.orders", {}, {});
    run.Complete(1);
    emitter->Flush(5000);
    EXPECT_EQ(emitter->failed(), 2);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(3));
  EXPECT_EQ(CountFailedEvents(*core::LocalFs(), dir_.string()), 2);
  const auto failure = nlohmann::json::parse(Lines(Emitter::FailedPath(dir_.string()))[0]);
  EXPECT_EQ(failure["sink"], "http");
  EXPECT_EQ(failure["job"], "ingest.orders");
  EXPECT_NE(failure["error"].get<std::string>().find("cannot connect"), std::string::npos);
  EXPECT_EQ(registry_->ListLineageEvents("ingest.orders")->size(), 2u);  // still recorded
}

TEST(HttpEndpointTest, ParsesHostPortAndPathWithMarquezsPathByDefault) {
  auto marquez = ParseHttpEndpoint("http://localhost:5000");
  ASSERT_TRUE(marquez.ok());
  EXPECT_EQ(marquez->ToString(), "http://localhost:5000/api/v1/lineage");
  auto custom = ParseHttpEndpoint("http://collector/events");
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->port, 80);
  EXPECT_EQ(custom->path, "/events");
  for (const char* bad : {"https://x", "ftp://x", "http://", "http://x:0", "http://x:99999/"}) {
    auto refused = ParseHttpEndpoint(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.status().message().find(bad), std::string::npos);
  }
}

}  // namespace
}  // namespace fst::lineage
