// On-demand features: online with request values equals historical with the same values in the
// entity rows, on random data at random times; both equal a direct computation from the stored
// features; request and plan errors name what is wrong.
#include "featherstone/features/on_demand.h"

#include <cmath>
#include <fstream>
#include <random>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "featherstone/core/time.h"
#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/features/check_features.h"
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
    schema:
      - {name: customer_id, type: int64}
      - {name: amount, type: float64}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 5d
    features:
      - {name: last_amount, column: amount}
      - {name: amount_avg_3d, agg: avg, column: amount, window: 3d}
      - {name: last_ts_10d, agg: last, column: event_ts, window: 10d}
on_demand_feature_views:
  - name: transaction_features
    request_schema:
      - {name: amount, type: float64}
      - {name: quantity, type: int64}
    sources: [customer_features]
    features:
      - {name: amount_vs_average, expr: "amount / customer_features.amount_avg_3d"}
      - {name: above_last, expr: "if(amount > customer_features.last_amount, 'above', 'not above')"}
      - {name: days_plus_quantity, expr: "days_since(customer_features.last_ts_10d) + quantity"}
)yaml";

const char* kOnDemand[] = {"amount_vs_average", "above_last", "days_plus_quantity"};
const char* kStored[] = {"last_amount", "amount_avg_3d"};

const int64_t kDay = core::kMicrosPerDay;
const int64_t kBase = 1'767'225'600'000'000;  // 2026-01-01

class OnDemandTest : public RepoTest {
 protected:
  void SetUp() override { OpenRepo(kYaml, /*check_features=*/true); }

  // Random orders for keys 1..keys over `days` days; some amounts empty, some zero.
  void IngestRandom(std::mt19937_64& rng, int rows, int keys, int days) {
    const std::string path = dir_ + "/orders.csv";
    {
      std::ofstream out(path);
      out << "customer_id,amount,event_ts\n";
      for (int r = 0; r < rows; ++r) {
        const int64_t ts = kBase + static_cast<int64_t>(rng() % static_cast<uint64_t>(days * 24)) *
                                       3600'000'000LL;
        out << 1 + rng() % static_cast<uint64_t>(keys) << ",";
        const uint64_t kind = rng() % 10;
        if (kind == 0) out << 0;
        if (kind > 1) out << static_cast<double>(rng() % 10000) / 100.0;
        out << "," << core::FormatTimestamp(ts) << "\n";
      }
    }
    auto result = ingest::IngestFile(*repo_, "orders", path, {});
    ASSERT_TRUE(result.ok()) << result.status().ToString();
  }

  Result<std::vector<definitions::FeatureRef>> Refs() {
    FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo_->Applied());
    std::string list;
    for (const char* f : kOnDemand) {
      list += std::string(list.empty() ? "" : ",") + "transaction_features:" + f;
    }
    for (const char* f : kStored) list += std::string(",customer_features:") + f;
    return ResolveFeatures(*applied, list, "");
  }

};

// The request value text of `row`: sometimes empty (null), sometimes zero.
std::string AmountText(std::mt19937_64& rng) {
  const uint64_t kind = rng() % 8;
  if (kind == 0) return "";
  if (kind == 1) return "0";
  return std::to_string(static_cast<double>(rng() % 20000) / 100.0);
}

