// Every I/O error and every crash at each file operation of an ingest and of a quarantine
// replay leaves the store exactly before or exactly after the run, never between, and a retry
// then lands every row once (docs/impl.md "Publish protocol", "I/O and crash tests").
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "../repo/test_repo.h"
#include "featherstone/core/file_system.h"
#include "featherstone/ingest/ingest.h"
#include "featherstone/ingest/quarantine.h"
#include "featherstone/offline/part_file.h"

namespace fst::ingest {
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
      - {name: order_id, type: string}
      - {name: amount, type: float64}
      - {name: event_ts, type: timestamp}
    contract:
      expectations:
        - {expect: not_null, column: amount}
        - {expect: between, column: amount, min: 0}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 30d
    features:
      - {name: amount}
)yaml";

constexpr int kRows = 2000;
constexpr int64_t kPartRows = 500;  // four parts, so crashes fall between parts too
constexpr int64_t kReplayPartRows = 10;  // the 22 replayed rows in three parts

// The contract without the `between` rule: a replay then writes the rows it quarantined.
std::string FixedYaml() {
  std::string yaml = kYaml;
  const std::string rule = "        - {expect: between, column: amount, min: 0}\n";
  yaml.erase(yaml.find(rule), rule.size());
  return yaml;
}

// Orders `prefix`1..`prefix`N; with `bad`, every 97th row has no amount and every 89th a
// negative one (both quarantined).
void WriteOrders(const std::string& path, const std::string& prefix, int rows, bool bad) {
  std::ofstream out(path);
  out << "customer_id,order_id,amount,event_ts\n";
  for (int i = 1; i <= rows; ++i) {
    char ts[32];
    std::snprintf(ts, sizeof(ts), "2026-01-%02dT%02d:%02d:00Z", 1 + i / 1440, i / 60 % 24, i % 60);
    out << 1 + i % 50 << "," << prefix << i << ",";
    if (!bad || (i % 97 != 0 && i % 89 != 0)) out << i * 0.5;
    if (bad && i % 89 == 0) out << -5;
    out << "," << ts << "\n";
  }
}

// What readers can see of a repo, and which store files exist.
struct Visible {
  std::vector<std::string> order_ids;    // of every published part, sorted
  std::vector<std::string> quarantined;  // "row replayed?" of every quarantined row, sorted
  int64_t ingests_with_rows = 0;
  int64_t quality_runs = 0;
  std::set<std::string> referenced;  // part and quarantine files the registry lists
  std::set<std::string> on_disk;     // every file under offline/ and quarantine/

  // Same content; with `runs`, also the same number of recorded quality runs.
  bool Same(const Visible& other, bool runs = true) const {
    return std::tie(order_ids, quarantined, ingests_with_rows) ==
               std::tie(other.order_ids, other.quarantined, other.ingests_with_rows) &&
           (!runs || quality_runs == other.quality_runs);
  }
  std::string Summary() const {
    return std::to_string(order_ids.size()) + " rows, " + std::to_string(quarantined.size()) +
           " quarantined, " + std::to_string(ingests_with_rows) + " ingests, " +
           std::to_string(quality_runs) + " runs";
  }
};

std::set<std::string> FilesUnder(const std::string& dir) {
  std::set<std::string> files;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.insert(entry.path().string());
  }
  return files;
}

