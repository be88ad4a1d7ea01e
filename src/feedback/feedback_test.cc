// The feedback loop on a real repo: responses served by the online read path and logged by the
// serving feature log are reproduced from the offline store (random data, every kind of
// feature: 0 mismatches), injected skews are named by their reason, and retraining sets equal a
// brute-force join of the log with the outcomes.
#include <fstream>
#include <map>
#include <random>
#include <set>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "../repo/test_repo.h"
#include "featherstone/core/file_system.h"
#include "featherstone/core/time.h"
#include "featherstone/feedback/reproduce.h"
#include "featherstone/feedback/training_set.h"
#include "featherstone/ingest/ingest.h"
#include "featherstone/retrieval/historical.h"
#include "featherstone/retrieval/materialize.h"
#include "featherstone/retrieval/online_lookup.h"
#include "featherstone/serving/feature_log.h"

namespace fst::feedback {
namespace {

constexpr char kYaml[] = R"yaml(project: test
entities:
  - {name: customer, join_keys: [customer_id]}
sources:
  - name: orders
    format: csv
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: amount, type: float64}
      - {name: status, type: string}
      - {name: event_ts, type: timestamp}
  - name: outcomes
    format: csv
    timestamp_field: outcome_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: request_id, type: string}
      - {name: churned, type: bool}
      - {name: outcome_ts, type: timestamp}
  - name: labels
    format: csv
    timestamp_field: outcome_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: churned, type: bool}
      - {name: outcome_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 5d
    features:
      - {name: amount}
      - {name: status}
      - {name: orders_2d, agg: count, window: 2d}
      - {name: amount_sum_7d, agg: sum, column: amount, window: 7d}
      - {name: amount_avg_3d, agg: avg, column: amount, window: 3d}
      - {name: amount_std_7d, agg: stddev, column: amount, window: 7d}
      - {name: status_last_10d, agg: last, column: status, window: 10d}
      - {name: amount_cents, expr: "amount * 100"}
feature_services:
  - name: churn_model
    features: [customer_features:amount, customer_features:status, customer_features:orders_2d,
               customer_features:amount_sum_7d, customer_features:amount_avg_3d,
               customer_features:amount_std_7d, customer_features:status_last_10d,
               customer_features:amount_cents]
)yaml";

const int64_t kHour = 3600 * core::kMicrosPerSecond;
const int64_t kDay = core::kMicrosPerDay;
const int64_t kBase = 1'767'225'600'000'000;  // 2026-01-01

class FeedbackTest : public repo::RepoTest {
 protected:
  void SetUp() override { OpenRepo(kYaml, /*check_features=*/true); }

