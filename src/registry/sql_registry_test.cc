#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "featherstone/definitions/spec.h"
#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/registry/registry.h"
#include "featherstone/registry/registry_copy.h"
#include "plan.h"
#include "featherstone/core/dsn.h"
#include "postgres_db.h"
#include "postgres_test_server.h"
#include "sqlite_db.h"

namespace fst::registry {
namespace {

namespace fs = std::filesystem;
using definitions::SpecObject;

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
    ttl: 30d
    features:
      - {name: amount}
feature_services:
  - {name: churn_model, features: ["customer_features:amount"]}
)";

std::vector<SpecObject> Specs(const std::string& yaml) {
  auto repo = definitions::ParseYaml(yaml, "featherstone.yaml");
  EXPECT_TRUE(repo.ok()) << repo.status();
  return repo.ok() ? definitions::ToSpecObjects(*repo) : std::vector<SpecObject>{};
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

std::vector<std::string> Describe(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const auto& change : changes) {
    out.push_back(std::string(OpName(change.op)) + " " + change.kind + " " + change.name +
                  (change.detail.empty() ? "" : " (" + change.detail + ")"));
  }
  return out;
}

// The conformance suite: every test runs on each backend (TEST_P of RegistryTest), and
// registries of either backend must give the same answers. SQLite-only and PostgreSQL-only
// tests have fixtures of their own below.
enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

class RegistryTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    const char* base = std::getenv("FST_TEST_TMP");
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::path(base != nullptr ? base : "/tmp") /
           ("registry_" + std::to_string(getpid()) + "_" + Sanitized(test));
    fs::remove_all(dir_);
    path_ = (dir_ / ".featherstone" / "registry.db").string();
    location_ = path_;
    name_ = path_;
    if (GetParam() == Backend::kPostgres) {
      static int databases = 0;
      const std::string database = "registry_" + std::to_string(++databases);
      PostgresTestServer::Get()->CreateDatabase(database);
      location_ = PostgresTestServer::Get()->Url(database);
      name_ = core::RedactedDsn(location_);
    }
    Reopen();
  }
  void TearDown() override {
    registry_.reset();
    fs::remove_all(dir_);
  }

  static std::string Sanitized(std::string name) {
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    return name;
  }

  void Reopen() {
    registry_.reset();
    auto opened = Registry::Open(location_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    registry_ = *std::move(opened);
  }

  // A connection of the registry's database without the Registry on top.
  std::unique_ptr<Db> Raw() {
    if (GetParam() == Backend::kPostgres) {
      auto opened = PostgresDb::Open(location_);
      EXPECT_TRUE(opened.ok()) << opened.status();
      return opened.ok() ? *std::move(opened) : nullptr;
    }
    auto opened = SqliteDb::Open(path_);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? *std::move(opened) : nullptr;
  }

  int64_t Count(const std::string& table) {
    auto db = Raw();
    auto select = db->Prepare("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(select.ok()) << select.status();
    auto row = select->Step();
    EXPECT_TRUE(row.ok() && *row);
    return select->Int(0);
  }

  // What the backend says when a row breaks a UNIQUE or PRIMARY KEY constraint.
  std::string UniqueViolation() const {
    return GetParam() == Backend::kSqlite ? "UNIQUE constraint failed"
                                          : "duplicate key value violates unique constraint";
  }

  fs::path dir_;
  std::string path_;      // the SQLite file (also made for PostgreSQL runs; unused there)
  std::string location_;  // what Registry::Open takes
  std::string name_;      // what errors name: the path, or the URI without its password
  std::unique_ptr<Registry> registry_;
};

INSTANTIATE_TEST_SUITE_P(Backends, RegistryTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

class SqliteRegistryTest : public RegistryTest {};
INSTANTIATE_TEST_SUITE_P(Backends, SqliteRegistryTest, ::testing::Values(Backend::kSqlite),
                         BackendName);

class PostgresRegistryTest : public RegistryTest {};
INSTANTIATE_TEST_SUITE_P(Backends, PostgresRegistryTest, ::testing::Values(Backend::kPostgres),
                         BackendName);

TEST_P(RegistryTest, PlanApplyListHistory) {
  const auto v1 = Specs(kRepo);
  auto plan = registry_->Plan(v1);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Describe(*plan),
            (std::vector<std::string>{"add entity customer", "add source orders",
                                      "add feature_view customer_features",
                                      "add feature_service churn_model"}));
  EXPECT_TRUE(registry_->List()->empty()) << "plan stores nothing";
  auto applied = registry_->Apply(v1);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(Describe(*applied), Describe(*plan));

  auto listed = registry_->List();
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 4u);
  for (size_t i = 0; i < v1.size(); ++i) {
    EXPECT_EQ((*listed)[i].object.kind, v1[i].kind);
    EXPECT_EQ((*listed)[i].object.name, v1[i].name);
    EXPECT_EQ((*listed)[i].object.spec, v1[i].spec);
    EXPECT_EQ((*listed)[i].object.hash, v1[i].hash);
    EXPECT_EQ((*listed)[i].version, 1);
    EXPECT_GT((*listed)[i].applied_at, 0);
  }
  auto views = registry_->List("feature_view");
  ASSERT_TRUE(views.ok());
  ASSERT_EQ(views->size(), 1u);
  EXPECT_EQ((*views)[0].object.name, "customer_features");

  // Change: ttl and features of the view.
  const auto v2 = Specs(Replace(Replace(kRepo, "ttl: 30d", "ttl: 2d"), "- {name: amount}",
                                "- {name: amount}\n      - {name: cents, expr: amount * 100}"));
  plan = registry_->Plan(v2);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Describe(*plan), (std::vector<std::string>{
                                 "change feature_view customer_features (feature cents added; "
                                 "ttl: 30d -> 2d)"}));
  applied = registry_->Apply(v2);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(Describe(*applied), Describe(*plan));
  views = registry_->List("feature_view");
  ASSERT_EQ(views->size(), 1u);
  EXPECT_EQ((*views)[0].version, 2);
  EXPECT_EQ((*views)[0].object.spec["ttl"], "2d");

  // Remove the service.
  std::vector<SpecObject> v3 = v2;
  v3.pop_back();
  applied = registry_->Apply(v3);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(Describe(*applied),
            (std::vector<std::string>{"remove feature_service churn_model"}));
  EXPECT_TRUE(registry_->List("feature_service")->empty());
  EXPECT_EQ(registry_->List()->size(), 3u);

  auto history = registry_->History("customer_features");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 1);
  EXPECT_EQ((*history)[0].object.spec["ttl"], "30d");
  EXPECT_EQ((*history)[1].version, 2);
  EXPECT_EQ((*history)[1].object.spec["ttl"], "2d");
  EXPECT_LE((*history)[0].applied_at, (*history)[1].applied_at);

  history = registry_->History("churn_model");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_FALSE((*history)[0].removed);
  EXPECT_TRUE((*history)[1].removed);
  EXPECT_EQ((*history)[1].version, 2);
  EXPECT_TRUE(registry_->History("nothing")->empty());

  // Adding it back continues the version sequence.
  applied = registry_->Apply(v2);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(Describe(*applied), (std::vector<std::string>{"add feature_service churn_model"}));
  auto services = registry_->List("feature_service");
  ASSERT_EQ(services->size(), 1u);
  EXPECT_EQ((*services)[0].version, 3);
  EXPECT_EQ(Count("applies"), 4);
}