TEST_F(OnDemandTest, OnlineEqualsHistoricalWithTheSameRequestValues) {
  std::mt19937_64 rng(31);
  const int keys = 150;
  IngestRandom(rng, 3000, keys, 20);
  MaterializeOptions materialize;
  materialize.end = kBase + 21 * kDay;  // after the last event
  ASSERT_TRUE(Materialize(*repo_, materialize).ok());
  auto refs = Refs();
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();

  int compared = 0;
  for (int round = 0; round < 4; ++round) {
    // Online reads at or after the materialization time see what historical sees then.
    const int64_t at = materialize.end + static_cast<int64_t>(rng() % (3 * 24)) * 3600'000'000LL;
    std::vector<EntityKeyText> entities;
    std::vector<EntityKeyText> requests;
    arrow::Int64Builder ids;
    arrow::TimestampBuilder ts(core::ToArrowType(core::ValueType::kTimestamp),
                               arrow::default_memory_pool());
    arrow::StringBuilder amounts;  // as an entity file gives them: text, converted by the schema
    arrow::Int64Builder quantities;
    for (int k = 1; k <= keys + 5; ++k) {  // keys past `keys` have no stored rows
      const std::string amount = AmountText(rng);
      const int64_t quantity = static_cast<int64_t>(rng() % 7) - 3;
      entities.push_back({{"customer_id", std::to_string(k)}});
      requests.push_back({{"quantity", std::to_string(quantity)}, {"amount", amount}});
      ASSERT_TRUE(ids.Append(k).ok());
      ASSERT_TRUE(ts.Append(at).ok());
      ASSERT_TRUE(amounts.Append(amount).ok());
      ASSERT_TRUE(quantities.Append(quantity).ok());
    }
    auto schema = arrow::schema({arrow::field("customer_id", arrow::int64()),
                                 arrow::field("event_timestamp", ts.type()),
                                 arrow::field("amount", arrow::utf8()),
                                 arrow::field("quantity", arrow::int64())});
    auto spine = arrow::Table::Make(
        schema, {*ids.Finish(), *ts.Finish(), *amounts.Finish(), *quantities.Finish()});
    auto table = GetHistoricalFeatures(*repo_, spine, *refs, {});
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    auto online = GetOnlineFeatures(*repo_, *refs, entities, at, false, requests);
    ASSERT_TRUE(online.ok()) << online.status().ToString();
    const auto online_json = ToJson(*online);

    auto column = [&](const char* name) {
      auto array = features::Flatten(*(*table)->GetColumnByName(name));
      EXPECT_TRUE(array.ok());
      return *array;
    };
    for (size_t k = 0; k < entities.size(); ++k) {
      const auto& object = online_json[k];
      // The features follow the join key in the order requested.
      std::vector<std::string> order;
      for (const auto& [key, value] : object.items()) order.push_back(key);
      ASSERT_EQ(order, (std::vector<std::string>{"customer_id", "amount_vs_average", "above_last",
                                                 "days_plus_quantity", "last_amount",
                                                 "amount_avg_3d"}));
      for (const char* f : kOnDemand) {
        const auto want = ToJson(*column(f), static_cast<int64_t>(k));
        const auto& got = object[f];
        const std::string where =
            std::string(f) + " key " + std::to_string(k + 1) + " at " + core::FormatTimestamp(at);
        ASSERT_EQ(got.is_null(), want.is_null()) << where << ": " << got << " vs " << want;
        if (want.is_number_float()) {
          // Online and offline windowed averages may differ in the last bits (summation order).
          ASSERT_NEAR(got.get<double>(), want.get<double>(),
                      1e-9 * std::max(1.0, std::fabs(want.get<double>())))
              << where;
        } else {
          ASSERT_EQ(got, want) << where;
        }
        compared += want.is_null() ? 0 : 1;
      }
      // Both equal the expression computed directly from the stored features.
      const auto avg = object["amount_avg_3d"];
      const std::string amount_text = requests[k][1].second;
      const auto ratio = object["amount_vs_average"];
      if (amount_text.empty() || avg.is_null() || avg.get<double>() == 0) {
        EXPECT_TRUE(ratio.is_null()) << "key " << k + 1 << ": " << ratio;
      } else {
        EXPECT_DOUBLE_EQ(ratio.get<double>(), std::stod(amount_text) / avg.get<double>())
            << "key " << k + 1;
      }
    }
  }
  EXPECT_GT(compared, 300);
}

