// Publishing a sealed feature-log part: the published rows read back as the logged responses
// (one record type whatever the store), records the service no longer serves are kept as text,
// and an I/O error or a crash at every file operation, followed by the next server's retry,
// publishes every response exactly once (docs/impl.md "Feature log").
#include "featherstone/feedback/log_publisher.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>

#include "../repo/test_repo.h"
#include "featherstone/core/file_system.h"
#include "featherstone/repo/plan_apply.h"
#include "featherstone/serving/feature_log.h"

namespace fst::feedback {
namespace {

constexpr char kYaml[] = R"yaml(project: test
entities:
  - {name: customer, join_keys: [customer_id]}
sources:
  - name: orders
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: order_id, type: string}
      - {name: amount, type: float64}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    features:
      - {name: amount}
      - {name: order_id}
feature_services:
  - name: churn_model
    features: [customer_features:amount, customer_features:order_id]
  - name: amount_model
    features: [customer_features:amount]
)yaml";

constexpr int64_t kServedAt = 1796601600000000;  // 2026-12-07T00:00:00Z

// Response `i`: two entities, the first found (values), the second not; by `service`, or by
// feature list when `service` is empty.
serving::FeatureLogRecord Response(int i, const std::string& service, bool full_names) {
  serving::FeatureLogRecord record;
  record.request_id = "req-" + std::to_string(i);
  record.served_at_us = kServedAt + i * 1000;
  record.at_us = record.served_at_us - 5;
  const bool both = service != "amount_model";
  std::vector<std::string> features = {"customer_features:amount"};
  if (both) features.push_back("customer_features:order_id");
  std::vector<std::pair<std::string, std::string>> hashes;
  if (!service.empty()) hashes.emplace_back("feature_service/" + service, "hs");
  hashes.emplace_back("feature_view/customer_features", "hv");
  record.header = serving::MakeFeatureLogHeader(service, features, hashes);
  auto& rows = record.rows;
  rows.columns = {"customer_id", full_names ? "customer_features__amount" : "amount"};
  rows.types = {core::ValueType::kInt64, core::ValueType::kFloat64};
  if (both) {
    rows.columns.push_back(full_names ? "customer_features__order_id" : "order_id");
    rows.types.push_back(core::ValueType::kString);
  }
  rows.key_columns = 1;
  const size_t n = rows.columns.size();
  using retrieval::FeatureStatus;
  rows.rows.push_back({int64_t{i}, 0.5 * i});
  rows.statuses.push_back(std::vector<FeatureStatus>(n, FeatureStatus::kPresent));
  rows.event_ts.push_back(std::vector<int64_t>(n, kServedAt - 1000 * i));
  rows.rows.push_back({int64_t{1000 + i}, std::monostate{}});
  rows.statuses.push_back({FeatureStatus::kPresent, FeatureStatus::kNotFound});
  rows.event_ts.push_back(std::vector<int64_t>(n, 0));
  if (both) {
    rows.rows[0].push_back("o" + std::to_string(i));
    rows.rows[1].push_back(std::monostate{});
    rows.statuses[1].push_back(FeatureStatus::kNotFound);
  }
  return record;
}

// A logged request as text, to compare records whatever store they were read from.
std::string Text(const LoggedRequest& r) {
  std::ostringstream out;
  out << r.request_id << " " << r.served_at_us << " " << r.at_us << " " << r.service << " [";
  for (const auto& [k, v] : r.spec_hashes) out << k << "=" << v << " ";
  out << "] [";
  for (size_t f = 0; f < r.features.size(); ++f) {
    out << r.features[f].ToString() << " as " << r.feature_names[f] << " ";
  }
  out << "]";
  for (size_t e = 0; e < r.entities.size(); ++e) {
    out << " {" << r.entities[e].dump() << " " << r.request_data[e].dump();
    for (size_t f = 0; f < r.features.size(); ++f) {
      out << " " << r.values[e][f].dump() << "/" << r.statuses[e][f] << "/" << r.event_ts[e][f];
    }
    out << "}";
  }
  return out.str();
}