TEST_P(RegistryTest, ApplyWithNothingToChangeStoresNothing) {
  const auto specs = Specs(kRepo);
  ASSERT_EQ(registry_->Apply(specs)->size(), 4u);
  EXPECT_EQ(Count("objects"), 4);
  EXPECT_EQ(Count("applies"), 1);
  // A different YAML spelling of the same definitions changes nothing.
  const auto respelled = Specs(Replace(kRepo, "ttl: 30d", "ttl: 720h"));
  auto again = registry_->Apply(respelled);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->empty());
  EXPECT_TRUE(registry_->Plan(specs)->empty());
  EXPECT_EQ(Count("objects"), 4);
  EXPECT_EQ(Count("applies"), 1);
}

TEST_P(RegistryTest, LatestApplyIdGrowsOnlyWithAChange) {
  EXPECT_EQ(*registry_->LatestApplyId(), 0);
  ASSERT_TRUE(registry_->Apply(Specs(kRepo)).ok());
  const int64_t first = *registry_->LatestApplyId();
  EXPECT_GT(first, 0);
  ASSERT_TRUE(registry_->Apply(Specs(kRepo)).ok());  // nothing to change
  EXPECT_EQ(*registry_->LatestApplyId(), first);
  ASSERT_TRUE(registry_->Apply(Specs(Replace(kRepo, "ttl: 30d", "ttl: 10d"))).ok());
  EXPECT_GT(*registry_->LatestApplyId(), first);
}

TEST_P(RegistryTest, ApplyRejectsDuplicatesAtomically) {
  auto specs = Specs(kRepo);
  specs.push_back(specs[0]);
  auto applied = registry_->Apply(specs);
  ASSERT_FALSE(applied.ok());
  EXPECT_TRUE(applied.status().IsInvalid());
  EXPECT_EQ(Count("objects"), 0);
}

TEST_P(RegistryTest, IngestVisibleOnlyOncePublished) {
  auto first = registry_->BeginIngest("orders", "data/orders.csv", "h1");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = registry_->BeginIngest("orders", "data/more.csv", "h2");
  ASSERT_TRUE(second.ok());
  EXPECT_GT(*second, *first);

  EXPECT_FALSE(registry_->FindPublishedIngest("orders", "h1")->has_value());
  ASSERT_TRUE(registry_->PublishIngest(*second, 30,
                                       {{0, "orders", "orders/p-2-0.parquet", 20, 100, 200, {}},
                                        {0, "", "orders/p-2-1.parquet", 10, 150, 300, {}}})
                  .ok());
  // `first` is begun but never published: none of its traces are visible.
  auto files = registry_->ListFiles("orders");
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].ingest_id, *second);
  EXPECT_EQ((*files)[0].path, "orders/p-2-0.parquet");
  EXPECT_EQ((*files)[1].source, "orders");
  EXPECT_EQ((*files)[1].rows, 10);
  EXPECT_EQ((*files)[1].min_ts, 150);
  EXPECT_EQ((*files)[1].max_ts, 300);
  EXPECT_FALSE(registry_->FindPublishedIngest("orders", "h1")->has_value());
  auto found = registry_->FindPublishedIngest("orders", "h2");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, *second);
  EXPECT_EQ((*found)->input, "data/more.csv");
  EXPECT_EQ((*found)->rows, 30);
  EXPECT_GT((*found)->published_at, 0);
  EXPECT_FALSE(registry_->FindPublishedIngest("payments", "h2")->has_value());

  auto ingests = registry_->ListIngests();
  ASSERT_TRUE(ingests.ok());
  ASSERT_EQ(ingests->size(), 1u);
  EXPECT_EQ((*ingests)[0].id, *second);

  ASSERT_TRUE(
      registry_->PublishIngest(*first, 5, {{0, "orders", "orders/p-1.parquet", 5, 1, 2, {}}}).ok());
  auto payments = registry_->BeginIngest("payments", "pay.csv", "h1");
  ASSERT_TRUE(registry_->PublishIngest(*payments, 0, {}).ok());
  ingests = registry_->ListIngests();
  ASSERT_EQ(ingests->size(), 3u);
  EXPECT_EQ((*ingests)[0].id, *payments);
  EXPECT_EQ((*ingests)[1].id, *second);
  EXPECT_EQ((*ingests)[2].id, *first);
  ingests = registry_->ListIngests("orders");
  ASSERT_EQ(ingests->size(), 2u);
  files = registry_->ListFiles("orders");
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].ingest_id, *first) << "files are in ingest id order";
  EXPECT_TRUE(registry_->ListFiles("payments")->empty());
}

TEST_P(RegistryTest, FailedPublishLeavesNothingVisible) {
  auto id = registry_->BeginIngest("orders", "in.csv", "h");
  ASSERT_TRUE(id.ok());
  const FileRecord file{0, "orders", "orders/a.parquet", 1, 0, 0, {}};
  const Status duplicate_path = registry_->PublishIngest(*id, 2, {file, file});
  ASSERT_FALSE(duplicate_path.ok());
  EXPECT_TRUE(duplicate_path.IsIOError());
  EXPECT_NE(duplicate_path.message().find(name_), std::string::npos);
  EXPECT_NE(duplicate_path.message().find(UniqueViolation()), std::string::npos)
      << duplicate_path.message();
  EXPECT_TRUE(registry_->ListFiles("orders")->empty());
  EXPECT_TRUE(registry_->ListIngests()->empty());

  const Status wrong_source =
      registry_->PublishIngest(*id, 1, {{0, "payments", "payments/a.parquet", 1, 0, 0, {}}});
  EXPECT_TRUE(wrong_source.IsInvalid()) << wrong_source;

  ASSERT_TRUE(registry_->PublishIngest(*id, 1, {file}).ok());
  const Status twice = registry_->PublishIngest(*id, 1, {});
  EXPECT_TRUE(twice.IsInvalid()) << twice;
  EXPECT_EQ(registry_->ListFiles("orders")->size(), 1u);
  const Status unknown = registry_->PublishIngest(*id + 100, 1, {});
  EXPECT_TRUE(unknown.IsKeyError()) << unknown;
}

