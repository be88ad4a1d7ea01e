// Compaction (docs/impl.md "Compaction"): each compacted file holds exactly the rows of the
// files it replaced, in the order a naive sort of them gives (duplicates, ties and null
// created times included), with every __seq kept; training sets are the same before and
// after, also as of an earlier moment (rows of later ingests left out of compacted files);
// and an I/O error or a crash at every file operation leaves the store readable exactly as
// before, with the next compaction cleaning whatever the interrupted one left.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "../repo/test_repo.h"
#include "featherstone/core/file_system.h"
#include "featherstone/core/time.h"
#include "featherstone/ingest/compact.h"
#include "featherstone/ingest/ingest.h"
#include "featherstone/offline/part_file.h"
#include "featherstone/retrieval/historical.h"

namespace fst::ingest {
namespace {

constexpr char kYaml[] = R"yaml(project: test
entities:
  - {name: customer, join_keys: [customer_id]}
sources:
  - name: orders
    format: csv
    timestamp_field: event_ts
    created_timestamp_field: created_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: order_id, type: string}
      - {name: amount, type: float64, nullable: true}
      - {name: event_ts, type: timestamp}
      - {name: created_ts, type: timestamp, nullable: true}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 3d
    features:
      - {name: amount}
      - {name: order_id}
      - {name: orders_2d, agg: count, column: order_id, window: 2d}
      - {name: amount_2d, agg: sum, column: amount, window: 2d}
      - {name: last_amount, agg: last, column: amount, window: 10d}
)yaml";

constexpr char kFeatures[] =
    "customer_features:amount,customer_features:order_id,customer_features:orders_2d,"
    "customer_features:amount_2d,customer_features:last_amount";

// Random orders: few customers, few event and created times (ties), null created times and
// amounts, and exact duplicate lines.
std::string RandomOrders(std::mt19937_64& rng, int rows, int file) {
  std::string csv = "customer_id,order_id,amount,event_ts,created_ts\n";
  std::string last;
  for (int i = 0; i < rows; ++i) {
    if (!last.empty() && rng() % 8 == 0) {
      csv += last;
      continue;
    }
    char line[160];
    const int day = 1 + static_cast<int>(rng() % 6);
    const int hour = static_cast<int>(rng() % 3) * 8;
    std::string created;
    if (rng() % 10 >= 3) created = "2026-01-0" + std::to_string(1 + rng() % 3) + "T00:00:00Z";
    std::string amount;
    if (rng() % 5 != 0) amount = std::to_string(static_cast<int>(rng() % 1000)) + ".25";
    std::snprintf(line, sizeof(line), "%d,f%d-%d,%s,2026-01-0%dT%02d:00:00Z,%s\n",
                  1 + static_cast<int>(rng() % 6), file, i, amount.c_str(), day, hour,
                  created.c_str());
    last = line;
    csv += last;
  }
  return csv;
}

// One stored row: its sort fields, and everything as text.
struct Row {
  int64_t key = 0;
  int64_t ts = 0;
  std::optional<int64_t> created;
  int64_t seq = 0;
  std::string text;

  // The part order, spelled out: keys, event time, created time (null first), __seq.
  friend bool operator<(const Row& a, const Row& b) {
    auto order = [](const Row& r) {
      return std::make_tuple(r.key, r.ts, r.created.has_value(), r.created.value_or(0), r.seq);
    };
    return order(a) < order(b);
  }
  friend bool operator==(const Row& a, const Row& b) { return a.text == b.text; }
};

void PrintTo(const Row& row, std::ostream* out) { *out << row.text; }

Result<std::vector<Row>> ReadRows(const std::string& path) {
  FST_ASSIGN_OR_RAISE(
      auto table,
      offline::ReadPartColumns(path,
                               {"customer_id", "order_id", "amount", "event_ts", "created_ts",
                                offline::kSeqColumn},
                               {arrow::int64(), arrow::utf8(), arrow::float64(),
                                arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                                arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), arrow::int64()}));
  FST_ASSIGN_OR_RAISE(table, table->CombineChunks());
  std::vector<Row> rows;
  if (table->num_rows() == 0) return rows;
  const auto& key = static_cast<const arrow::Int64Array&>(*table->column(0)->chunk(0));
  const auto& ts = static_cast<const arrow::TimestampArray&>(*table->column(3)->chunk(0));
  const auto& created = static_cast<const arrow::TimestampArray&>(*table->column(4)->chunk(0));
  const auto& seq = static_cast<const arrow::Int64Array&>(*table->column(5)->chunk(0));
  for (int64_t i = 0; i < table->num_rows(); ++i) {
    Row row{key.Value(i), ts.Value(i), std::nullopt, seq.Value(i), ""};
    if (created.IsValid(i)) row.created = created.Value(i);
    for (int c = 0; c < table->num_columns(); ++c) {
      FST_ASSIGN_OR_RAISE(auto scalar, table->column(c)->GetScalar(i));
      row.text += scalar->ToString() + "|";
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// Files under `dir`, relative to it.
std::set<std::string> FilesUnder(const std::string& dir) {
  std::set<std::string> files;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files.insert(std::filesystem::relative(entry.path(), dir).string());
    }
  }
  return files;
}