  // Random orders of keys 1..keys with event times in [from, from + hours h).
  std::string WriteOrders(const std::string& name, int rows, int keys, int64_t from, int hours) {
    const std::string path = dir_ + "/" + name;
    std::ofstream out(path);
    out << "customer_id,amount,status,event_ts\n";
    for (int r = 0; r < rows; ++r) {
      const int64_t ts = from + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hours)) * kHour;
      out << 1 + rng_() % static_cast<uint64_t>(keys) << ",";
      if (rng_() % 8 != 0) out << static_cast<double>(rng_() % 10000) / 100.0;
      out << "," << (rng_() % 2 ? "paid" : "new") << "," << core::FormatTimestamp(ts) << "\n";
    }
    return path;
  }

  void Ingest(const std::string& source, const std::string& path) {
    auto result = ingest::IngestFile(*repo_, source, path, {});
    ASSERT_TRUE(result.ok()) << result.status().ToString();
  }

  void Materialize(int64_t end, bool incremental) {
    retrieval::MaterializeOptions options;
    options.end = end;
    options.incremental = incremental;
    auto result = retrieval::Materialize(*repo_, options);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
  }

  // Serves `keys` of churn_model at `at` as the server does and logs the response.
  std::string Serve(const std::vector<int>& keys, int64_t at) {
    auto applied = repo_->Applied();
    EXPECT_TRUE(applied.ok());
    auto refs = retrieval::ResolveFeatures(**applied, "", "churn_model");
    EXPECT_TRUE(refs.ok());
    std::vector<retrieval::EntityKeyText> entities;
    for (int k : keys) entities.push_back({{"customer_id", std::to_string(k)}});
    auto rows = retrieval::GetOnlineFeatures(*repo_, *refs, entities, at, false);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    serving::FeatureLogRecord record;
    record.request_id = "req-" + std::to_string(++served_);
    record.served_at_us = core::NowMicros();
    record.at_us = at;
    std::vector<std::pair<std::string, std::string>> hashes;
    auto objects = repo_->registry().List();
    EXPECT_TRUE(objects.ok());
    for (const auto& object : *objects) {
      if (object.object.name == "churn_model" || object.object.name == "customer_features") {
        hashes.emplace_back(object.object.kind + "/" + object.object.name, object.object.hash);
      }
    }
    std::vector<std::string> features;
    for (const auto& ref : *refs) features.push_back(ref.ToString());
    record.header = serving::MakeFeatureLogHeader("churn_model", features, hashes);
    record.rows = std::move(*rows);
    EXPECT_TRUE(log_->Append(std::move(record)));
    return "req-" + std::to_string(served_);
  }

  void OpenLog() {
    serving::FeatureLogOptions options;
    options.dir = serving::FeatureLogDir(dir_);
    auto log = serving::FeatureLog::Open(options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(*log);
  }

  std::vector<LoggedRequest> ReadLog() {
    log_->Stop();
    auto requests = ReadFeatureLog(repo_->fs(), serving::FeatureLogDir(dir_), {});
    EXPECT_TRUE(requests.ok()) << requests.status().ToString();
    return std::move(*requests);
  }

  ServedComparison Check(const std::vector<LoggedRequest>& requests) {
    auto checks = CheckServed(*repo_, requests);
    EXPECT_TRUE(checks.ok()) << checks.status().ToString();
    return checks.ok() ? std::move(*checks) : ServedComparison{};
  }

  std::vector<int> RandomKeys(int keys, int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(1 + static_cast<int>(rng_() % static_cast<uint64_t>(keys + 5)));
    return out;  // keys > `keys` were never seen: NOT_FOUND
  }

  std::mt19937_64 rng_{2026};
  std::unique_ptr<serving::FeatureLog> log_;
  int served_ = 0;
};

std::string Describe(const FeatureCheck& c) {
  return c.request->request_id + " entity " + c.request->entities[c.entity].dump() + " " +
         c.request->feature_names[c.feature] + ": served " + c.served.dump() + ", recomputed " +
         c.recomputed.dump() + " " + SkewReasonName(c.reason) + " " + c.detail;
}

TEST_F(FeedbackTest, EveryServedValueIsReproducedWhenTheDataWasComplete) {
  const int keys = 60;
  OpenLog();
  // Phase one: events up to T1, materialized to T1, served in [T1, T1 + 3d] (ttl expiry too).
  const int64_t t1 = kBase + 10 * kDay;
  Ingest("orders", WriteOrders("a.csv", 1500, keys, kBase, 10 * 24));
  Ingest("orders", WriteOrders("b.csv", 500, keys, kBase, 10 * 24));  // out of order
  Materialize(t1, false);
  for (int i = 0; i < 25; ++i) {
    Serve(RandomKeys(keys, 1 + i % 4), t1 + static_cast<int64_t>(rng_() % 7) * kDay / 2);
  }
  // Phase two: a later day of events and an incremental refresh; served from its end on.
  const int64_t t2 = t1 + 5 * kDay;
  Ingest("orders", WriteOrders("c.csv", 600, keys, t1 + 3 * kDay + kHour, 2 * 24 - 1));
  Materialize(t2, true);
  for (int i = 0; i < 25; ++i) Serve(RandomKeys(keys, 1 + i % 3), t2 + static_cast<int64_t>(rng_() % 48) * kHour);
  // Phase one's requests were for times before every phase-two event: still reproducible.
  // (Phase-two events before a phase-one lookup time would be late data: see below.)
  auto requests = ReadLog();
  ASSERT_EQ(requests.size(), 50u);
  auto checks = Check(requests);
  for (const auto& check : checks.differing) ADD_FAILURE() << Describe(check);
  int64_t values = 0, non_null = 0;
  for (const auto& request : requests) {
    for (const auto& row : request.values) {
      for (const auto& value : row) {
        ++values;
        non_null += value.is_null() ? 0 : 1;
      }
    }
  }
  EXPECT_EQ(checks.values, values);
  EXPECT_GT(values, 500);
  EXPECT_GT(non_null, values / 3);
}