TEST_P(RegistryTest, CompactionReplacesFilesInOneTransaction) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto id = registry_->BeginIngest("orders", "in" + std::to_string(i), "h" + std::to_string(i));
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(registry_
                    ->PublishIngest(*id, 2,
                                    {{0, "orders", "orders/p" + std::to_string(i) + ".parquet", 2,
                                      10 * i, 10 * i + 5, {}}})
                    .ok());
    ids.push_back(*id);
  }
  auto unpublished = registry_->BeginIngest("orders", "late", "h9");
  auto compaction = registry_->BeginCompaction("orders");
  ASSERT_TRUE(compaction.ok()) << compaction.status();
  const FileRecord merged{0, "orders", "orders/c.parquet", 4, 0, 15,
                          {{ids[0], 2, 0, 5}, {ids[1], 2, 10, 15}}};
  // Each refusal changes nothing.
  FileRecord holds_unpublished = merged;
  holds_unpublished.held[1].ingest_id = *unpublished;
  EXPECT_TRUE(registry_
                  ->CommitCompaction(*compaction, {"orders/p0.parquet", "orders/p1.parquet"},
                                     {holds_unpublished})
                  .IsInvalid());
  EXPECT_TRUE(registry_->CommitCompaction(*compaction, {"orders/p0.parquet"}, {merged})
                  .IsInvalid())
      << "rows in and out differ";
  EXPECT_TRUE(registry_
                  ->CommitCompaction(*compaction, {"orders/p0.parquet", "orders/gone.parquet"},
                                     {merged})
                  .IsCancelled());
  EXPECT_EQ(registry_->ListFiles("orders")->size(), 3u);
  EXPECT_TRUE(registry_->ListCompactions("orders")->empty());

  ASSERT_TRUE(registry_
                  ->CommitCompaction(*compaction, {"orders/p0.parquet", "orders/p1.parquet"},
                                     {merged})
                  .ok());
  auto files = registry_->ListFiles("orders");
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, "orders/c.parquet");
  EXPECT_EQ((*files)[0].ingest_id, ids[1]) << "the newest ingest it holds";
  ASSERT_EQ((*files)[0].held.size(), 2u);
  EXPECT_EQ((*files)[0].held[1].min_ts, 10);
  EXPECT_EQ(IngestSpans((*files)[1]).size(), 1u);
  EXPECT_EQ(IngestSpans((*files)[1])[0].ingest_id, ids[2]);
  EXPECT_EQ(registry_->ListIngests("orders")->size(), 3u) << "ingests are untouched";
  auto compactions = registry_->ListCompactions("orders");
  ASSERT_EQ(compactions->size(), 1u);
  EXPECT_EQ((*compactions)[0].files_in, 2);
  EXPECT_EQ((*compactions)[0].files_out, 1);
  EXPECT_EQ((*compactions)[0].rows, 4);
  EXPECT_TRUE(registry_->CommitCompaction(*compaction, {}, {}).IsInvalid()) << "committed twice";

  // Compacting a compacted file drops its spans with it.
  auto again = registry_->BeginCompaction("orders");
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(registry_
                  ->CommitCompaction(*again, {"orders/c.parquet", "orders/p2.parquet"},
                                     {{0, "orders", "orders/c2.parquet", 6, 0, 25,
                                       {{ids[0], 2, 0, 5}, {ids[1], 2, 10, 15},
                                        {ids[2], 2, 20, 25}}}})
                  .ok());
  files = registry_->ListFiles("orders");
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].held.size(), 3u);
  EXPECT_EQ(Count("file_ingests"), 3);
}

TEST_P(RegistryTest, Watermarks) {
  auto missing = registry_->GetWatermark("customer_features");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(registry_->SetWatermark({"customer_features", 1000, 3}).ok());
  ASSERT_TRUE(registry_->SetWatermark({"other", 5, 1}).ok());
  ASSERT_TRUE(registry_->SetWatermark({"customer_features", 2000, 4}).ok());
  auto mark = registry_->GetWatermark("customer_features");
  ASSERT_TRUE(mark.ok() && mark->has_value());
  EXPECT_EQ((*mark)->view, "customer_features");
  EXPECT_EQ((*mark)->end_ts, 2000);
  EXPECT_EQ((*mark)->last_ingest_id, 4);
}

