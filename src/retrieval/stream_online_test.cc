// The online side of a stream writes the stored rows materialize writes: random events
// (duplicates, equal times and created times, nulls, late and out-of-order rows, several keys)
// ingested in several runs, each run's good rows merged into the online store as a stream
// merges a micro-batch's; then materialize over the same offline data must write the same
// bytes for every entity of every view (latest row under the tie rules, the events of the
// longest window, every aggregation function; expressions read from them). Rows of format 2
// (events untiled, written by earlier versions) read the same values and are merged into.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "featherstone/core/time.h"
#include "featherstone/ingest/ingest.h"
#include "featherstone/online/key_codec.h"
#include "featherstone/online/online_store.h"
#include "featherstone/retrieval/materialize.h"
#include "featherstone/retrieval/online_lookup.h"
#include "featherstone/retrieval/stream_online.h"
#include "test_repo.h"

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
      - {name: qty, type: int32}
      - {name: status, type: string}
      - {name: embedding, type: list<float32>, dim: 3}
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
      - {name: qty_sum_3d, agg: sum, column: qty, window: 3d}
      - {name: amount_avg_3d, agg: avg, column: amount, window: 3d}
      - {name: amount_min_2d, agg: min, column: amount, window: 2d}
      - {name: qty_max_2d, agg: max, column: qty, window: 2d}
      - {name: amount_std_7d, agg: stddev, column: amount, window: 7d}
      - {name: status_last_10d, agg: last, column: status, window: 10d}
      - {name: amount_first_10d, agg: first, column: amount, window: 10d}
      - {name: statuses_7d, agg: count_distinct, column: status, window: 7d}
      - {name: last_ts_10d, agg: last, column: event_ts, window: 10d}
      - {name: amount_cents, expr: "amount * 100"}
      - {name: paid, expr: "if(status == 'paid', amount_sum_7d, 0)"}
  - name: windows_only
    entities: [customer]
    source: orders
    features:
      - {name: n_1d, agg: count, window: 1d}
      - {name: qty_sum_4d, agg: sum, column: qty, window: 4d}
  - name: latest_only
    entities: [customer]
    source: orders
    features:
      - {name: qty}
      - {name: status}
  - name: embeddings
    entities: [customer]
    source: orders
    ttl: 3d
    features:
      - {name: embedding}
      - {name: embedding_last_2d, agg: last, column: embedding, window: 2d}
      - {name: embedding_first_5d, agg: first, column: embedding, window: 5d}
      - {name: embedding_avg_3d, agg: avg, column: embedding, window: 3d}
      - {name: embedding_norm, expr: "norm(embedding)"}
)yaml";

const char* kViews[] = {"customer_features", "windows_only", "latest_only", "embeddings"};

const int64_t kDay = core::kMicrosPerDay;
const int64_t kBase = 1'767'225'600'000'000;  // 2026-01-01

// Rows at random halves of `days` days from `first_day`: many share a key and an event time
// (and some a created time), some values are empty.
int64_t WriteOrders(const std::string& path, std::mt19937_64& rng, int rows, int keys,
                    int first_day, int days) {
  std::ofstream out(path);
  out << "customer_id,amount,qty,status,embedding,event_ts,created_ts\n";
  int64_t max_ts = 0;
  for (int r = 0; r < rows; ++r) {
    const int64_t ts = kBase + first_day * kDay +
                       static_cast<int64_t>(rng() % static_cast<uint64_t>(days * 2)) * 12 * 3600'000'000LL;
    max_ts = std::max(max_ts, ts);
    out << 1 + rng() % static_cast<uint64_t>(keys) << ",";
    if (rng() % 8 != 0) out << static_cast<double>(rng() % 10000) / 100.0;
    out << ",";
    if (rng() % 6 != 0) out << rng() % 7;
    out << "," << (rng() % 2 ? "paid" : "new") << ",";
    if (rng() % 5 != 0) {  // a vector of small values, some repeated; else a null vector
      out << "\"[" << rng() % 5 << ", " << static_cast<double>(rng() % 100) / 8.0 << ", -"
          << rng() % 3 << "]\"";
    }
    out << "," << core::FormatTimestamp(ts) << ",";
    if (rng() % 3 != 0) out << core::FormatTimestamp(ts + static_cast<int64_t>(rng() % 3) * 1000000);
    out << "\n";
  }
  return max_ts;
}