TEST_F(FeedbackTest, LateEventsAreNamedAsLateData) {
  OpenLog();
  Ingest("orders", WriteOrders("a.csv", 400, 20, kBase, 5 * 24));
  const int64_t t = kBase + 5 * kDay;
  Materialize(t, false);
  const std::string id = Serve({3, 4}, t + kHour);
  // An order of customer 3 from before the request arrives after it.
  {
    std::ofstream(dir_ + "/late.csv") << "customer_id,amount,status,event_ts\n3,999.5,paid,"
                                      << core::FormatTimestamp(t) << "\n";
  }
  Ingest("orders", dir_ + "/late.csv");
  auto requests = ReadLog();
  auto found = FindLoggedRequest(*repo_, id);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  auto checks = Check(requests);
  std::set<std::string> skewed;
  for (const auto& check : checks.differing) {
    EXPECT_EQ(check.request->entities[check.entity]["customer_id"], 3) << Describe(check);
    EXPECT_EQ(check.reason, SkewReason::kLateData) << Describe(check);
    EXPECT_NE(check.detail.find("late.csv"), std::string::npos) << check.detail;
    skewed.insert(check.request->feature_names[check.feature]);
  }
  EXPECT_TRUE(skewed.count("amount") && skewed.count("amount_cents") && skewed.count("orders_2d"))
      << skewed.size();
  const std::string text = ReproduceText(requests.front(), checks);
  EXPECT_NE(text.find("late_data"), std::string::npos) << text;
  EXPECT_NE(text.find("999.5"), std::string::npos) << text;
}

TEST_F(FeedbackTest, AnOnlineStoreBehindTheOfflineOneIsStaleOnline) {
  OpenLog();
  const int64_t t = kBase + 5 * kDay;
  {
    std::ofstream(dir_ + "/a.csv") << "customer_id,amount,status,event_ts\n7,10,new,"
                                   << core::FormatTimestamp(t - 2 * kHour) << "\n";
  }
  Ingest("orders", dir_ + "/a.csv");
  Materialize(t - kHour, false);
  // Published before the request, but never materialized.
  {
    std::ofstream(dir_ + "/b.csv") << "customer_id,amount,status,event_ts\n7,20,paid,"
                                   << core::FormatTimestamp(t - kHour / 2) << "\n";
  }
  Ingest("orders", dir_ + "/b.csv");
  Serve({7}, t);
  const auto requests = ReadLog();  // the checks point into it
  auto checks = Check(requests);
  int stale = 0;
  for (const auto& check : checks.differing) {
    EXPECT_EQ(check.reason, SkewReason::kStaleOnline) << Describe(check);
    ++stale;
    if (check.request->feature_names[check.feature] == "amount") {
      EXPECT_EQ(check.served, 10.0);
      EXPECT_EQ(check.recomputed, 20.0);
    }
  }
  EXPECT_GE(stale, 3);
}

TEST_F(FeedbackTest, AChangedDefinitionIsNamed) {
  OpenLog();
  Ingest("orders", WriteOrders("a.csv", 300, 10, kBase, 3 * 24));
  Materialize(kBase + 3 * kDay, false);
  Serve({1, 2, 3}, kBase + 3 * kDay);
  std::string yaml = kYaml;
  yaml.replace(yaml.find("amount * 100"), 12, "amount * 1000");
  ASSERT_TRUE(repo::WriteAndApply(dir_, yaml, true).ok());
  auto reopened = repo::RepoContext::Open(dir_);
  ASSERT_TRUE(reopened.ok());
  repo_ = std::move(*reopened);
  const auto requests = ReadLog();  // the checks point into it
  auto checks = Check(requests);
  int changed = 0;
  for (const auto& check : checks.differing) {
    EXPECT_EQ(check.reason, SkewReason::kDefinitionChanged) << Describe(check);
    EXPECT_EQ(check.request->feature_names[check.feature], "amount_cents");
    EXPECT_NE(check.detail.find("feature_view/customer_features"), std::string::npos);
    EXPECT_NE(check.detail.find("the served versions reproduce the value"), std::string::npos)
        << check.detail;
    // Today's definition: ten times the served value.
    if (!check.served.is_null()) {
      EXPECT_DOUBLE_EQ(check.recomputed.get<double>(), 10 * check.served.get<double>());
    }
    ++changed;
  }
  EXPECT_GE(changed, 1);
}

TEST_F(FeedbackTest, UnknownRequestAndEmptyLogAreClearErrors) {
  auto missing = FindLoggedRequest(*repo_, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsKeyError());
  EXPECT_NE(missing.status().message().find("no logged request 'nope'"), std::string::npos);
  TrainingSetOptions options;
  options.service = "churn_model";
  options.labels = "outcomes";
  auto empty = GetTrainingSet(*repo_, options);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no logged request of service 'churn_model'"),
            std::string::npos)
      << empty.status().ToString();
  options.service = "churn_modl";
  EXPECT_TRUE(GetTrainingSet(*repo_, options).status().IsKeyError());
}