TEST_P(RegistryTest, OnlineProgressIsReplacedPerSource) {
  auto missing = registry_->GetOnlineProgress("orders");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(registry_->SetOnlineProgress({"orders", 1000, 50}).ok());
  ASSERT_TRUE(registry_->SetOnlineProgress({"clicks", 7, 60}).ok());
  ASSERT_TRUE(registry_->SetOnlineProgress({"orders", 2000, 70}).ok());
  auto progress = registry_->GetOnlineProgress("orders");
  ASSERT_TRUE(progress.ok() && progress->has_value());
  EXPECT_EQ((*progress)->max_event_ts, 2000);
  EXPECT_EQ((*progress)->updated_at, 70);
  ASSERT_TRUE(registry_->SetOnlineProgress({"clicks", 9, 0}).ok());  // 0 = now
  progress = registry_->GetOnlineProgress("clicks");
  ASSERT_TRUE(progress.ok() && progress->has_value());
  EXPECT_GT((*progress)->updated_at, 1'700'000'000'000'000);
}

TEST_P(RegistryTest, WatermarkHistoryAnswersAsOfATime) {
  ASSERT_TRUE(registry_->SetWatermark({"v", 1000, 3, /*set_at=*/100}).ok());
  ASSERT_TRUE(registry_->SetWatermark({"other", 7, 1, 150}).ok());
  ASSERT_TRUE(registry_->SetWatermark({"v", 2000, 4, 200}).ok());
  ASSERT_TRUE(registry_->SetWatermark({"v", 2500, 5, 200}).ok());  // same instant: the later wins
  auto at = [&](int64_t t) -> int64_t {
    auto mark = registry_->GetWatermarkAt("v", t);
    EXPECT_TRUE(mark.ok());
    return mark->has_value() ? (*mark)->end_ts : -1;
  };
  EXPECT_EQ(at(99), -1);
  EXPECT_EQ(at(100), 1000);
  EXPECT_EQ(at(199), 1000);
  EXPECT_EQ(at(200), 2500);
  EXPECT_EQ(at(1'000'000), 2500);
  EXPECT_EQ((*registry_->GetWatermark("v"))->end_ts, 2500);
  auto none = registry_->GetWatermarkAt("unknown", 1'000'000);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_P(RegistryTest, SkewRunsNewestFirstByService) {
  auto first = registry_->RecordSkewRun({0, 10, "churn_model", 5, 50, 2, "{}"});
  auto second = registry_->RecordSkewRun({0, 20, "fraud", 1, 3, 0, "{}"});
  auto third = registry_->RecordSkewRun({0, 30, "churn_model", 7, 70, 0, R"({"a":1})"});
  ASSERT_TRUE(first.ok() && second.ok() && third.ok());
  EXPECT_LT(*first, *second);
  auto churn = registry_->ListSkewRuns("churn_model");
  ASSERT_TRUE(churn.ok());
  ASSERT_EQ(churn->size(), 2u);
  EXPECT_EQ((*churn)[0].id, *third);
  EXPECT_EQ((*churn)[0].values, 70);
  EXPECT_EQ((*churn)[0].report_json, R"({"a":1})");
  EXPECT_EQ((*churn)[1].differing, 2);
  auto all = registry_->ListSkewRuns("", 1);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].service, "churn_model");
}

TEST_P(RegistryTest, LineageEventsNewestFirstAndLatestFinishedRunPerJob) {
  auto record = [&](const std::string& run, const std::string& job, const std::string& type,
                    int64_t rows) {
    auto id = registry_->RecordLineageEvent({0, run, job, type, 100, rows, "", "{}"});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
  };
  record("r1", "ingest.orders", "START", -1);
  record("r1", "ingest.orders", "COMPLETE", 10);
  record("r2", "ingest.orders", "START", -1);
  record("r2", "ingest.orders", "FAIL", -1);
  record("r3", "materialize.v", "START", -1);
  record("r4", "ingest.orders", "START", -1);  // still running
  auto orders = registry_->ListLineageEvents("ingest.orders");
  ASSERT_TRUE(orders.ok());
  ASSERT_EQ(orders->size(), 5u);
  EXPECT_EQ((*orders)[0].run_id, "r4");
  EXPECT_EQ((*orders)[3].rows, 10);
  auto limited = registry_->ListLineageEvents("", 2);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[1].job, "materialize.v");
  auto latest = registry_->LatestLineageRuns();
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 1u);  // materialize.v has only a START
  EXPECT_EQ((*latest)[0].run_id, "r2");
  EXPECT_EQ((*latest)[0].event_type, "FAIL");
}

TEST_P(RegistryTest, ReopeningKeepsEverything) {
  ASSERT_TRUE(registry_->Apply(Specs(kRepo)).ok());
  auto published = registry_->BeginIngest("orders", "a.csv", "h1");
  ASSERT_TRUE(
      registry_->PublishIngest(*published, 3, {{0, "orders", "o/1.parquet", 3, 1, 9, {}}}).ok());
  auto begun = registry_->BeginIngest("orders", "b.csv", "h2");
  ASSERT_TRUE(begun.ok());
  ASSERT_TRUE(registry_->SetWatermark({"customer_features", 9, *published}).ok());

  Reopen();
  EXPECT_EQ(registry_->List()->size(), 4u);
  EXPECT_TRUE(registry_->Apply(Specs(kRepo))->empty());
  ASSERT_EQ(registry_->ListFiles("orders")->size(), 1u);
  EXPECT_EQ((*registry_->ListFiles("orders"))[0].path, "o/1.parquet");
  EXPECT_TRUE(registry_->FindPublishedIngest("orders", "h1")->has_value());
  EXPECT_EQ((*registry_->GetWatermark("customer_features"))->end_ts, 9);
  auto next = registry_->BeginIngest("orders", "c.csv", "h3");
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, *begun) << "ids are never reused";
  ASSERT_TRUE(registry_->PublishIngest(*begun, 0, {}).ok()) << "a begun ingest survives";
}

TEST_P(SqliteRegistryTest, UsesWalJournal) {
  auto db = SqliteDb::Open(path_);
  ASSERT_TRUE(db.ok());
  auto mode = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok() && *mode->Step());
  EXPECT_EQ(mode->Text(0), "wal");
}

TEST_P(RegistryTest, RefusesNewerSchema) {
  {
    auto db = Raw();
    ASSERT_TRUE(db != nullptr);
    ASSERT_TRUE(db->Exec("UPDATE schema_version SET version = 99").ok());
  }
  registry_.reset();
  auto opened = Registry::Open(location_);
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().IsIOError());
  EXPECT_EQ(opened.status().message(),
            name_ + ": registry schema version 99 is newer than this featherstone supports (10); "
                    "upgrade featherstone");
}

TEST_P(SqliteRegistryTest, OpenErrorsNameThePath) {
  const fs::path blocker = dir_ / "file";
  std::ofstream(blocker) << "x";
  const std::string bad = (blocker / "registry.db").string();
  auto opened = Registry::Open(bad);
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().IsIOError());
  EXPECT_EQ(opened.status().message().rfind(bad + ": ", 0), 0u) << opened.status();

  std::ofstream(dir_ / "garbage.db") << std::string(4096, 'g');
  auto garbage = Registry::Open((dir_ / "garbage.db").string());
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("file is not a database"), std::string::npos)
      << garbage.status();
}