TEST_F(OnDemandTest, RequestErrorsNameTheField) {
  auto refs = Refs();
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  const std::vector<EntityKeyText> entities = {{{"customer_id", "1"}}};
  auto error = [&](const std::vector<EntityKeyText>& requests) {
    auto result = GetOnlineFeatures(*repo_, *refs, entities, kBase, false, requests);
    return result.ok() ? std::string("OK") : result.status().message();
  };
  EXPECT_EQ(error({{{"amount", "1.5"}}}),
            "missing request field 'quantity' (int64) for entity 1, needed by feature "
            "'transaction_features:days_plus_quantity'; the requested on-demand features take: "
            "amount (float64), quantity (int64)");
  EXPECT_EQ(error({{{"amount", "1.5"}, {"quantity", "2"}, {"amont", "3"}}}),
            "unknown request field 'amont'; the requested on-demand features take: "
            "amount (float64), quantity (int64)");
  EXPECT_EQ(error({{{"amount", "abc"}, {"quantity", "2"}}}),
            "request: row 1, column 'amount': value 'abc' is not a valid float64");
  EXPECT_EQ(error({{{"amount", "1.5"}, {"quantity", "2"}}}), "OK");

  // Without on-demand features no request field is expected.
  auto applied = repo_->Applied();
  ASSERT_TRUE(applied.ok());
  auto stored = ResolveFeatures(**applied, "customer_features:last_amount", "");
  ASSERT_TRUE(stored.ok());
  auto result = GetOnlineFeatures(*repo_, *stored, entities, kBase, false, {{{"amount", "1"}}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "unknown request field 'amount'; none of the requested features is on-demand");

  // Historical: the request columns come from the entity rows.
  const auto ts_type = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  auto spine = arrow::Table::Make(
      arrow::schema({arrow::field("customer_id", arrow::int64()),
                     arrow::field("event_timestamp", ts_type),
                     arrow::field("amount", arrow::float64())}),
      {*arrow::MakeArrayFromScalar(arrow::Int64Scalar(1), 1),
       *arrow::MakeArrayFromScalar(arrow::TimestampScalar(kBase, ts_type), 1),
       *arrow::MakeArrayFromScalar(arrow::DoubleScalar(1.5), 1)});
  auto table = GetHistoricalFeatures(*repo_, spine, *refs, {});
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(),
            "the entity rows: missing request column 'quantity' (int64), needed by feature "
            "'transaction_features:days_plus_quantity'");
}

TEST(OnDemandPlan, ExpressionErrorsAtPlanTime) {
  auto plan_error = [](const std::string& expr) {
    std::string yaml = kYaml;
    const std::string from = "\"amount / customer_features.amount_avg_3d\"";
    yaml.replace(yaml.find(from), from.size(), "\"" + expr + "\"");
    auto repo = definitions::ParseYaml(yaml, "featherstone.yaml");
    EXPECT_TRUE(repo.ok()) << repo.status().ToString();
    const Status status = features::CheckFeatures(*repo);
    return status.ok() ? std::string("OK") : status.message();
  };
  EXPECT_EQ(plan_error("amount / customer_features.amount_avg_3d"), "OK");
  EXPECT_EQ(plan_error("amount / amount_avg_3d"),
            "featherstone.yaml:28:9: feature 'transaction_features:amount_vs_average': column 10: "
            "unknown name 'amount_avg_3d'; features of source views are qualified by the view: "
            "did you mean 'customer_features.amount_avg_3d'?");
  EXPECT_EQ(plan_error("amount / customer_features.amount_avg_3"),
            "featherstone.yaml:28:9: feature 'transaction_features:amount_vs_average': column 10: "
            "unknown name 'customer_features.amount_avg_3'; did you mean "
            "'customer_features.amount_avg_3d'?");
  EXPECT_EQ(plan_error("amout * 2"),
            "featherstone.yaml:28:9: feature 'transaction_features:amount_vs_average': column 1: "
            "unknown name 'amout'; did you mean 'amount'?");
  EXPECT_EQ(plan_error("amount * customer_features.last_ts_10d"),
            "featherstone.yaml:28:9: feature 'transaction_features:amount_vs_average': column 8: "
            "cannot multiply float64 by timestamp");
}

}  // namespace
}  // namespace fst::retrieval