class StreamOnlineTest : public repo::RepoTest,
                         public ::testing::WithParamInterface<int> {
 protected:
  void SetUp() override { OpenRepo(kYaml, /*check_features=*/false); }

  // The stored row of every key 1..keys of every view (nullopt where none).
  std::vector<std::optional<std::string>> StoredRows(int keys) {
    std::vector<std::optional<std::string>> rows;
    auto store = repo_->Online();
    EXPECT_TRUE(store.ok());
    std::vector<std::string> encoded;
    for (int k = 1; k <= keys; ++k) {
      encoded.push_back(*online::EncodeKeyText({"customer_id"}, {core::ValueType::kInt64},
                                               {std::to_string(k)}));
    }
    for (const char* view : kViews) {
      auto got = (*store)->Read(view, encoded);
      EXPECT_TRUE(got.ok());
      rows.insert(rows.end(), got->begin(), got->end());
    }
    return rows;
  }

  // Ingests `runs` random runs from run `first`, each run's good rows applied through `online`
  // as a stream's micro-batch; returns the latest event time.
  int64_t StreamRuns(std::mt19937_64& rng, StreamOnline* online, StreamRecord* record, int first,
                     int runs, int keys) {
    int64_t end = 0;
    for (int run = first; run < first + runs; ++run) {
      // Later runs move forward in time but also hold late events from days before.
      const std::string path = dir_ + "/orders" + std::to_string(run) + ".csv";
      const int first_day = run < 2 ? 0 : static_cast<int>(rng() % static_cast<uint64_t>(2 * run));
      end = std::max(end, WriteOrders(path, rng, 20 + static_cast<int>(rng() % 200), keys,
                                      first_day, 1 + static_cast<int>(rng() % 12)));
      ingest::IngestOptions options;
      options.before_publish =
          [&](const std::vector<std::shared_ptr<arrow::RecordBatch>>& good) -> Status {
        record->next[0] = run + 1;
        FST_RETURN_NOT_OK(online->Apply(good, *record));
        FST_ASSIGN_OR_RAISE(auto stored, online->Record());
        *record = *stored;
        return Status::OK();
      };
      auto result = ingest::IngestFile(*repo_, "orders", path, options);
      EXPECT_TRUE(result.ok()) << result.status().ToString();
    }
    return end;
  }

  // Materializes up to `end` and expects the rows it writes for keys 1..keys to be the stored
  // ones byte for byte; returns how many there are.
  int ExpectMaterializedRows(int keys, int64_t end) {
    const auto streamed = StoredRows(keys);
    MaterializeOptions options;
    options.end = end;
    EXPECT_TRUE(Materialize(*repo_, options).ok());
    const auto materialized = StoredRows(keys);
    EXPECT_EQ(streamed.size(), materialized.size());
    int present = 0;
    for (size_t i = 0; i < streamed.size() && i < materialized.size(); ++i) {
      const std::string where =
          std::string(kViews[i / static_cast<size_t>(keys)]) + " key " +
          std::to_string(i % static_cast<size_t>(keys) + 1);
      EXPECT_EQ(streamed[i].has_value(), materialized[i].has_value()) << where;
      if (!streamed[i].has_value() || !materialized[i].has_value()) continue;
      ++present;
      EXPECT_EQ(*streamed[i], *materialized[i]) << where;
    }
    return present;
  }

  // Every feature of every view for keys 1..keys at `at`.
  OnlineRows AllFeatures(int keys, int64_t at) {
    auto applied = repo_->Applied();
    EXPECT_TRUE(applied.ok());
    std::vector<definitions::FeatureRef> refs;
    for (const char* view : kViews) {
      for (const auto& feature : (*applied)->FindView(view)->features) {
        refs.push_back({view, feature.name});
      }
    }
    std::vector<EntityKeyText> entities;
    for (int k = 1; k <= keys; ++k) entities.push_back({{"customer_id", std::to_string(k)}});
    auto rows = GetOnlineFeatures(*repo_, refs, entities, at, /*full_feature_names=*/true);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return *rows;
  }

  // Rewrites every stored row of keys 1..keys with tiled events as format 2 (a varint count
  // of the events, then the events), as versions before tiles wrote them.
  void RewriteAsFormat2(int keys) {
    auto applied = repo_->Applied();
    auto store = repo_->Online();
    ASSERT_TRUE(applied.ok() && store.ok());
    std::vector<std::string> encoded;
    for (int k = 1; k <= keys; ++k) {
      encoded.push_back(*online::EncodeKeyText({"customer_id"}, {core::ValueType::kInt64},
                                               {std::to_string(k)}));
    }
    size_t converted = 0;
    for (const char* view : kViews) {
      auto plan = features::PlanView(**applied, view, {});
      ASSERT_TRUE(plan.ok());
      auto rows = (*store)->Read(view, encoded);
      ASSERT_TRUE(rows.ok());
      std::vector<std::string> keys_out, values;
      for (size_t k = 0; k < encoded.size(); ++k) {
        if (!(*rows)[k].has_value() || !online::EventsTiled(*(*rows)[k])) continue;
        std::string_view in = *(*rows)[k];
        online::RowStamp stamp;
        std::string_view latest;
        ASSERT_TRUE(online::SplitRow(&in, plan->latest_types, &stamp, &latest).ok());
        online::TiledEvents tiles;
        ASSERT_TRUE(tiles.Parse(&in, plan->agg_types).ok());
        std::string value(latest);
        value[0] = 2;
        for (uint64_t n = tiles.count(); ; n >>= 7) {  // varint
          value.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
          if (n < 0x80) break;
        }
        value.append(tiles.events());
        keys_out.push_back(encoded[k]);
        values.push_back(std::move(value));
      }
      converted += values.size();
      ASSERT_TRUE((*store)->Write(view, keys_out, values).ok());
    }
    EXPECT_GT(converted, static_cast<size_t>(keys));
  }
};