// Opens `dir` on the local file system, as the next process would.
Result<Visible> Look(const std::string& dir) {
  FST_ASSIGN_OR_RAISE(auto repo, repo::RepoContext::Open(dir));
  Visible seen;
  FST_ASSIGN_OR_RAISE(auto parts, repo->registry().ListFiles("orders"));
  for (const auto& part : parts) {
    const std::string path = repo->OfflineRoot() + "/" + part.path;
    seen.referenced.insert(path);
    FST_ASSIGN_OR_RAISE(auto table, offline::ReadPartColumns(path, {"order_id"}, {arrow::utf8()}));
    for (const auto& chunk : table->column(0)->chunks()) {
      const auto& ids = static_cast<const arrow::StringArray&>(*chunk);
      for (int64_t i = 0; i < ids.length(); ++i) seen.order_ids.emplace_back(ids.GetView(i));
    }
  }
  std::sort(seen.order_ids.begin(), seen.order_ids.end());
  FST_ASSIGN_OR_RAISE(auto files, ListQuarantine(*repo, "orders"));
  for (const auto& file : files) seen.referenced.insert(repo->QuarantineRoot() + "/" + file.path);
  FST_ASSIGN_OR_RAISE(auto rows, ShowQuarantine(*repo, "orders", /*include_replayed=*/true, 0));
  auto row = std::static_pointer_cast<arrow::StringArray>(
      rows->GetColumnByName("__row")->chunk(0));
  auto replayed = std::static_pointer_cast<arrow::StringArray>(
      rows->GetColumnByName("__replayed")->chunk(0));
  for (int64_t i = 0; i < rows->num_rows(); ++i) {
    seen.quarantined.push_back(std::string(row->GetView(i)) + " " +
                               std::string(replayed->GetView(i)));
  }
  std::sort(seen.quarantined.begin(), seen.quarantined.end());
  FST_ASSIGN_OR_RAISE(auto ingests, repo->registry().ListIngests("orders"));
  for (const auto& ingest : ingests) seen.ingests_with_rows += ingest.rows > 0 ? 1 : 0;
  FST_ASSIGN_OR_RAISE(auto runs, repo->registry().ListQualityRuns("orders"));
  seen.quality_runs = static_cast<int64_t>(runs.size());
  for (const char* store : {"offline", "quarantine"}) {
    for (const auto& file : FilesUnder(dir + "/.featherstone/" + store)) seen.on_disk.insert(file);
  }
  return seen;
}

Result<IngestResult> Ingest(repo::RepoContext& repo, const std::string& csv) {
  IngestOptions options;
  options.part_rows = kPartRows;
  return IngestFile(repo, "orders", csv, options);
}

Result<ReplayResult> Replay(repo::RepoContext& repo) {
  ReplayOptions options;
  options.part_rows = kReplayPartRows;
  return ReplayQuarantine(repo, "orders", options);
}

