// Online after materialize --end T equals historical retrieval at T, for every entity, on
// random data ingested in several files (duplicates, equal times, nulls, late rows), for column
// features and every windowed aggregation; the incremental path picks up late rows exactly;
// retrieval from the source's rows in memory, split by key as Spark splits them, equals
// retrieval from the offline store; and retrieval under memory limits small enough to force
// entity chunks and key-range passes equals retrieval without a limit.
#include <cmath>
#include <fstream>
#include <limits>
#include <random>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include "featherstone/core/time.h"
#include "featherstone/offline/part_file.h"
#include "featherstone/retrieval/historical.h"
#include "featherstone/ingest/ingest.h"
#include "featherstone/retrieval/materialize.h"
#include "featherstone/retrieval/online_lookup.h"
#include "test_repo.h"
#include "featherstone/features/view_plan.h"

namespace fst::retrieval {
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
      - {name: amount, type: float64}
      - {name: status, type: string}
      - {name: event_ts, type: timestamp}
      - {name: created_ts, type: timestamp}
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
      - {name: amount_min_2d, agg: min, column: amount, window: 2d}
      - {name: amount_max_2d, agg: max, column: amount, window: 2d}
      - {name: amount_std_7d, agg: stddev, column: amount, window: 7d}
      - {name: status_last_10d, agg: last, column: status, window: 10d}
      - {name: amount_first_10d, agg: first, column: amount, window: 10d}
      - {name: statuses_7d, agg: count_distinct, column: status, window: 7d}
      - {name: last_ts_10d, agg: last, column: event_ts, window: 10d}
      - {name: amount_cents, expr: "amount * 100"}
      - {name: risk, expr: "1/(1+exp(0.1*orders_2d - 0.02*days_since(last_ts_10d) - 0.5))"}
      - {name: paid, expr: "if(status == 'paid', amount_sum_7d, 0)"}
)yaml";

const char* kFeatures[] = {"amount", "status", "orders_2d", "amount_sum_7d", "amount_avg_3d",
                           "amount_min_2d", "amount_max_2d", "amount_std_7d",
                           "status_last_10d", "amount_first_10d", "statuses_7d",
                           "last_ts_10d", "amount_cents", "risk", "paid"};

const int64_t kDay = core::kMicrosPerDay;
const int64_t kBase = 1'767'225'600'000'000;  // 2026-01-01

void WriteOrders(const std::string& path, std::mt19937_64& rng, int rows, int keys, int days) {
  std::ofstream out(path);
  out << "customer_id,amount,status,event_ts,created_ts\n";
  for (int r = 0; r < rows; ++r) {
    const int64_t ts = kBase + static_cast<int64_t>(rng() % static_cast<uint64_t>(days * 24)) * 3600'000'000LL;
    out << 1 + rng() % static_cast<uint64_t>(keys) << ",";
    if (rng() % 8 != 0) out << static_cast<double>(rng() % 10000) / 100.0;
    out << "," << (rng() % 2 ? "paid" : "new") << "," << core::FormatTimestamp(ts) << ",";
    if (rng() % 3 != 0) out << core::FormatTimestamp(ts + static_cast<int64_t>(rng() % 3) * 1000000);
    out << "\n";
  }
}

class ConsistencyTest : public RepoTest {
 protected:
  void SetUp() override { OpenRepo(kYaml, /*check_features=*/false); }

  void Ingest(const std::string& path) {
    auto result = ingest::IngestFile(*repo_, "orders", path, {});
    ASSERT_TRUE(result.ok()) << result.status().ToString();
  }

  // Three files of WriteOrders(rows, keys, days), ingested one after the other.
  void IngestThreeFiles(std::mt19937_64& rng, int rows, int keys, int days) {
    for (int f = 0; f < 3; ++f) {
      const std::string path = dir_ + "/orders" + std::to_string(f) + ".csv";
      WriteOrders(path, rng, rows, keys, days);
      Ingest(path);
    }
  }

  // The features of kFeatures, resolved.
  std::vector<definitions::FeatureRef> AllFeatures() {
    auto applied = repo_->Applied();
    EXPECT_TRUE(applied.ok());
    std::string list;
    for (const char* f : kFeatures) list += std::string(list.empty() ? "" : ",") + "customer_features:" + f;
    auto refs = ResolveFeatures(**applied, list, "");
    EXPECT_TRUE(refs.ok()) << refs.status().ToString();
    return refs.ok() ? *refs : std::vector<definitions::FeatureRef>{};
  }

