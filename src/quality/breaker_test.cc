#include "featherstone/quality/breaker.h"

#include <gtest/gtest.h>

#include "featherstone/core/time.h"

namespace fst::quality {
namespace {

constexpr int64_t kSecond = core::kMicrosPerSecond;

TEST(Breaker, OpensAboveTheThresholdOnly) {
  definitions::BreakerConfig config{0.2, 60 * kSecond};
  BreakerRecord closed;
  EXPECT_FALSE(Trips(config, 0.2));
  EXPECT_TRUE(Trips(config, 0.2000001));
  auto after = AfterRun(closed, config, false, 0.2, false, "a.csv", 10 * kSecond);
  EXPECT_EQ(after.state, BreakerState::kClosed);
  after = AfterRun(closed, config, false, 0.5, false, "a.csv", 10 * kSecond);
  EXPECT_EQ(after.state, BreakerState::kOpen);
  EXPECT_EQ(after.opened_at, 10 * kSecond);
  EXPECT_EQ(after.reason, "bad share 0.5 > threshold 0.2 in a.csv");
  // A rejected run below the threshold does not open a closed breaker.
  EXPECT_EQ(AfterRun(closed, config, false, 0.1, true, "a.csv", 0).state, BreakerState::kClosed);
}

TEST(Breaker, RefusesWhileOpenThenLetsOneProbeThrough) {
  definitions::BreakerConfig config{0.2, 60 * kSecond};
  BreakerRecord open;
  open.state = BreakerState::kOpen;
  open.opened_at = 100 * kSecond;
  open.reason = "bad share 0.5 > threshold 0.2 in a.csv";
  auto refused = Admit(open, config, "orders", 159 * kSecond);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.message,
            "source 'orders': circuit breaker is OPEN since 1970-01-01T00:01:40Z (bad share 0.5 "
            "> threshold 0.2 in a.csv); nothing was ingested. A probe run will be allowed from "
            "1970-01-01T00:02:40Z; to resume now, fix the data and run `featherstone breaker "
            "reset orders`");
  EXPECT_EQ(EffectiveState(open, config, 159 * kSecond), BreakerState::kOpen);
  EXPECT_EQ(EffectiveState(open, config, 160 * kSecond), BreakerState::kHalfOpen);
  auto probe = Admit(open, config, "orders", 160 * kSecond);
  EXPECT_TRUE(probe.allowed);
  EXPECT_TRUE(probe.probe);

  auto passed = AfterRun(open, config, true, 0.1, false, "b.csv", 161 * kSecond);
  EXPECT_EQ(passed.state, BreakerState::kClosed);
  EXPECT_EQ(passed.reason, "probe passed: bad share 0.1 in b.csv");
  auto failed = AfterRun(open, config, true, 0.3, false, "b.csv", 161 * kSecond);
  EXPECT_EQ(failed.state, BreakerState::kOpen);
  EXPECT_EQ(failed.opened_at, 161 * kSecond);
  EXPECT_EQ(failed.reason, "probe failed: bad share 0.3 > threshold 0.2 in b.csv");
  auto rejected = AfterRun(open, config, true, 0.0, true, "b.csv", 161 * kSecond);
  EXPECT_EQ(rejected.state, BreakerState::kOpen);
  EXPECT_EQ(BreakerStateName(EffectiveState(BreakerRecord{}, config, 0)), "CLOSED");
}

}  // namespace
}  // namespace fst::quality
