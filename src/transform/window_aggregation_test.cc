// Every aggregation x several windows: the sliding implementation against the brute-force
// reference on random grouped events with ties, nulls and queries exactly on window edges.
#include "featherstone/transform/window_aggregation.h"

#include <bit>
#include <cmath>
#include <random>

#include <arrow/api.h>
#include <gtest/gtest.h>

namespace fst::transform {
namespace {

struct Data {
  std::vector<int64_t> ts;
  std::vector<std::shared_ptr<arrow::Array>> columns;  // float64, int64, string, timestamp
  std::vector<QueryGroup> groups;
  std::vector<int64_t> query_ts;
};

Data RandomData(std::mt19937_64& rng) {
  auto pick = [&](int n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); };
  Data d;
  arrow::DoubleBuilder f;
  arrow::Int64Builder i;
  arrow::StringBuilder s;
  arrow::TimestampBuilder t(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), arrow::default_memory_pool());
  const int ngroups = static_cast<int>(pick(6));
  for (int g = 0; g < ngroups; ++g) {
    QueryGroup group;
    group.event_begin = static_cast<int64_t>(d.ts.size());
    const int64_t n = pick(5) == 0 ? 0 : pick(40);
    std::vector<int64_t> times;
    for (int64_t e = 0; e < n; ++e) times.push_back(pick(30));  // many ties
    std::sort(times.begin(), times.end());
    for (int64_t ts : times) {
      d.ts.push_back(ts);
      const bool null = pick(5) == 0;
      EXPECT_TRUE((null ? f.AppendNull() : f.Append(static_cast<double>(pick(2000)) / 7.0 - 100.0)).ok());
      EXPECT_TRUE((pick(5) == 0 ? i.AppendNull() : i.Append(pick(1000) - 500)).ok());
      EXPECT_TRUE((pick(5) == 0 ? s.AppendNull() : s.Append("v" + std::to_string(pick(6)))).ok());
      EXPECT_TRUE((pick(5) == 0 ? t.AppendNull() : t.Append(pick(100000))).ok());
    }
    group.event_end = static_cast<int64_t>(d.ts.size());
    group.query_begin = static_cast<int64_t>(d.query_ts.size());
    std::vector<int64_t> queries;
    const int64_t nq = pick(15);
    for (int64_t q = 0; q < nq; ++q) {
      // Exactly on an event time, exactly one window after one, or anywhere.
      const int64_t kind = pick(3);
      if (kind == 0 && !times.empty()) {
        queries.push_back(times[static_cast<size_t>(pick(static_cast<int>(times.size())))]);
      } else if (kind == 1 && !times.empty()) {
        queries.push_back(times[static_cast<size_t>(pick(static_cast<int>(times.size())))] + 5);
      } else {
        queries.push_back(pick(45) - 5);
      }
    }
    std::sort(queries.begin(), queries.end());
    for (int64_t q : queries) d.query_ts.push_back(q);
    group.query_end = static_cast<int64_t>(d.query_ts.size());
    d.groups.push_back(group);
  }
  // Queries outside every group (keys without events).
  for (int k = 0; k < 3; ++k) d.query_ts.push_back(pick(30));
  d.columns = {*f.Finish(), *i.Finish(), *s.Finish(), *t.Finish()};
  return d;
}

void ExpectSame(const arrow::Array& got, const arrow::Array& want, const std::string& what) {
  ASSERT_EQ(got.length(), want.length()) << what;
  ASSERT_TRUE(got.type()->Equals(want.type())) << what;
  for (int64_t q = 0; q < got.length(); ++q) {
    ASSERT_EQ(got.IsNull(q), want.IsNull(q)) << what << " query " << q;
    if (got.IsNull(q)) continue;
    if (got.type_id() == arrow::Type::DOUBLE) {
      const double a = static_cast<const arrow::DoubleArray&>(got).Value(q);
      const double b = static_cast<const arrow::DoubleArray&>(want).Value(q);
      ASSERT_NEAR(a, b, 1e-9 * std::max(1.0, std::fabs(b))) << what << " query " << q;
    } else {
      ASSERT_TRUE(*got.GetScalar(q) == *want.GetScalar(q) ||
                  (*got.GetScalar(q))->Equals(**want.GetScalar(q)))
          << what << " query " << q;
    }
  }
}