void CopyRepo(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

enum class Fault { kError, kCrash };

class FaultSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(core::EnsureArrowCompute().ok());
    root_ = repo::FreshTestDir(
        std::string("fault_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    csv_ = root_ + "/orders.csv";
    WriteOrders(csv_, "o", kRows, /*bad=*/true);
    // The template: the contract applied and a first ingest, so "before" is not empty.
    base_ = root_ + "/base";
    std::filesystem::create_directories(base_);
    Status applied = repo::WriteAndApply(base_, kYaml);
    ASSERT_TRUE(applied.ok()) << applied.ToString();
    WriteOrders(root_ + "/first.csv", "f", 10, /*bad=*/false);
    auto repo = repo::RepoContext::Open(base_);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    auto first = Ingest(**repo, root_ + "/first.csv");
    ASSERT_TRUE(first.ok()) << first.status().ToString();
  }

  // Runs `run` on a copy of `from` once without faults, then, for each of its N mutating file
  // operations k and each fault, on a fresh copy with operation k failing or crashing; checks
  // the store is exactly `from` after an error and exactly the fault-free result after a
  // success, that an I/O error leaves no file behind, and that `retry` (a new process on the
  // local file system) then ends exactly at the fault-free result.
  template <typename Run, typename Retry>
  void Sweep(const std::string& from, Run run, Retry retry, bool retry_records_run) {
    const auto started = std::chrono::steady_clock::now();
    auto before = Look(from);
    ASSERT_TRUE(before.ok()) << before.status().ToString();
    const std::string work = root_ + "/work";
    CopyRepo(from, work);
    auto counting = std::make_shared<core::FaultInjectionFileSystem>(core::LocalFs());
    {
      auto repo = repo::RepoContext::Open(work, counting);
      ASSERT_TRUE(repo.ok()) << repo.status().ToString();
      Status clean = run(**repo);
      ASSERT_TRUE(clean.ok()) << clean.ToString();
    }
    const int64_t n = counting->ops();
    auto after = Look(work);
    ASSERT_TRUE(after.ok()) << after.status().ToString();
    ASSERT_FALSE(after->Same(*before)) << "the run changed nothing: " << after->Summary();
    EXPECT_EQ(after->on_disk, after->referenced);
    ASSERT_GE(n, 4);

    int points = 0;
    for (int64_t k = 1; k <= n; ++k) {
      for (Fault fault : {Fault::kError, Fault::kCrash}) {
        const std::string what =
            std::string(fault == Fault::kError ? "I/O error" : "crash") + " at operation " +
            std::to_string(k) + " of " + std::to_string(n);
        SCOPED_TRACE(what);
        CopyRepo(from, work);
        auto fs = std::make_shared<core::FaultInjectionFileSystem>(core::LocalFs());
        fault == Fault::kError ? fs->FailAt(k) : fs->CrashAt(k);
        Status status;
        {
          auto repo = repo::RepoContext::Open(work, fs);
          ASSERT_TRUE(repo.ok()) << repo.status().ToString();
          status = run(**repo);
        }
        ++points;
        EXPECT_GE(fs->ops(), k);
        auto seen = Look(work);
        ASSERT_TRUE(seen.ok()) << seen.status().ToString();
        if (status.ok()) {
          EXPECT_TRUE(seen->Same(*after)) << seen->Summary() << " vs " << after->Summary();
        } else {
          EXPECT_TRUE(status.IsIOError()) << status.ToString();
          EXPECT_TRUE(seen->Same(*before)) << status.ToString() << ": " << seen->Summary()
                                           << " vs " << before->Summary();
        }
        if (fault == Fault::kError) {
          EXPECT_EQ(seen->on_disk, seen->referenced) << "files left behind";
        } else {
          EXPECT_TRUE(std::includes(seen->on_disk.begin(), seen->on_disk.end(),
                                    seen->referenced.begin(), seen->referenced.end()));
        }
        {
          auto repo = repo::RepoContext::Open(work);
          ASSERT_TRUE(repo.ok()) << repo.status().ToString();
          Status retried = retry(**repo);
          ASSERT_TRUE(retried.ok()) << retried.ToString();
        }
        auto last = Look(work);
        ASSERT_TRUE(last.ok()) << last.status().ToString();
        EXPECT_TRUE(last->Same(*after, /*runs=*/!status.ok() || !retry_records_run))
            << last->Summary() << " vs " << after->Summary();
        if (::testing::Test::HasFailure()) return;
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "swept " << n << " file operations x {I/O error, crash} = " << points
              << " fault points in " << seconds << " s\n";
  }

  std::string root_;
  std::string base_;
  std::string csv_;
};

TEST_F(FaultSweepTest, IngestIsAllOrNothingAtEveryFileOperation) {
  auto ingest = [&](repo::RepoContext& repo) -> Status {
    FST_ASSIGN_OR_RAISE(auto result, Ingest(repo, csv_));
    if (result.skipped) return Status::OK();  // a retry after a published run
    const int64_t good = kRows - kRows / 97 - kRows / 89;
    if (result.rows != good || result.parts != (good + kPartRows - 1) / kPartRows) {
      return Status::Invalid(result.rows, " rows in ", result.parts, " parts");
    }
    return Status::OK();
  };
  Sweep(base_, ingest, ingest, /*retry_records_run=*/false);
}

TEST_F(FaultSweepTest, QuarantineReplayIsAllOrNothingAtEveryFileOperation) {
  // The template: the orders ingested (with quarantined rows), then the contract relaxed.
  const std::string quarantined = root_ + "/quarantined";
  CopyRepo(base_, quarantined);
  {
    auto repo = repo::RepoContext::Open(quarantined);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    auto ingested = Ingest(**repo, csv_);
    ASSERT_TRUE(ingested.ok()) << ingested.status().ToString();
    ASSERT_EQ(ingested->rows_quarantined, kRows / 97 + kRows / 89);
  }
  Status fixed = repo::WriteAndApply(quarantined, FixedYaml());
  ASSERT_TRUE(fixed.ok()) << fixed.ToString();
  auto replay = [&](repo::RepoContext& repo) -> Status {
    FST_ASSIGN_OR_RAISE(auto result, Replay(repo));
    if (result.replayed != kRows / 89) return Status::Invalid("replayed ", result.replayed);
    return Status::OK();
  };
  // A retry after a published replay finds only the rows still failing: it writes nothing
  // but records its run.
  auto retry = [&](repo::RepoContext& repo) { return Replay(repo).status(); };
  Sweep(quarantined, replay, retry, /*retry_records_run=*/true);
}

}  // namespace
}  // namespace fst::ingest