// Values equal; doubles (sums and averages summed in another order) within 1e-9 relative.
void ExpectSameRows(const OnlineRows& got, const OnlineRows& want, const std::string& where) {
  ASSERT_EQ(got.columns, want.columns);
  ASSERT_EQ(got.rows.size(), want.rows.size());
  for (size_t r = 0; r < got.rows.size(); ++r) {
    for (size_t c = 0; c < got.columns.size(); ++c) {
      const OnlineValue& x = got.rows[r][c];
      const OnlineValue& y = want.rows[r][c];
      const double* dx = std::get_if<double>(&x);
      const double* dy = std::get_if<double>(&y);
      if (dx != nullptr && dy != nullptr) {
        EXPECT_NEAR(*dx, *dy, 1e-9 * std::max({1.0, std::fabs(*dx), std::fabs(*dy)}))
            << where << " row " << r << " " << got.columns[c];
      } else {
        EXPECT_TRUE(x == y) << where << " row " << r << " " << got.columns[c];
      }
    }
  }
}

TEST_P(StreamOnlineTest, MergedRowsEqualMaterializedRows) {
  std::mt19937_64 rng(static_cast<uint64_t>(GetParam()));
  const int keys = 10;
  auto online = StreamOnline::Make(*repo_, "orders");
  ASSERT_TRUE(online.ok()) << online.status().ToString();
  StreamRecord record{"orders", {}, std::numeric_limits<int64_t>::min()};
  const int64_t end = StreamRuns(rng, online->get(), &record, 0, 8, keys);
  EXPECT_EQ(record.max_ts, end);
  EXPECT_EQ(record.next[0], 8);
  EXPECT_GT(ExpectMaterializedRows(keys, end), keys);
}

TEST_P(StreamOnlineTest, RowsOfFormat2ReadAndMergeAsTiledRows) {
  std::mt19937_64 rng(static_cast<uint64_t>(GetParam()));
  const int keys = 10;
  auto online = StreamOnline::Make(*repo_, "orders");
  ASSERT_TRUE(online.ok()) << online.status().ToString();
  StreamRecord record{"orders", {}, std::numeric_limits<int64_t>::min()};
  int64_t end = StreamRuns(rng, online->get(), &record, 0, 5, keys);
  const std::vector<int64_t> times = {end, end - kDay, end - 3 * kDay + 1, end + 2 * kDay};
  std::vector<OnlineRows> tiled;
  for (int64_t at : times) tiled.push_back(AllFeatures(keys, at));
  RewriteAsFormat2(keys);
  for (size_t i = 0; i < times.size(); ++i) {
    ExpectSameRows(AllFeatures(keys, times[i]), tiled[i], "at " + std::to_string(times[i]));
  }
  // The stream merges into the format 2 rows what materialize writes.
  end = std::max(end, StreamRuns(rng, online->get(), &record, 5, 3, keys));
  ExpectMaterializedRows(keys, end);
}

INSTANTIATE_TEST_SUITE_P(Seeds, StreamOnlineTest, ::testing::Values(1, 2, 3, 4, 5));

}  // namespace
}  // namespace fst::retrieval