TEST_P(RegistryTest, QuarantineFilesAppearWithTheirIngestOnly) {
  auto id = registry_->BeginIngest("orders", "a.csv", "h1");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(registry_->ListQuarantineFiles("orders")->empty());
  QualityPublish quality;
  quality.quarantine_files.push_back({0, "orders", "orders/q-1.parquet", 3, "", 0, 0});
  QualityRunRecord run;
  run.source = "orders";
  run.input = "a.csv";
  run.run_at = 5;
  run.outcome = "written";
  run.rows = 10;
  run.written = 7;
  run.quarantined = 3;
  run.success = false;
  run.result_json = "{}";
  run.metrics_json = "{}";
  quality.run = run;
  quality.breaker = BreakerRow{"orders", "CLOSED", 0, 5, 0.3, "probe passed"};
  ASSERT_TRUE(registry_->PublishChecked(*id, 7, {{*id, "orders", "orders/p.parquet", 7, 1, 2, {}}},
                                        quality)
                  .ok());
  auto files = registry_->ListQuarantineFiles("orders");
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].path, "orders/q-1.parquet");
  EXPECT_EQ((*files)[0].rows, 3);
  EXPECT_EQ((*files)[0].input, "a.csv");
  EXPECT_EQ((*files)[0].replayed_rows, 0);
  auto runs = registry_->ListQualityRuns("orders");
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].ingest_id, *id);
  EXPECT_EQ((*runs)[0].quarantined, 3);
  EXPECT_FALSE((*runs)[0].success);
  auto breaker = registry_->GetBreaker("orders");
  ASSERT_TRUE(breaker.ok() && breaker->has_value());
  EXPECT_DOUBLE_EQ((*breaker)->bad_share, 0.3);
  EXPECT_TRUE(registry_->ListQuarantineFiles("other")->empty());
}

TEST_P(RegistryTest, ReplayMarksAreExactlyOnce) {
  auto first = registry_->BeginIngest("orders", "a.csv", "h1");
  QualityPublish quarantined;
  quarantined.quarantine_files.push_back({0, "orders", "orders/q-1.parquet", 2, "", 0, 0});
  ASSERT_TRUE(registry_->PublishChecked(*first, 0, {}, quarantined).ok());

  auto replay = registry_->BeginIngest("orders", "replay", "r1");
  QualityPublish marks;
  marks.replayed = {{"orders/q-1.parquet", 4}, {"orders/q-1.parquet", 9}};
  ASSERT_TRUE(registry_->PublishChecked(*replay, 2, {{*replay, "orders", "orders/r.parquet", 2, 1, 2, {}}},
                                        marks)
                  .ok());
  EXPECT_EQ(registry_->ListReplayed("orders")->size(), 2u);
  EXPECT_EQ((*registry_->ListQuarantineFiles("orders"))[0].replayed_rows, 2);

  // A second replay of row 9 fails and publishes nothing of its ingest.
  auto again = registry_->BeginIngest("orders", "replay", "r2");
  QualityPublish twice;
  twice.replayed = {{"orders/q-1.parquet", 9}};
  const Status status =
      registry_->PublishChecked(*again, 1, {{*again, "orders", "orders/r2.parquet", 1, 1, 2, {}}}, twice);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("quarantined row 9 of orders/q-1.parquet was already replayed"),
            std::string::npos)
      << status;
  EXPECT_EQ(registry_->ListFiles("orders")->size(), 1u);
  EXPECT_EQ(registry_->ListReplayed("orders")->size(), 2u);
}

TEST_P(RegistryTest, RunsAndBreakersSurviveReopen) {
  QualityRunRecord run;
  run.source = "orders";
  run.outcome = "breaker_opened";
  run.rows = 4;
  run.quarantined = 3;
  run.result_json = R"({"success": false})";
  run.metrics_json = "{}";
  ASSERT_TRUE(
      registry_->RecordQualityRun(run, BreakerRow{"orders", "OPEN", 7, 7, 0.75, "bad share"}).ok());
  run.source = "users";
  run.outcome = "rejected";
  ASSERT_TRUE(registry_->RecordQualityRun(run, std::nullopt).ok());
  Reopen();
  auto runs = registry_->ListQualityRuns("");
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].source, "users");  // newest first
  EXPECT_EQ(registry_->ListQualityRuns("orders", 1)->size(), 1u);
  EXPECT_EQ((*runs)[1].result_json, R"({"success": false})");
  auto breakers = registry_->ListBreakers();
  ASSERT_EQ(breakers->size(), 1u);
  EXPECT_EQ((*breakers)[0].state, "OPEN");
  ASSERT_TRUE(registry_->SetBreaker(BreakerRow{"orders", "CLOSED", 7, 9, 0, "reset"}).ok());
  EXPECT_EQ((*registry_->GetBreaker("orders"))->state, "CLOSED");
  EXPECT_FALSE(registry_->GetBreaker("users")->has_value());
}

TEST_P(RegistryTest, VersionOneRegistriesAreUpgraded) {
  registry_.reset();
  {
    auto db = Raw();
    ASSERT_TRUE(db != nullptr);
    ASSERT_TRUE(db->Exec("DROP TABLE quarantine_files; DROP TABLE quarantine_replays; "
                            "DROP TABLE quality_runs; DROP TABLE breakers; "
                            "DROP TABLE stream_offsets; DROP TABLE watermark_history; "
                            "DROP TABLE skew_runs; DROP TABLE lineage_events; "
                            "DROP TABLE catalog_fts; DROP TABLE compactions; "
                            "DROP TABLE file_ingests; DROP TABLE online_progress; "
                            "DROP TABLE source_cursors; DROP TABLE source_state; "
                            "UPDATE schema_version SET version = 1")
                    .ok());
  }
  Reopen();
  EXPECT_TRUE(registry_->ListBreakers()->empty());
  EXPECT_EQ(Count("quality_runs"), 0);
  EXPECT_EQ(Count("stream_offsets"), 0);
  EXPECT_EQ(Count("watermark_history"), 0);
  EXPECT_EQ(Count("skew_runs"), 0);
  EXPECT_EQ(Count("lineage_events"), 0);
  EXPECT_EQ(Count("file_ingests"), 0);
  EXPECT_EQ(Count("online_progress"), 0);
  EXPECT_EQ(Count("source_cursors"), 0);
  EXPECT_EQ(Count("source_state"), 0);
  EXPECT_TRUE(registry_->ListCompactions("orders")->empty());
}

std::vector<std::string> Names(const Result<std::vector<CatalogMatch>>& matches) {
  EXPECT_TRUE(matches.ok()) << matches.status();
  std::vector<std::string> names;
  if (!matches.ok()) return names;
  for (const auto& match : *matches) names.push_back(match.entry.kind + " " + match.entry.name);
  return names;
}