TEST(AggregateWindows, MatchesReferenceForEveryFunctionAndWindow) {
  std::mt19937_64 rng(4242);
  const AggFunction all[] = {AggFunction::kCount, AggFunction::kSum,   AggFunction::kAvg,
                             AggFunction::kMin,   AggFunction::kMax,   AggFunction::kStddev,
                             AggFunction::kLast,  AggFunction::kFirst, AggFunction::kCountDistinct};
  for (int c = 0; c < 400; ++c) {
    Data d = RandomData(rng);
    Events events{d.ts.data(), static_cast<int64_t>(d.ts.size()), d.columns};
    std::vector<AggRequest> requests;
    for (AggFunction fn : all) {
      for (int64_t window : {1, 5, 12, 1000}) {
        for (int column = -1; column < 4; ++column) {
          if (column == -1 && fn != AggFunction::kCount) continue;
          const bool numeric_only = fn == AggFunction::kSum || fn == AggFunction::kAvg ||
                                    fn == AggFunction::kStddev;
          if (numeric_only && column >= 2) continue;
          if ((fn == AggFunction::kMin || fn == AggFunction::kMax) && column == 2) continue;
          requests.push_back({fn, window, column});
        }
      }
    }
    const int64_t nq = static_cast<int64_t>(d.query_ts.size());
    const int threads = 1 + c % 2;  // the requests split over two threads in odd cases
    auto fast = AggregateWindows(events, d.groups, d.query_ts.data(), nq, requests, threads);
    auto slow = AggregateWindowsReference(events, d.groups, d.query_ts.data(), nq, requests);
    ASSERT_TRUE(fast.ok()) << fast.status().ToString();
    ASSERT_TRUE(slow.ok()) << slow.status().ToString();
    ASSERT_EQ(fast->size(), requests.size());
    for (size_t r = 0; r < requests.size(); ++r) {
      ExpectSame(*(*fast)[r], *(*slow)[r],
                 "case " + std::to_string(c) + " fn " + std::to_string(static_cast<int>(requests[r].fn)) +
                     " window " + std::to_string(requests[r].window_us) + " column " +
                     std::to_string(requests[r].column));
    }
  }
}

// What a value denotes: "null", the value as text, a float64 by its bits.
std::string Denoted(const arrow::Array& array, int64_t i) {
  if (array.IsNull(i)) return "null";
  if (array.type_id() == arrow::Type::DOUBLE) {
    return std::to_string(std::bit_cast<int64_t>(static_cast<const arrow::DoubleArray&>(array).Value(i)));
  }
  return (*array.GetScalar(i))->ToString();
}
std::string Denoted(const AggValue& v, const arrow::Array& column) {
  switch (v.kind) {
    case AggValue::Kind::kNull: return "null";
    case AggValue::Kind::kInt: return std::to_string(v.int_value);
    case AggValue::Kind::kFloat: return std::to_string(std::bit_cast<int64_t>(v.float_value));
    case AggValue::Kind::kEvent: return Denoted(column, v.int_value);
  }
  return "";
}