// What readers see of a repo: every listed row, training sets now and as of `known_at`.
struct Visible {
  std::vector<std::string> rows;  // sorted texts
  std::string historical;
  std::string historical_then;
  std::set<std::string> listed;   // relative to the offline root
  std::set<std::string> on_disk;  // every file under the offline root

  bool SameData(const Visible& other) const {
    return std::tie(rows, historical, historical_then) ==
           std::tie(other.rows, other.historical, other.historical_then);
  }
};

class CompactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(core::EnsureArrowCompute().ok());
    root_ = repo::FreshTestDir(
        std::string("compact_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    base_ = root_ + "/base";
    std::filesystem::create_directories(base_);
    Status applied = repo::WriteAndApply(base_, kYaml);
    ASSERT_TRUE(applied.ok()) << applied.ToString();
    std::ofstream(root_ + "/entities.csv") << Entities();
  }

  // Ingests `sizes.size()` random files into `dir`; `known_at_` is set after the first
  // `known_after` of them.
  void IngestRandom(const std::string& dir, const std::vector<int>& sizes, int known_after,
                    uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto repo = repo::RepoContext::Open(dir);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    for (size_t f = 0; f < sizes.size(); ++f) {
      const std::string csv = root_ + "/in-" + std::to_string(f) + ".csv";
      std::ofstream(csv) << RandomOrders(rng, sizes[f], static_cast<int>(f));
      auto ingested = IngestFile(**repo, "orders", csv, IngestOptions{});
      ASSERT_TRUE(ingested.ok()) << ingested.status().ToString();
      if (static_cast<int>(f) + 1 == known_after) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        known_at_ = core::NowMicros();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  }

  static std::string Entities() {
    std::string csv = "customer_id,event_timestamp\n";
    for (int c = 1; c <= 7; ++c) {
      for (int day = 1; day <= 8; ++day) {
        for (int hour : {0, 4, 8, 16, 23}) {
          char line[64];
          std::snprintf(line, sizeof(line), "%d,2026-01-0%dT%02d:00:00Z\n", c, day, hour);
          csv += line;
        }
      }
    }
    return csv;
  }

  Result<std::string> Historical(repo::RepoContext& repo, int64_t known_at) {
    FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
    FST_ASSIGN_OR_RAISE(auto refs, retrieval::ResolveFeatures(*applied, kFeatures, ""));
    retrieval::HistoricalOptions options;
    options.known_at_us = known_at;
    options.lineage_job.clear();
    FST_ASSIGN_OR_RAISE(auto entities,
                        retrieval::ReadEntityFile(repo, root_ + "/entities.csv", refs, options));
    FST_ASSIGN_OR_RAISE(auto table, retrieval::GetHistoricalFeatures(repo, entities, refs, options));
    FST_ASSIGN_OR_RAISE(table, table->CombineChunks());
    return table->ToString();
  }

  // Opens `dir` on the local file system, as the next process would.
  Result<Visible> Look(const std::string& dir) {
    FST_ASSIGN_OR_RAISE(auto repo, repo::RepoContext::Open(dir));
    Visible seen;
    FST_ASSIGN_OR_RAISE(auto files, repo->registry().ListFiles("orders"));
    for (const auto& file : files) {
      seen.listed.insert(file.path);
      FST_ASSIGN_OR_RAISE(auto rows, ReadRows(repo->OfflineRoot() + "/" + file.path));
      for (auto& row : rows) seen.rows.push_back(std::move(row.text));
    }
    std::sort(seen.rows.begin(), seen.rows.end());
    FST_ASSIGN_OR_RAISE(seen.historical, Historical(*repo, 0));
    FST_ASSIGN_OR_RAISE(seen.historical_then, Historical(*repo, known_at_));
    seen.on_disk = FilesUnder(dir + "/.featherstone/offline");
    return seen;
  }

  std::string root_;
  std::string base_;
  int64_t known_at_ = 0;
};

void CopyRepo(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

Result<CompactResult> CompactOrders(repo::RepoContext& repo, int64_t target_rows) {
  CompactOptions options;
  options.target_rows = target_rows;
  return Compact(repo, "orders", options);
}

TEST_F(CompactTest, MergedFilesEqualANaiveSortOfTheirInputsAndReadersSeeTheSameData) {
  // 24 small ingests and one of 150 rows, which is no small file at 100.
  std::vector<int> sizes;
  std::mt19937_64 sizes_rng(7);
  for (int f = 0; f < 24; ++f) sizes.push_back(1 + static_cast<int>(sizes_rng() % 40));
  sizes.insert(sizes.begin() + 9, 150);
  IngestRandom(base_, sizes, /*known_after=*/13, /*seed=*/11);
  auto before = Look(base_);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_NE(before->historical, before->historical_then) << "the moment makes no difference";

  for (int64_t target : {100, 400}) {  // then the compacted files are compacted again
    SCOPED_TRACE("target " + std::to_string(target));
    auto repo = repo::RepoContext::Open(base_);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    std::map<std::string, std::vector<Row>> inputs;
    auto listed = (*repo)->registry().ListFiles("orders");
    ASSERT_TRUE(listed.ok());
    for (const auto& file : *listed) {
      auto rows = ReadRows((*repo)->OfflineRoot() + "/" + file.path);
      ASSERT_TRUE(rows.ok()) << rows.status().ToString();
      inputs[file.path] = *rows;
    }
    auto planned = CompactOrders(**repo, target);
    ASSERT_TRUE(planned.ok()) << planned.status().ToString();
    ASSERT_GE(planned->groups.size(), target == 100 ? 4u : 1u);
    auto records = (*repo)->registry().ListFiles("orders");
    ASSERT_TRUE(records.ok());
    for (const auto& group : planned->groups) {
      std::vector<Row> expected;
      for (const auto& input : group.inputs) {
        expected.insert(expected.end(), inputs[input].begin(), inputs[input].end());
      }
      ASSERT_LE(static_cast<int64_t>(expected.size()), target);
      std::sort(expected.begin(), expected.end());
      auto merged = ReadRows((*repo)->OfflineRoot() + "/" + group.output);
      ASSERT_TRUE(merged.ok()) << merged.status().ToString();
      EXPECT_EQ(*merged, expected) << group.output;
      // The registry names each ingest the file holds, with its rows and times.
      std::map<int64_t, registry::IngestSpan> spans;
      for (const auto& row : expected) {
        auto [it, fresh] = spans.try_emplace(row.seq >> 32,
                                             registry::IngestSpan{row.seq >> 32, 0, row.ts, row.ts});
        it->second.rows += 1;
        it->second.min_ts = std::min(it->second.min_ts, row.ts);
        it->second.max_ts = std::max(it->second.max_ts, row.ts);
      }
      auto record = std::find_if(records->begin(), records->end(),
                                 [&](const auto& r) { return r.path == group.output; });
      ASSERT_NE(record, records->end());
      ASSERT_EQ(record->held.size(), spans.size());
      for (const auto& span : record->held) {
        const auto& want = spans.at(span.ingest_id);
        EXPECT_EQ(std::tie(span.rows, span.min_ts, span.max_ts),
                  std::tie(want.rows, want.min_ts, want.max_ts));
      }
      EXPECT_EQ(record->ingest_id, spans.rbegin()->first);
    }
    auto after = Look(base_);
    ASSERT_TRUE(after.ok()) << after.status().ToString();
    EXPECT_EQ(after->rows, before->rows);
    EXPECT_EQ(after->historical, before->historical);
    EXPECT_EQ(after->historical_then, before->historical_then);
    EXPECT_EQ(after->on_disk, after->listed) << "replaced files left behind";
    EXPECT_EQ(static_cast<int64_t>(after->listed.size()), planned->files_after);
  }
  auto repo = repo::RepoContext::Open(base_);
  ASSERT_TRUE(repo.ok());
  auto compactions = (*repo)->registry().ListCompactions("orders");
  ASSERT_TRUE(compactions.ok());
  EXPECT_EQ(compactions->size(), 2u);
  auto runs = (*repo)->registry().ListLineageEvents("compact.orders");
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 4u);  // START and COMPLETE of each
  EXPECT_EQ(runs->front().event_type, "COMPLETE");
}

TEST_F(CompactTest, DryRunAndNothingToDoChangeNothing) {
  IngestRandom(base_, {5, 6, 7}, 1, 3);
  auto before = Look(base_);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  auto repo = repo::RepoContext::Open(base_);
  ASSERT_TRUE(repo.ok());
  CompactOptions dry;
  dry.dry_run = true;
  auto planned = Compact(**repo, "orders", dry);
  ASSERT_TRUE(planned.ok()) << planned.status().ToString();
  ASSERT_EQ(planned->groups.size(), 1u);
  EXPECT_EQ(planned->groups[0].inputs.size(), 3u);
  EXPECT_EQ(planned->compaction_id, 0);
  auto single = CompactOrders(**repo, 6);  // only the 5-row file is under 6 rows
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_TRUE(single->groups.empty());
  auto seen = Look(base_);
  ASSERT_TRUE(seen.ok());
  EXPECT_TRUE(seen->SameData(*before));
  EXPECT_EQ(seen->listed, before->listed);
  auto apart = CompactOrders(**repo, 10);  // no two files together under 10 rows
  ASSERT_TRUE(apart.ok()) << apart.status().ToString();
  EXPECT_TRUE(apart->groups.empty());
  EXPECT_TRUE(Compact(**repo, "nope", CompactOptions{}).status().IsKeyError());
  EXPECT_TRUE(CompactOrders(**repo, 0).status().IsInvalid());
}

enum class Fault { kError, kCrash };

TEST_F(CompactTest, AnIoErrorOrACrashAtEveryFileOperationLeavesTheDataAsBefore) {
  const auto started = std::chrono::steady_clock::now();
  IngestRandom(base_, {12, 30, 7, 25, 18, 9, 40, 3}, /*known_after=*/5, /*seed=*/5);
  auto before = Look(base_);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  constexpr int64_t kTarget = 60;  // three compacted files
  const std::string work = root_ + "/work";
  CopyRepo(base_, work);
  auto counting = std::make_shared<core::FaultInjectionFileSystem>(core::LocalFs());
  {
    auto repo = repo::RepoContext::Open(work, counting);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    auto done = CompactOrders(**repo, kTarget);
    ASSERT_TRUE(done.ok()) << done.status().ToString();
    ASSERT_EQ(done->groups.size(), 3u);
  }
  const int64_t n = counting->ops();
  auto after = Look(work);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_TRUE(after->SameData(*before));
  ASSERT_NE(after->listed, before->listed);
  ASSERT_GE(n, 10);

  int points = 0;
  for (int64_t k = 1; k <= n; ++k) {
    for (Fault fault : {Fault::kError, Fault::kCrash}) {
      SCOPED_TRACE(std::string(fault == Fault::kError ? "I/O error" : "crash") +
                   " at operation " + std::to_string(k) + " of " + std::to_string(n));
      CopyRepo(base_, work);
      auto fs = std::make_shared<core::FaultInjectionFileSystem>(core::LocalFs());
      fault == Fault::kError ? fs->FailAt(k) : fs->CrashAt(k);
      Status status;
      {
        auto repo = repo::RepoContext::Open(work, fs);
        ASSERT_TRUE(repo.ok()) << repo.status().ToString();
        status = CompactOrders(**repo, kTarget).status();
      }
      ++points;
      auto seen = Look(work);
      ASSERT_TRUE(seen.ok()) << seen.status().ToString();
      EXPECT_TRUE(seen->SameData(*before)) << status.ToString();
      // Either the old files are listed or the new ones, never a mix.
      EXPECT_EQ(seen->listed, status.ok() ? after->listed : before->listed) << status.ToString();
      EXPECT_TRUE(std::includes(seen->on_disk.begin(), seen->on_disk.end(),
                                seen->listed.begin(), seen->listed.end()));
      {
        auto repo = repo::RepoContext::Open(work);
        ASSERT_TRUE(repo.ok()) << repo.status().ToString();
        auto retried = CompactOrders(**repo, kTarget);
        ASSERT_TRUE(retried.ok()) << retried.status().ToString();
      }
      auto last = Look(work);
      ASSERT_TRUE(last.ok()) << last.status().ToString();
      EXPECT_TRUE(last->SameData(*before));
      EXPECT_EQ(last->listed.size(), after->listed.size());
      EXPECT_EQ(last->on_disk, last->listed) << "files left behind after the next compaction";
      if (::testing::Test::HasFailure()) return;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "swept " << n << " file operations x {I/O error, crash} = " << points
            << " fault points in " << seconds << " s\n";
}

}  // namespace
}  // namespace fst::ingest