  // Compares online at `at` with historical at `at` for keys 1..keys.
  void ExpectOnlineEqualsHistorical(int keys, int64_t at, bool expect_values = true) {
    arrow::Int64Builder ids;
    arrow::TimestampBuilder ts(core::ToArrowType(core::ValueType::kTimestamp),
                               arrow::default_memory_pool());
    std::vector<EntityKeyText> entities;
    for (int k = 1; k <= keys; ++k) {
      ASSERT_TRUE(ids.Append(k).ok());
      ASSERT_TRUE(ts.Append(at).ok());
      entities.push_back({{"customer_id", std::to_string(k)}});
    }
    auto schema = arrow::schema({arrow::field("customer_id", arrow::int64()),
                                 arrow::field("event_timestamp", ts.type())});
    auto spine = arrow::Table::Make(schema, {*ids.Finish(), *ts.Finish()});
    const auto refs = AllFeatures();
    auto table = GetHistoricalFeatures(*repo_, spine, refs, {});
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    auto online = GetOnlineFeatures(*repo_, refs, entities, at, false);
    ASSERT_TRUE(online.ok()) << online.status().ToString();
    const auto online_json = ToJson(*online);
    int non_null = 0;
    for (const char* f : kFeatures) {
      auto column = features::Flatten(*table->get()->GetColumnByName(f));
      ASSERT_TRUE(column.ok());
      for (int k = 0; k < keys; ++k) {
        const auto& got = online_json[static_cast<size_t>(k)][f];
        const auto want = ToJson(**column, k);
        const std::string where = std::string(f) + " key " + std::to_string(k + 1) + " at " +
                                  core::FormatTimestamp(at);
        ASSERT_EQ(got.is_null(), want.is_null()) << where << ": " << got << " vs " << want;
        if (want.is_null()) continue;
        ++non_null;
        if (want.is_number_float()) {
          ASSERT_NEAR(got.get<double>(), want.get<double>(), 1e-9 * std::max(1.0, std::fabs(want.get<double>()))) << where;
        } else {
          ASSERT_EQ(got, want) << where;
        }
      }
    }
    if (expect_values) {
      EXPECT_GT(non_null, 0);
    }
  }

};

TEST_F(ConsistencyTest, OnlineEqualsHistoricalAtMaterializationTime) {
  std::mt19937_64 rng(11);
  const int keys = 300;
  IngestThreeFiles(rng, 2000, keys, 30);
  // Mid-data: online at T equals historical at T.
  MaterializeOptions mid;
  mid.end = kBase + 10 * kDay;
  ASSERT_TRUE(Materialize(*repo_, mid).ok());
  ExpectOnlineEqualsHistorical(keys, mid.end);
  // After the last event: reads at later times (ttl 5d applied to both) still agree.
  MaterializeOptions last;
  last.end = kBase + 31 * kDay;
  ASSERT_TRUE(Materialize(*repo_, last).ok());
  for (int64_t later : {int64_t{0}, kDay, 2 * kDay}) {
    ExpectOnlineEqualsHistorical(keys, last.end + later);
  }
  // Past the ttl every feature is null, online and offline.
  ExpectOnlineEqualsHistorical(keys, last.end + 6 * kDay, /*expect_values=*/false);
}

TEST_F(ConsistencyTest, IncrementalPicksUpLateRows) {
  std::mt19937_64 rng(12);
  const int keys = 200;
  WriteOrders(dir_ + "/a.csv", rng, 1500, keys, 20);
  Ingest(dir_ + "/a.csv");
  MaterializeOptions first;
  first.end = kBase + 20 * kDay;
  ASSERT_TRUE(Materialize(*repo_, first).ok());
  // Late rows: event times before the watermark, ingested after it.
  WriteOrders(dir_ + "/late.csv", rng, 800, keys, 20);
  Ingest(dir_ + "/late.csv");
  MaterializeOptions incremental;
  incremental.incremental = true;
  incremental.end = kBase + 20 * kDay;
  ASSERT_TRUE(Materialize(*repo_, incremental).ok());
  ExpectOnlineEqualsHistorical(keys, kBase + 20 * kDay);
}

// The rows of `table` whose customer_id is odd (`odd`) or even, in order.
std::shared_ptr<arrow::Table> KeyHalf(const std::shared_ptr<arrow::Table>& table, bool odd) {
  auto keys = table->GetColumnByName("customer_id");
  auto parity = arrow::compute::CallFunction("bit_wise_and", {keys, arrow::Datum(int64_t{1})});
  EXPECT_TRUE(parity.ok());
  auto mask = arrow::compute::CallFunction("equal", {*parity, arrow::Datum(int64_t{odd})});
  EXPECT_TRUE(mask.ok());
  auto half = arrow::compute::Filter(table, *mask);
  EXPECT_TRUE(half.ok());
  return half->table();
}