// Brute force: for each served (request, entity), the earliest outcome with the same key (and
// request id) at or after serving, within the horizon.
std::map<std::pair<std::string, int64_t>, std::pair<int64_t, bool>> Reference(
    const std::vector<LoggedRequest>& requests,
    const std::vector<std::tuple<int64_t, std::string, bool, int64_t>>& outcomes, bool by_id,
    int64_t horizon) {
  std::map<std::pair<std::string, int64_t>, std::pair<int64_t, bool>> out;
  for (const auto& request : requests) {
    for (const auto& entity : request.entities) {
      const int64_t key = entity["customer_id"].get<int64_t>();
      std::optional<std::pair<int64_t, bool>> best;
      for (const auto& [k, id, churned, ts] : outcomes) {
        if (k != key || ts < request.served_at_us) continue;
        if (by_id && id != request.request_id) continue;
        if (horizon > 0 && ts - request.served_at_us > horizon) continue;
        if (!best || ts < best->first) best = {{ts, churned}};
      }
      if (best) out[{request.request_id, key}] = *best;
    }
  }
  return out;
}

TEST_F(FeedbackTest, TrainingSetsEqualABruteForceJoinAndNeverLeakLabels) {
  OpenLog();
  Ingest("orders", WriteOrders("a.csv", 300, 12, kBase, 3 * 24));
  Materialize(kBase + 3 * kDay, false);
  for (int i = 0; i < 30; ++i) Serve(RandomKeys(12, 1 + i % 3), kBase + 3 * kDay);
  auto requests = ReadLog();
  // Outcomes around the serving times: before (must never join), after, duplicates, ties.
  const int64_t first = requests.front().served_at_us, last = requests.back().served_at_us;
  std::vector<std::tuple<int64_t, std::string, bool, int64_t>> outcomes;
  std::ofstream with_id(dir_ + "/outcomes.csv"), without_id(dir_ + "/labels.csv");
  with_id << "customer_id,request_id,churned,outcome_ts\n";
  without_id << "customer_id,churned,outcome_ts\n";
  for (int i = 0; i < 200; ++i) {
    const auto& request = requests[rng_() % requests.size()];
    const int64_t key = request.entities[rng_() % request.entities.size()]["customer_id"].get<int64_t>();
    const int64_t span = last - first + 2 * kHour;
    const int64_t ts = first - kHour + static_cast<int64_t>(rng_() % static_cast<uint64_t>(span));
    const bool churned = rng_() % 2 == 0;
    const std::string id = rng_() % 4 == 0 ? "other" : request.request_id;
    outcomes.emplace_back(key, id, churned, ts);
    with_id << key << "," << id << "," << (churned ? "true" : "false") << ","
            << core::FormatTimestamp(ts) << "\n";
    without_id << key << "," << (churned ? "true" : "false") << "," << core::FormatTimestamp(ts)
               << "\n";
  }
  with_id.close();
  without_id.close();
  Ingest("outcomes", dir_ + "/outcomes.csv");
  Ingest("labels", dir_ + "/labels.csv");

  auto check = [&](const std::string& labels, LabelJoin join, int64_t horizon, bool by_id) {
    TrainingSetOptions options;
    options.service = "churn_model";
    options.labels = labels;
    options.join = join;
    options.horizon_us = horizon;
    auto set = GetTrainingSet(*repo_, options);
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    const auto want = Reference(requests, outcomes, by_id, horizon);
    const auto& table = *set->table;
    EXPECT_EQ(table.schema()->field(0)->name(), "request_id");
    EXPECT_EQ(table.schema()->field(1)->name(), "served_at");
    EXPECT_EQ(table.schema()->field(2)->name(), "customer_id");
    EXPECT_EQ(table.schema()->field(3)->name(), "amount");
    ASSERT_NE(table.GetColumnByName("churned"), nullptr);
    ASSERT_EQ(table.GetColumnByName("request_id") != nullptr, true);
    std::map<std::pair<std::string, int64_t>, std::pair<int64_t, bool>> got;
    auto ids = std::static_pointer_cast<arrow::StringArray>(table.GetColumnByName("request_id")->chunk(0));
    auto keys = std::static_pointer_cast<arrow::Int64Array>(table.GetColumnByName("customer_id")->chunk(0));
    auto served = std::static_pointer_cast<arrow::TimestampArray>(table.GetColumnByName("served_at")->chunk(0));
    auto ts = std::static_pointer_cast<arrow::TimestampArray>(table.GetColumnByName("outcome_ts")->chunk(0));
    auto churned = std::static_pointer_cast<arrow::BooleanArray>(table.GetColumnByName("churned")->chunk(0));
    for (int64_t r = 0; r < table.num_rows(); ++r) {
      EXPECT_GE(ts->Value(r), served->Value(r)) << "label leakage at row " << r;
      got[{ids->GetString(r), keys->Value(r)}] = {ts->Value(r), churned->Value(r)};
    }
    // A request may list one entity twice: the reference keys rows by (request, key) too.
    EXPECT_EQ(got, want) << labels;
    EXPECT_GT(want.size(), 3u);
  };
  check("outcomes", LabelJoin::kAuto, 0, /*by_id=*/true);
  check("labels", LabelJoin::kKeys, kHour / 2, /*by_id=*/false);
  check("outcomes", LabelJoin::kKeys, 10 * kDay, /*by_id=*/false);

  TrainingSetOptions options;
  options.service = "churn_model";
  options.labels = "labels";
  auto no_horizon = GetTrainingSet(*repo_, options);
  ASSERT_FALSE(no_horizon.ok());
  EXPECT_NE(no_horizon.status().message().find("--horizon"), std::string::npos);
  options.labels = "orders";
  options.horizon_us = kDay;
  auto clash = GetTrainingSet(*repo_, options);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find("output column 'amount' is produced by both"),
            std::string::npos)
      << clash.status().ToString();
  options.join = LabelJoin::kRequestId;
  auto no_id = GetTrainingSet(*repo_, options);
  ASSERT_FALSE(no_id.ok());
  EXPECT_NE(no_id.status().message().find("no column 'request_id'"), std::string::npos);

  // Recomputed features equal the served ones here (complete data).
  options.labels = "outcomes";
  options.join = LabelJoin::kAuto;
  options.recompute = true;
  auto recomputed = GetTrainingSet(*repo_, options);
  options.recompute = false;
  auto served = GetTrainingSet(*repo_, options);
  ASSERT_TRUE(recomputed.ok() && served.ok()) << recomputed.status().ToString();
  EXPECT_TRUE(recomputed->table->GetColumnByName("status")->Equals(
      served->table->GetColumnByName("status")));
  EXPECT_TRUE(recomputed->table->GetColumnByName("orders_2d")->Equals(
      served->table->GetColumnByName("orders_2d")));
}