TEST_P(RegistryTest, CatalogIndexFollowsEveryApply) {
  ASSERT_TRUE(registry_->Apply(Specs(kRepo)).ok());
  EXPECT_EQ(Names(registry_->SearchCatalog("", {})),
            (std::vector<std::string>{"entity customer", "feature customer_features:amount",
                                      "feature_service churn_model",
                                      "feature_view customer_features", "source orders"}));
  EXPECT_TRUE(Names(registry_->SearchCatalog("spend", {})).empty());

  const std::string v2 = Replace(
      Replace(kRepo, "    ttl: 30d\n",
              "    ttl: 30d\n    owner: Growth\n    tags: [money]\n    labels: {tier: gold}\n"
              "    description: Spend of each customer\n"),
      "- {name: amount}", "- {name: amount, description: Order amount, tags: [pii]}");
  ASSERT_TRUE(registry_->Apply(Specs(v2)).ok());
  EXPECT_EQ(Names(registry_->SearchCatalog("spend", {})),
            (std::vector<std::string>{"feature_view customer_features"}));
  EXPECT_EQ(Names(registry_->SearchCatalog("gold", {})),
            (std::vector<std::string>{"feature_view customer_features"}));
  // Features inherit their view's owner; filters ignore case.
  EXPECT_EQ(Names(registry_->SearchCatalog("", {.owner = "growth"})),
            (std::vector<std::string>{"feature customer_features:amount",
                                      "feature_view customer_features"}));
  EXPECT_EQ(Names(registry_->SearchCatalog("", {.tag = "PII"})),
            (std::vector<std::string>{"feature customer_features:amount"}));
  EXPECT_EQ(Names(registry_->SearchCatalog("amount", {.kind = "feature"})),
            (std::vector<std::string>{"feature customer_features:amount"}));
  auto matches = registry_->SearchCatalog("spend", {});
  ASSERT_TRUE(matches.ok());
  EXPECT_EQ((*matches)[0].entry.labels.at("tier"), "gold");
  EXPECT_EQ((*matches)[0].entry.tags, (std::vector<std::string>{"money"}));
  EXPECT_LT((*matches)[0].bm25, 0);

  // Removed objects leave the index; the last version is what is indexed.
  ASSERT_TRUE(registry_->Apply(Specs(kRepo)).ok());
  EXPECT_TRUE(Names(registry_->SearchCatalog("spend", {})).empty());
  auto bad = registry_->SearchCatalog("\"unclosed", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalid());
}

// The query forms the catalog search of lineage/catalog.cc writes, and the rest of FTS5's
// that users may type.
TEST_P(RegistryTest, CatalogQueriesOfEveryForm) {
  const std::string v2 = Replace(kRepo, "    ttl: 30d\n",
                                 "    ttl: 30d\n    description: Spending of each customer\n");
  ASSERT_TRUE(registry_->Apply(Specs(v2)).ok());
  const std::vector<std::string> view{"feature_view customer_features"};
  EXPECT_EQ(Names(registry_->SearchCatalog("\"spend\"*", {})), view);
  EXPECT_EQ(Names(registry_->SearchCatalog("\"spending\" \"each\"*", {})), view);
  EXPECT_EQ(Names(registry_->SearchCatalog("\"of each\"", {})), view);
  EXPECT_TRUE(Names(registry_->SearchCatalog("\"each of\"", {})).empty());
  EXPECT_EQ(Names(registry_->SearchCatalog("churn OR spending", {})),
            (std::vector<std::string>{"feature_service churn_model",
                                      "feature_view customer_features"}));
  EXPECT_EQ(Names(registry_->SearchCatalog("customer NOT spending", {.kind = "entity"})),
            (std::vector<std::string>{"entity customer"}));
}

TEST_P(RegistryTest, UpgradeToVersionSixIndexesTheAppliedObjects) {
  ASSERT_TRUE(registry_->Apply(Specs(kRepo)).ok());
  registry_.reset();
  {
    auto db = Raw();
    ASSERT_TRUE(db != nullptr);
    ASSERT_TRUE(
        db->Exec("DROP TABLE catalog_fts; DROP TABLE compactions; DROP TABLE file_ingests; "
                    "DROP TABLE online_progress; DROP TABLE source_cursors; "
                    "DROP TABLE source_state; UPDATE schema_version SET version = 5")
            .ok());
  }
  Reopen();
  EXPECT_EQ(Names(registry_->SearchCatalog("churn", {})),
            (std::vector<std::string>{"feature_service churn_model"}));
}

}  // namespace
}  // namespace fst::registry

namespace fst::registry {
namespace {

TEST_P(RegistryTest, StreamOffsetsMoveOnlyWithTheirPublishAndFromWhereExpected) {
  auto first = registry_->BeginIngest("clicks", "topic 'c' 0:0-9", "");
  ASSERT_TRUE(first.ok());
  QualityPublish quality;
  quality.stream_offsets = {{"c", 0, -1, 10}, {"c", 1, -1, 4}};
  ASSERT_TRUE(registry_->PublishChecked(*first, 14, {{0, "clicks", "clicks/p1.parquet", 14, 1, 2, {}}},
                                        quality)
                  .ok());
  auto offsets = registry_->ListStreamOffsets("clicks");
  ASSERT_TRUE(offsets.ok()) << offsets.status();
  ASSERT_EQ(offsets->size(), 2u);
  EXPECT_EQ((*offsets)[0].next_offset, 10);
  EXPECT_EQ((*offsets)[0].ingest_id, *first);
  EXPECT_EQ((*offsets)[1].partition, 1);

  // A second worker that read partition 0 from the start loses: nothing of its ingest shows.
  auto stale = registry_->BeginIngest("clicks", "topic 'c' 0:0-9", "");
  quality.stream_offsets = {{"c", 0, -1, 10}};
  Status lost = registry_->PublishChecked(*stale, 10,
                                          {{0, "clicks", "clicks/p2.parquet", 10, 1, 2, {}}}, quality);
  EXPECT_TRUE(lost.IsCancelled()) << lost;
  EXPECT_EQ(registry_->ListFiles("clicks")->size(), 1u);

  // A rejected micro-batch moves its positions with its run record.
  QualityRunRecord run;
  run.source = "clicks";
  run.outcome = "rejected";
  ASSERT_TRUE(registry_->RecordQualityRun(run, std::nullopt, {{"c", 0, 10, 25}}).ok());
  EXPECT_EQ((*registry_->ListStreamOffsets("clicks"))[0].next_offset, 25);
  EXPECT_TRUE(
      registry_->RecordQualityRun(run, std::nullopt, {{"c", 0, 10, 30}}).IsCancelled());
  EXPECT_EQ(registry_->ListQualityRuns("clicks")->size(), 1u);  // the failed one left nothing
  EXPECT_TRUE(registry_->ListStreamOffsets("orders")->empty());
}

TEST_P(RegistryTest, SourceCursorMovesOnlyWithItsPublishAndFromWhereExpected) {
  EXPECT_FALSE(registry_->GetSourceCursor("orders")->has_value());
  auto first = registry_->BeginIngest("orders", "postgres table 'orders'", "");
  ASSERT_TRUE(first.ok());
  // An ingest begun but never published (a crash before publish) moves nothing.
  EXPECT_FALSE(registry_->GetSourceCursor("orders")->has_value());
  QualityPublish quality;
  quality.cursor = SourceCursor{"id", std::nullopt, "10"};
  ASSERT_TRUE(registry_
                  ->PublishChecked(*first, 10, {{0, "orders", "orders/p1.parquet", 10, 1, 2, {}}},
                                   quality)
                  .ok());
  auto stored = registry_->GetSourceCursor("orders");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->column, "id");
  EXPECT_EQ((*stored)->value, "10");
  EXPECT_EQ((*stored)->ingest_id, *first);