TEST_F(ConsistencyTest, FromRowsSplitByKeyEqualsTheOfflineStore) {
  std::mt19937_64 rng(13);
  const int keys = 120;
  IngestThreeFiles(rng, 1500, keys, 20);
  // Entity rows (unknown keys too) with their place, to put the halves back in order.
  arrow::Int64Builder ids;
  arrow::Int64Builder places;
  arrow::TimestampBuilder ts(core::ToArrowType(core::ValueType::kTimestamp),
                             arrow::default_memory_pool());
  for (int64_t i = 0; i < 2000; ++i) {
    ASSERT_TRUE(ids.Append(1 + static_cast<int64_t>(rng() % (keys + 10))).ok());
    ASSERT_TRUE(ts.Append(kBase + static_cast<int64_t>(rng() % (22 * 24)) * 3600'000'000LL).ok());
    ASSERT_TRUE(places.Append(i).ok());
  }
  auto spine = arrow::Table::Make(
      arrow::schema({arrow::field("customer_id", arrow::int64()),
                     arrow::field("event_timestamp", ts.type()),
                     arrow::field("place", arrow::int64())}),
      {*ids.Finish(), *ts.Finish(), *places.Finish()});
  const auto refs = AllFeatures();
  HistoricalOptions options;
  options.lineage_job.clear();
  auto whole = GetHistoricalFeatures(*repo_, spine, refs, options);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();

  // Every stored row of the source, in no particular order.
  auto sources = HistoricalSources(*repo_, refs);
  ASSERT_TRUE(sources.ok()) << sources.status().ToString();
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0].join_keys, std::vector<std::vector<std::string>>{{"customer_id"}});
  std::vector<std::string> columns = {"customer_id", "amount", "status", "event_ts",
                                      "created_ts", offline::kSeqColumn};
  std::vector<std::shared_ptr<arrow::DataType>> types(columns.size(), arrow::int64());
  std::vector<std::shared_ptr<arrow::Table>> parts;
  for (auto it = (*sources)[0].paths.rbegin(); it != (*sources)[0].paths.rend(); ++it) {
    auto part = offline::ReadPartColumns(*it, columns, types);
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    parts.push_back(part->get()->ReplaceSchemaMetadata(nullptr));
  }
  auto rows = arrow::ConcatenateTables(parts);
  ASSERT_TRUE(rows.ok());

  std::vector<std::shared_ptr<arrow::Table>> halves;
  for (bool odd : {false, true}) {
    auto half = GetHistoricalFeaturesFromRows(*repo_, KeyHalf(spine, odd), refs, options,
                                              {{"orders", KeyHalf(*rows, odd)}});
    ASSERT_TRUE(half.ok()) << half.status().ToString();
    halves.push_back(*half);
  }
  auto joined = arrow::ConcatenateTables(halves);
  ASSERT_TRUE(joined.ok());
  auto order = arrow::compute::SortIndices(*(*joined)->GetColumnByName("place"));
  ASSERT_TRUE(order.ok());
  auto in_order = arrow::compute::Take(*joined, *order);
  ASSERT_TRUE(in_order.ok());
  auto got = in_order->table()->CombineChunks();
  auto want = whole->get()->CombineChunks();
  ASSERT_TRUE(got.ok() && want.ok());
  ASSERT_TRUE((*got)->Equals(**want)) << "from rows:\n"
                                      << (*got)->Slice(0, 3)->ToString() << "\nstore:\n"
                                      << (*want)->Slice(0, 3)->ToString();

  // A source not applied.
  auto unknown = GetHistoricalFeaturesFromRows(*repo_, spine, refs, options, {{"nope", *rows}});
  EXPECT_TRUE(unknown.status().IsKeyError()) << unknown.status().ToString();
}