// A part read in blocks of whole lines: lines across the reader's 8 MiB chunks and one longer
// than a chunk come whole, numbered, in order; the unterminated last one only when asked for.
TEST(ReadLogLinesTest, BlocksOfWholeLinesAcrossChunks) {
  const std::string dir = repo::FreshTestDir("read_log_lines");
  const std::string path = dir + "/part-00000.jsonl";
  std::vector<std::string> lines;
  std::mt19937 rng(5);
  size_t bytes = 0;
  while (bytes < (20u << 20)) {
    const size_t length = lines.size() == 700 ? (9u << 20) : rng() % 40000;
    lines.push_back(std::to_string(lines.size()) + std::string(length, 'x'));
    bytes += lines.back().size() + 1;
  }
  {
    std::ofstream out(path, std::ios::binary);
    for (const auto& line : lines) out << line << "\n";
    out << "unterminated";
  }
  auto fs = core::LocalFs();
  for (bool unterminated : {false, true}) {
    std::vector<std::string> read;
    std::vector<int64_t> numbers;
    Status status = ReadLogLines(*fs, path, unterminated, [&](std::string_view text, int64_t* line) {
      EXPECT_TRUE(text.ends_with('\n'));
      for (size_t start = 0; start < text.size(); ++*line) {
        const size_t end = text.find('\n', start);
        read.emplace_back(text.substr(start, end - start));
        numbers.push_back(*line);
        start = end + 1;
      }
      return Status::OK();
    });
    ASSERT_TRUE(status.ok()) << status.ToString();
    auto expected = lines;
    if (unterminated) expected.push_back("unterminated");
    ASSERT_EQ(read.size(), expected.size());
    for (size_t i = 0; i < read.size(); ++i) {
      ASSERT_EQ(read[i], expected[i]) << "line " << i + 1;
      ASSERT_EQ(numbers[i], static_cast<int64_t>(i + 1));
    }
  }
}

}  // namespace
}  // namespace fst::feedback