// One key's events and one query: AggregateOne gives exactly (bit for bit) what AggregateWindows
// gives for a group with that single query, as online reads compute it.
TEST(AggregateOne, EqualsAggregateWindowsOfOneQuery) {
  std::mt19937_64 rng(77);
  const AggFunction all[] = {AggFunction::kCount, AggFunction::kSum,   AggFunction::kAvg,
                             AggFunction::kMin,   AggFunction::kMax,   AggFunction::kStddev,
                             AggFunction::kLast,  AggFunction::kFirst, AggFunction::kCountDistinct};
  int compared = 0;
  for (int c = 0; c < 200; ++c) {
    Data d = RandomData(rng);
    for (const auto& g : d.groups) {
      std::vector<std::shared_ptr<arrow::Array>> columns;
      for (const auto& column : d.columns) {
        columns.push_back(column->Slice(g.event_begin, g.event_end - g.event_begin));
      }
      Events events{d.ts.data() + g.event_begin, g.event_end - g.event_begin, columns};
      std::vector<AggRequest> requests;
      for (AggFunction fn : all) {
        for (int column = -1; column < 4; ++column) {
          if (column == -1 && fn != AggFunction::kCount) continue;
          const bool numeric_only = fn == AggFunction::kSum || fn == AggFunction::kAvg ||
                                    fn == AggFunction::kStddev;
          if ((numeric_only && column >= 2) ||
              ((fn == AggFunction::kMin || fn == AggFunction::kMax) && column == 2)) {
            continue;
          }
          requests.push_back({fn, 1 + static_cast<int64_t>(rng() % 20), column});
        }
      }
      for (int64_t q = g.query_begin; q < g.query_end; ++q) {
        const int64_t t = d.query_ts[static_cast<size_t>(q)];
        auto one = AggregateOne(events, t, requests);
        auto windows = AggregateWindows(events, {{0, events.length, 0, 1}}, &t, 1, requests);
        ASSERT_TRUE(one.ok()) << one.status().ToString();
        ASSERT_TRUE(windows.ok()) << windows.status().ToString();
        for (size_t r = 0; r < requests.size(); ++r) {
          const auto& column = requests[r].column < 0
                                   ? *columns[0]
                                   : *columns[static_cast<size_t>(requests[r].column)];
          ASSERT_EQ(Denoted((*one)[r], column), Denoted(*(*windows)[r], 0))
              << "case " << c << " request " << r << " at " << t;
          ++compared;
        }
      }
    }
  }
  EXPECT_GT(compared, 10000);
}

TEST(AggregateWindows, EmptyWindowValuesAndEdges) {
  std::vector<int64_t> ts = {10, 20};
  arrow::DoubleBuilder b;
  ASSERT_TRUE(b.AppendValues({1.0, 3.0}).ok());
  Events events{ts.data(), 2, {*b.Finish()}};
  std::vector<int64_t> queries = {9, 10, 20, 29, 30};
  std::vector<QueryGroup> groups = {{0, 2, 0, 5}};
  auto out = AggregateWindows(events, groups, queries.data(), 5,
                              {{AggFunction::kCount, 10, 0}, {AggFunction::kAvg, 10, 0}});
  ASSERT_TRUE(out.ok());
  const auto& count = static_cast<const arrow::Int64Array&>(*(*out)[0]);
  const auto& avg = static_cast<const arrow::DoubleArray&>(*(*out)[1]);
  // (t - 10, t]: at 20 the event at 10 has left; at 30 the event at 20 has left.
  EXPECT_EQ(count.Value(0), 0);
  EXPECT_TRUE(avg.IsNull(0));
  EXPECT_EQ(count.Value(1), 1);
  EXPECT_EQ(count.Value(2), 1);
  EXPECT_DOUBLE_EQ(avg.Value(2), 3.0);
  EXPECT_EQ(count.Value(3), 1);
  EXPECT_EQ(count.Value(4), 0);
  EXPECT_FALSE(ParseAggFunction("median").ok());
  EXPECT_FALSE(AggResultType(AggFunction::kSum, core::ValueType::kString, true).ok());
  EXPECT_EQ(*AggResultType(AggFunction::kSum, core::ValueType::kInt32, true), core::ValueType::kInt64);
}

}  // namespace
}  // namespace fst::transform