TEST_F(ConsistencyTest, MemoryLimitsGiveTheUnlimitedResult) {
  std::mt19937_64 rng(14);
  const int keys = 80;
  IngestThreeFiles(rng, 1000, keys, 20);
  // Late, out-of-order rows: earlier times, ingested last.
  WriteOrders(dir_ + "/late.csv", rng, 400, keys, 10);
  Ingest(dir_ + "/late.csv");
  arrow::Int64Builder ids;
  arrow::TimestampBuilder ts(core::ToArrowType(core::ValueType::kTimestamp),
                             arrow::default_memory_pool());
  std::ofstream csv(dir_ + "/spine.csv");
  csv << "customer_id,event_timestamp\n";
  for (int i = 0; i < 300; ++i) {
    const int64_t id = 1 + static_cast<int64_t>(rng() % (keys + 10));  // unknown keys too
    const int64_t at = kBase + static_cast<int64_t>(rng() % (22 * 24)) * 3600'000'000LL;
    ASSERT_TRUE(ids.Append(id).ok());
    ASSERT_TRUE(ts.Append(at).ok());
    csv << id << "," << core::FormatTimestamp(at) << "\n";
  }
  csv.close();
  auto spine = arrow::Table::Make(arrow::schema({arrow::field("customer_id", arrow::int64()),
                                                 arrow::field("event_timestamp", ts.type())}),
                                  {*ids.Finish(), *ts.Finish()});
  const auto refs = AllFeatures();
  HistoricalOptions options;
  options.lineage_job.clear();
  options.memory_limit = 0;
  auto whole = GetHistoricalFeatures(*repo_, spine, refs, options);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  // The entity file read, computed and handed over a chunk at a time: the table and the number
  // of chunks.
  auto from_file = [&]() -> std::pair<std::shared_ptr<arrow::Table>, size_t> {
    std::vector<std::shared_ptr<arrow::Table>> chunks;
    auto rows = GetHistoricalFeaturesFromFile(*repo_, dir_ + "/spine.csv", refs, options,
                                              [&](const std::shared_ptr<arrow::Table>& chunk) {
                                                chunks.push_back(chunk);
                                                return Status::OK();
                                              });
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows.ValueOr(0), spine->num_rows());
    auto joined = arrow::ConcatenateTables(chunks);
    EXPECT_TRUE(joined.ok());
    return {joined.ValueOr(nullptr), chunks.size()};
  };
  const auto [whole_file, one_chunk] = from_file();
  ASSERT_NE(whole_file, nullptr);
  EXPECT_EQ(one_chunk, 1u);
  // The file's timestamp column is declared non-null; the values are those of the table.
  ASSERT_TRUE(whole_file->column(1)->Equals(*(*whole)->column(1)));
  // 1 byte: an entity row per chunk; 40 KB: chunks of 40 rows; 4 MB: one chunk, the window
  // join's events under a limit; 2 GB: one chunk, one pass. (Passes over key ranges narrower
  // than a part's row group: the offline window join test.)
  for (int64_t limit : {int64_t{1}, int64_t{40} << 10, int64_t{4} << 20, int64_t{2} << 30}) {
    options.memory_limit = limit;
    auto limited = GetHistoricalFeatures(*repo_, spine, refs, options);
    ASSERT_TRUE(limited.ok()) << limited.status().ToString();
    ASSERT_TRUE((*limited)->Equals(**whole)) << "limit " << limit;
    const auto [table, chunks] = from_file();
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(chunks, static_cast<size_t>(limit == 1 ? 300 : limit == 40 << 10 ? 8 : 1));
    ASSERT_TRUE(table->Equals(*whole_file)) << "from the file, limit " << limit;
  }
}

TEST(ParseMemoryLimit, ReadsSizesAndRefusesOthers) {
  EXPECT_EQ(*ParseMemoryLimit("512MB"), int64_t{512} << 20);
  EXPECT_EQ(*ParseMemoryLimit("2GB"), int64_t{2} << 30);
  EXPECT_EQ(*ParseMemoryLimit("2gib"), int64_t{2} << 30);
  EXPECT_EQ(*ParseMemoryLimit("64k"), int64_t{64} << 10);
  EXPECT_EQ(*ParseMemoryLimit("1 TB"), int64_t{1} << 40);
  EXPECT_EQ(*ParseMemoryLimit("1000"), 1000);
  EXPECT_EQ(*ParseMemoryLimit("0"), 0);
  EXPECT_EQ(*ParseMemoryLimit("None"), 0);
  for (const char* bad : {"abc", "-1", "-5MB", "1.5GB", "", "GB", "12XB", "99999999999TB"}) {
    auto limit = ParseMemoryLimit(bad);
    ASSERT_FALSE(limit.ok()) << bad;
    EXPECT_NE(limit.status().message().find("512MB"), std::string::npos) << bad;
  }
  EXPECT_EQ(EntityChunkRows(0), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(EntityChunkRows(1), 1);
  EXPECT_EQ(EntityChunkRows(int64_t{1} << 20), (int64_t{1} << 19) / kEntityRowBytes);
}

}  // namespace
}  // namespace fst::retrieval