std::vector<std::string> Texts(const std::vector<LoggedRequest>& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests) out.push_back(Text(r));
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class LogPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(core::EnsureArrowCompute().ok());
    root_ = repo::FreshTestDir(std::string("log_publisher_") +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    base_ = root_ + "/base";
    std::filesystem::create_directories(base_);
    std::ofstream(base_ + "/featherstone.yaml") << kYaml;
    auto defs = definitions::LoadRepo(base_);
    ASSERT_TRUE(defs.ok()) << defs.status().ToString();
    auto repo = repo::RepoContext::Open(base_);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    auto applied = repo::PlanApply(**repo, *defs, /*apply=*/true);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    // One sealed part: responses of both services (some with full names) and by feature list.
    const std::string folder = serving::FeatureLogDir(base_) + "/2026-12-07";
    std::filesystem::create_directories(folder);
    part_ = folder + "/part-00000.jsonl";
    std::ofstream out(part_);
    for (int i = 1; i <= 30; ++i) {
      const std::string service = i % 5 == 0 ? "" : i % 3 == 0 ? "amount_model" : "churn_model";
      const std::string line = serving::FeatureLogLine(Response(i, service, i % 4 == 0));
      out << line << "\n";
      auto parsed = ParseLoggedRequest(line, "test");
      ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
      (service.empty() ? kept_ : published_).push_back(Text(*parsed));
      if (service.empty()) kept_lines_ += line + "\n";
    }
    std::sort(published_.begin(), published_.end());
  }

  // The published responses of `dir`, and its JSONL parts besides the kept file.
  void ExpectPublished(const std::string& dir) {
    auto repo = repo::RepoContext::Open(dir);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    auto published = ReadPublishedLog(**repo, {});
    ASSERT_TRUE(published.ok()) << published.status().ToString();
    auto texts = Texts(*published);
    std::sort(texts.begin(), texts.end());
    EXPECT_EQ(texts, published_);
    const std::string part = dir + part_.substr(base_.size());
    EXPECT_FALSE(std::filesystem::exists(part)) << "the published part is still there";
    const std::string kept = part.substr(0, part.size() - 6) + ".kept.jsonl";
    EXPECT_EQ(ReadFile(kept), kept_lines_);
    // Every response once: the published ones and those kept as text.
    auto all = ReadRepoLog(**repo, {});
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_EQ(all->size(), published_.size() + kept_.size());
  }

  std::string root_, base_, part_;
  std::vector<std::string> published_, kept_;
  std::string kept_lines_;
};

TEST_F(LogPublisherTest, PublishedRowsReadBackAsTheLoggedResponses) {
  auto repo = repo::RepoContext::Open(base_);
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();
  Status published = PublishLogPart(**repo, part_);
  ASSERT_TRUE(published.ok()) << published.ToString();
  ExpectPublished(base_);
  // One ingest per service; each response's entities are rows of its service's log.
  auto churn = (*repo)->registry().ListFiles("churn_model__log");
  auto amount = (*repo)->registry().ListFiles("amount_model__log");
  ASSERT_TRUE(churn.ok() && amount.ok());
  int64_t churn_rows = 0, amount_rows = 0;
  for (const auto& file : *churn) churn_rows += file.rows;
  for (const auto& file : *amount) amount_rows += file.rows;
  EXPECT_EQ(churn_rows, 2 * 16);   // 30 responses: 6 by feature list, 8 amount_model
  EXPECT_EQ(amount_rows, 2 * 8);
  // A filter reads the published records as it reads the text ones.
  LogFilter filter;
  filter.request_id = "req-7";
  auto one = ReadRepoLog(**repo, filter);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().service, "churn_model");
  filter = {};
  filter.service = "amount_model";
  filter.from_us = kServedAt + 10 * 1000;
  auto ranged = ReadRepoLog(**repo, filter);
  ASSERT_TRUE(ranged.ok()) << ranged.status().ToString();
  EXPECT_EQ(ranged->size(), 5u);  // responses 12, 18, 21, 24 and 27
}

enum class Fault { kError, kCrash };

TEST_F(LogPublisherTest, EveryResponseIsPublishedOnceWhateverFileOperationFails) {
  auto counting = std::make_shared<core::FaultInjectionFileSystem>(core::LocalFs());
  const std::string clean = root_ + "/clean";
  std::filesystem::copy(base_, clean, std::filesystem::copy_options::recursive);
  {
    auto repo = repo::RepoContext::Open(clean, counting);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    Status published = PublishLogPart(**repo, clean + part_.substr(base_.size()));
    ASSERT_TRUE(published.ok()) << published.ToString();
  }
  ExpectPublished(clean);
  const int64_t n = counting->ops();
  ASSERT_GE(n, 5);  // two parts (create, write, close each), the kept file, the delete
  for (int64_t k = 1; k <= n; ++k) {
    for (Fault fault : {Fault::kError, Fault::kCrash}) {
      SCOPED_TRACE(std::string(fault == Fault::kError ? "I/O error" : "crash") +
                   " at operation " + std::to_string(k) + " of " + std::to_string(n));
      const std::string work = root_ + "/work";
      std::filesystem::remove_all(work);
      std::filesystem::copy(base_, work, std::filesystem::copy_options::recursive);
      const std::string part = work + part_.substr(base_.size());
      auto fs = std::make_shared<core::FaultInjectionFileSystem>(core::LocalFs());
      fault == Fault::kError ? fs->FailAt(k) : fs->CrashAt(k);
      {
        auto repo = repo::RepoContext::Open(work, fs);
        ASSERT_TRUE(repo.ok()) << repo.status().ToString();
        Status status = PublishLogPart(**repo, part);
        EXPECT_FALSE(status.ok()) << "operation " << k << " did not fail the publish";
      }
      // The next server hands the part over again (FeatureLog::Open) when it is still there.
      ASSERT_TRUE(std::filesystem::exists(part));
      {
        auto repo = repo::RepoContext::Open(work);
        ASSERT_TRUE(repo.ok()) << repo.status().ToString();
        Status retried = PublishLogPart(**repo, part);
        ASSERT_TRUE(retried.ok()) << retried.ToString();
      }
      ExpectPublished(work);
      if (::testing::Test::HasFailure()) return;
    }
  }
  std::cout << "swept " << n << " file operations x {I/O error, crash} = " << 2 * n
            << " fault points\n";
}

}  // namespace
}  // namespace fst::feedback