  // A second read that also began from none loses: nothing of its ingest shows.
  auto stale = registry_->BeginIngest("orders", "postgres table 'orders'", "");
  Status lost = registry_->PublishChecked(
      *stale, 10, {{0, "orders", "orders/p2.parquet", 10, 1, 2, {}}}, quality);
  EXPECT_TRUE(lost.IsCancelled()) << lost;
  EXPECT_EQ(registry_->ListFiles("orders")->size(), 1u);
  EXPECT_EQ((*registry_->GetSourceCursor("orders"))->value, "10");

  auto next = registry_->BeginIngest("orders", "postgres table 'orders'", "");
  quality.cursor = SourceCursor{"id", "10", "17"};
  ASSERT_TRUE(registry_
                  ->PublishChecked(*next, 7, {{0, "orders", "orders/p3.parquet", 7, 1, 2, {}}},
                                   quality)
                  .ok());
  EXPECT_EQ((*registry_->GetSourceCursor("orders"))->value, "17");
  EXPECT_FALSE(registry_->GetSourceCursor("clicks")->has_value());
}

TEST_P(RegistryTest, SourceStateMovesOnlyWithItsPublishAndFromWhatWasRead) {
  auto first = registry_->BeginIngest("docs", "files:docs/*.md", "");
  ASSERT_TRUE(first.ok());
  QualityPublish quality;
  quality.source_state = {{"docs/a.md", std::nullopt, "h1"}, {"docs/b.md", std::nullopt, "h2"}};
  ASSERT_TRUE(
      registry_->PublishChecked(*first, 2, {{0, "docs", "docs/p1.parquet", 2, 1, 2, {}}}, quality)
          .ok());
  auto state = registry_->GetSourceState("docs");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(*state, (std::map<std::string, std::string>{{"docs/a.md", "h1"}, {"docs/b.md", "h2"}}));

  // An ingest that read a.md before the first published loses: nothing of it shows.
  auto stale = registry_->BeginIngest("docs", "files:docs/*.md", "");
  quality.source_state = {{"docs/a.md", std::nullopt, "h3"}};
  Status lost =
      registry_->PublishChecked(*stale, 1, {{0, "docs", "docs/p2.parquet", 1, 1, 2, {}}}, quality);
  EXPECT_TRUE(lost.IsCancelled()) << lost;
  EXPECT_EQ(registry_->ListFiles("docs")->size(), 1u);
  EXPECT_EQ((*registry_->GetSourceState("docs"))["docs/a.md"], "h1");

  auto next = registry_->BeginIngest("docs", "files:docs/*.md", "");
  quality.source_state = {{"docs/a.md", "h1", "deleted"}};
  ASSERT_TRUE(
      registry_->PublishChecked(*next, 1, {{0, "docs", "docs/p3.parquet", 1, 1, 2, {}}}, quality)
          .ok());
  EXPECT_EQ((*registry_->GetSourceState("docs"))["docs/a.md"], "deleted");
  EXPECT_TRUE(registry_->GetSourceState("other")->empty());
}

}  // namespace
}  // namespace fst::registry

namespace fst::registry {
namespace {

// Two connections (as two processes would have) apply different definitions at the same
// time, many times over: each apply plans inside its write transaction against what the
// other committed, so the result is always one of the two sets whole, versions count up one
// per change without gaps or repeats, and every apply that changed something is recorded.
TEST_P(RegistryTest, ConcurrentAppliesNeverInterleave) {
  const auto a = Specs(Replace(kRepo, "ttl: 30d", "ttl: 2d"));
  const auto b =
      Specs(Replace(Replace(kRepo, "ttl: 30d", "ttl: 3d"), "  - {name: churn_model",
                    "  - {name: upsell_model, features: [\"customer_features:amount\"]}\n"
                    "  - {name: churn_model"));
  auto other = Registry::Open(location_);
  ASSERT_TRUE(other.ok()) << other.status();
  constexpr int kRounds = 10;
  int64_t changed = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::atomic<int> ready{0};
    Result<std::vector<Change>> first = Status::Cancelled("not run");
    Result<std::vector<Change>> second = Status::Cancelled("not run");
    auto run = [&](Registry* registry, const std::vector<SpecObject>& specs,
                   Result<std::vector<Change>>* out) {
      ++ready;
      while (ready.load() < 2) {
      }
      *out = registry->Apply(specs);
    };
    std::thread t1(run, registry_.get(), std::cref(a), &first);
    std::thread t2(run, other->get(), std::cref(b), &second);
    t1.join();
    t2.join();
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(second.ok()) << second.status();
    changed += !first->empty();
    changed += !second->empty();
    auto services = registry_->List("feature_service");
    ASSERT_TRUE(services.ok());
    auto view = registry_->List("feature_view");
    ASSERT_TRUE(view.ok());
    ASSERT_EQ(view->size(), 1u);
    // Whole sets only: b's ttl always comes with b's second service.
    const bool is_b = (*view)[0].object.spec["ttl"] == "3d";
    EXPECT_EQ(services->size(), is_b ? 2u : 1u) << "round " << round;
  }
  auto history = registry_->History("customer_features");
  ASSERT_TRUE(history.ok());
  for (size_t i = 0; i < history->size(); ++i) EXPECT_EQ((*history)[i].version, int(i) + 1);
  EXPECT_EQ(Count("applies"), changed);
}

TEST_P(PostgresRegistryTest, WrongPasswordIsRefusedWithoutShowingIt) {
  const std::string url =
      PostgresTestServer::Get()->Url("postgres", "not-the-Secret-42");
  auto opened = Registry::Open(url);
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().IsIOError());
  const std::string message = opened.status().message();
  EXPECT_EQ(message.find("not-the-Secret-42"), std::string::npos) << message;
  EXPECT_NE(message.find("password authentication failed"), std::string::npos) << message;
  EXPECT_EQ(message.rfind(core::RedactedDsn(url) + ": cannot connect: ", 0), 0u) << message;
  EXPECT_NE(message.find(":***@127.0.0.1"), std::string::npos) << message;
}

