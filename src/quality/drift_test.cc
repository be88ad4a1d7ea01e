#include "featherstone/quality/drift.h"

#include <gtest/gtest.h>

namespace fst::quality {
namespace {

nlohmann::json Metrics(int64_t rows, double null_rate, double mean, double stddev) {
  return {{"row_count", rows},
          {"columns",
           {{"amount", {{"null_rate", null_rate}, {"mean", mean}, {"stddev", stddev}}},
            {"status", {{"null_rate", 0.0}}}}}};
}

TEST(Drift, QuietWhenRunsLookAlike) {
  EXPECT_TRUE(CompareRuns(Metrics(1000, 0.01, 50, 10), Metrics(900, 0.03, 70, 12)).empty());
}

TEST(Drift, NullJumpMeanShiftAndRowCollapse) {
  const auto warnings = CompareRuns(Metrics(1000, 0.01, 50, 10), Metrics(99, 0.20, 81, 10));
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_EQ(warnings[0].kind, "row_count_collapse");
  EXPECT_EQ(warnings[0].message, "row count 1000 -> 99 (below 10% of the previous run)");
  EXPECT_EQ(warnings[1].kind, "null_rate_jump");
  EXPECT_EQ(warnings[1].message, "amount: null rate 1% -> 20%");
  EXPECT_EQ(warnings[2].kind, "mean_shift");
  EXPECT_EQ(warnings[2].message, "amount: mean 50 -> 81 (shift of 3.1 previous standard deviations)");
}

TEST(Drift, ExactlyAtTheLimitsIsNotDrift) {
  EXPECT_TRUE(CompareRuns(Metrics(1000, 0.01, 50, 10), Metrics(100, 0.06, 80, 10)).empty());
}

}  // namespace
}  // namespace fst::quality
