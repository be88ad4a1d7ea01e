#include "featherstone/quality/column_metrics.h"

#include <cmath>
#include <random>
#include <set>

#include <arrow/builder.h>
#include <gtest/gtest.h>

#include "value_hash.h"

namespace fst::quality {
namespace {

std::shared_ptr<arrow::Array> Doubles(const std::vector<std::optional<double>>& values) {
  arrow::DoubleBuilder builder;
  for (const auto& v : values) {
    EXPECT_TRUE((v ? builder.Append(*v) : builder.AppendNull()).ok());
  }
  return builder.Finish().ValueOrDie();
}

TEST(ColumnMetrics, MomentsMatchANaiveComputationAcrossChunks) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(100.0, 15.0);
  core::ColumnSpec spec{"x", core::ValueType::kFloat64, true, ""};
  ColumnMetrics chunked(spec), other(spec);
  std::vector<double> all;
  int64_t nulls = 0;
  for (int chunk = 0; chunk < 7; ++chunk) {
    std::vector<std::optional<double>> values;
    const int n = static_cast<int>(rng() % 2000);
    for (int i = 0; i < n; ++i) {
      if (rng() % 10 == 0) {
        values.push_back(std::nullopt);
        ++nulls;
      } else {
        values.push_back(normal(rng));
        all.push_back(*values.back());
      }
    }
    (chunk % 2 ? chunked : other).Add(*Doubles(values));
  }
  chunked.Merge(other);
  double sum = 0, lo = INFINITY, hi = -INFINITY;
  for (double v : all) {
    sum += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const double mean = sum / static_cast<double>(all.size());
  double ss = 0;
  for (double v : all) ss += (v - mean) * (v - mean);
  EXPECT_EQ(chunked.count(), static_cast<int64_t>(all.size()) + nulls);
  EXPECT_EQ(chunked.null_count(), nulls);
  EXPECT_DOUBLE_EQ(chunked.min(), lo);
  EXPECT_DOUBLE_EQ(chunked.max(), hi);
  EXPECT_NEAR(chunked.mean(), mean, 1e-9);
  EXPECT_NEAR(chunked.stddev(), std::sqrt(ss / static_cast<double>(all.size() - 1)), 1e-9);
}

TEST(ColumnMetrics, NanIsCountedApartAndEmptyColumnsHaveNullMoments) {
  ColumnMetrics m({"x", core::ValueType::kFloat64, true, ""});
  m.Add(*Doubles({1.0, std::nan(""), 3.0, std::nullopt}));
  EXPECT_DOUBLE_EQ(m.mean(), 2.0);
  EXPECT_EQ(m.nan_count(), 1);
  EXPECT_EQ(m.ToJson()["nan_count"], 1);
  ColumnMetrics empty({"x", core::ValueType::kFloat64, true, ""});
  empty.Add(*Doubles({std::nullopt}));
  EXPECT_TRUE(empty.ToJson()["mean"].is_null());
  EXPECT_DOUBLE_EQ(empty.ToJson()["null_rate"].get<double>(), 1.0);
}

TEST(HyperLogLog, SmallCountsAreExactAndLargeOnesWithinThreePercent) {
  HyperLogLog small;
  for (int64_t i = 0; i < 1000; ++i) small.AddHash(internal::HashFixedValue(i % 37));
  EXPECT_EQ(std::llround(small.Estimate()), 37);
  for (int64_t n : {10'000, 300'000}) {
    HyperLogLog hll;
    for (int64_t i = 0; i < n; ++i) hll.AddHash(internal::HashFixedValue(i * 7919));
    EXPECT_NEAR(hll.Estimate(), static_cast<double>(n), 0.03 * static_cast<double>(n)) << n;
  }
}

TEST(ColumnMetrics, StringsTimestampsAndJson) {
  arrow::StringBuilder strings;
  ASSERT_TRUE(strings.AppendValues({"a", "b", "a"}).ok());
  ASSERT_TRUE(strings.AppendNull().ok());
  ColumnMetrics s({"s", core::ValueType::kString, true, ""});
  s.Add(*strings.Finish().ValueOrDie());
  auto json = s.ToJson();
  EXPECT_EQ(json["distinct_estimate"], 2);
  EXPECT_DOUBLE_EQ(json["null_rate"].get<double>(), 0.25);
  EXPECT_FALSE(json.contains("mean"));

  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                             arrow::default_memory_pool());
  ASSERT_TRUE(ts.AppendValues({0, 86'400'000'000}).ok());
  ColumnMetrics t({"t", core::ValueType::kTimestamp, true, ""});
  t.Add(*ts.Finish().ValueOrDie());
  EXPECT_EQ(t.ToJson()["min"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(t.ToJson()["max"], "1970-01-02T00:00:00Z");
  EXPECT_FALSE(t.ToJson().contains("mean"));
}

}  // namespace
}  // namespace fst::quality