// A registry whose connection the server dropped (restart, failover, idle kill) fails the
// call that finds it lost and opens a new one for the next.
TEST_P(PostgresRegistryTest, ConnectsAgainAfterTheServerDroppedTheConnection) {
  ASSERT_TRUE(registry_->Apply(Specs(kRepo)).ok());
  auto admin = PostgresDb::Open(location_);
  ASSERT_TRUE(admin.ok()) << admin.status();
  auto dropped = (*admin)->Prepare(
      "SELECT COUNT(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE datname = "
      "current_database() AND pid <> pg_backend_pid()");
  ASSERT_TRUE(dropped.ok());
  auto row = dropped->Step();
  ASSERT_TRUE(row.ok() && *row) << row.status();
  ASSERT_EQ(dropped->Int(0), 1);
  auto lost = registry_->List();
  ASSERT_FALSE(lost.ok());
  EXPECT_TRUE(lost.status().IsIOError()) << lost.status();
  auto listed = registry_->List();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), 4u);
  auto id = registry_->BeginIngest("orders", "a.csv", "h");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(registry_->PublishIngest(*id, 1, {{0, "orders", "orders/a.parquet", 1, 0, 0, {}}})
                  .ok());
}

TEST(DsnTest, PasswordsAreRedactedInEveryForm) {
  EXPECT_EQ(core::RedactedDsn("postgresql://fst:s3cret@db:5432/shop"),
            "postgresql://fst:***@db:5432/shop");
  EXPECT_EQ(core::RedactedDsn("postgres://fst@db/shop?password=s3cret&sslmode=disable"),
            "postgres://fst@db/shop?password=***&sslmode=disable");
  EXPECT_EQ(core::RedactedDsn("postgresql://db/shop"), "postgresql://db/shop");
}

TEST(PlaceholderTest, QuestionMarksAreNumberedOutsideQuotes) {
  EXPECT_EQ(NumberedPlaceholders("SELECT ? , '?', \"a?\" FROM t WHERE x = ?"),
            "SELECT $1 , '?', \"a?\" FROM t WHERE x = $2");
  EXPECT_EQ(NumberedPlaceholders("WHERE (?1 = '' OR kind = ?1) AND ?2"),
            "WHERE ($1 = '' OR kind = $1) AND $2");
}

// `registry migrate`: a SQLite registry with something in every kind of table is copied
// into an empty PostgreSQL database and reads back the same there; ids continue after the
// copied ones; a database that is not empty is refused.
TEST_P(PostgresRegistryTest, CopyFromSqliteReadsBackTheSame) {
  auto sqlite = Registry::Open(path_);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  Registry& from = **sqlite;
  ASSERT_TRUE(from.Apply(Specs(kRepo)).ok());
  ASSERT_TRUE(from.Apply(Specs(Replace(kRepo, "ttl: 30d", "ttl: 2d"))).ok());
  auto id = from.BeginIngest("orders", "a.csv", "h1");
  ASSERT_TRUE(id.ok());
  QualityPublish quality;
  quality.quarantine_files.push_back({0, "orders", "orders/q-1.parquet", 3, "", 0, 0});
  quality.breaker = BreakerRow{"orders", "OPEN", 5, 6, 0.25, "too many bad rows"};
  ASSERT_TRUE(from.PublishChecked(*id, 7,
                                  {{0, "orders", "orders/b.parquet", 4, 10, 20, {}},
                                   {0, "orders", "orders/a.parquet", 3, 1, 9, {}}},
                                  quality)
                  .ok());
  ASSERT_TRUE(from.SetWatermark({"customer_features", 20, *id, 0}).ok());
  ASSERT_TRUE(from.RecordLineageEvent({0, "r1", "ingest.orders", "COMPLETE", 0, 7, "", "{}"}).ok());

  auto copied = CopyRegistry(path_, location_);
  ASSERT_TRUE(copied.ok()) << copied.status();
  Reopen();
  auto read_both = [&](auto read) { EXPECT_EQ(read(from), read(*registry_)); };
  read_both([](Registry& r) { return r.List()->size(); });
  read_both([](Registry& r) {
    std::vector<std::string> out;
    for (const auto& o : *r.History("customer_features")) {
      out.push_back(o.object.hash + " v" + std::to_string(o.version) + " " +
                    std::to_string(o.applied_at));
    }
    return out;
  });
  read_both([](Registry& r) {
    std::vector<std::string> out;
    for (const auto& f : *r.ListFiles("orders")) out.push_back(f.path + std::to_string(f.rows));
    return out;
  });
  read_both([](Registry& r) { return (*r.GetBreaker("orders"))->bad_share; });
  read_both([](Registry& r) { return (*r.GetWatermark("customer_features"))->end_ts; });
  read_both([](Registry& r) { return r.ListQuarantineFiles("orders")->size(); });
  read_both([](Registry& r) { return r.LatestLineageRuns()->size(); });
  read_both([](Registry& r) { return Names(r.SearchCatalog("churn", {})); });
  auto next = registry_->BeginIngest("orders", "b.csv", "h2");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_GT(*next, *id) << "ids continue after the copied ones";

  auto again = CopyRegistry(path_, location_);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.status().IsInvalid());
  EXPECT_NE(again.status().message().find("not an empty registry"), std::string::npos)
      << again.status();
}

}  // namespace
}  // namespace fst::registry

// One server for the whole run of this binary.
const ::testing::Environment* const kPostgres =
    ::testing::AddGlobalTestEnvironment(new fst::registry::PostgresTestServer);
