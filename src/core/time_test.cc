#include "featherstone/core/time.h"

#include <cstdio>
#include <ctime>
#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace fst::core {

TEST(ParseTimestamp, IsoForms) {
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTimestamp("1970-01-01"), 0);
  EXPECT_EQ(*ParseTimestamp("1970-01-01 00:00:01"), kMicrosPerSecond);
  EXPECT_EQ(*ParseTimestamp("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(*ParseTimestamp("1969-12-31T19:00:00-0500"), 0);
  EXPECT_EQ(*ParseTimestamp("2026-01-02T03:04:05.5Z"), *ParseTimestamp("2026-01-02T03:04:05Z") + 500000);
  EXPECT_EQ(*ParseTimestamp("2000-02-29T00:00:00Z"), 951782400LL * kMicrosPerSecond);
}

TEST(ParseTimestamp, EpochByMagnitude) {
  EXPECT_EQ(*ParseTimestamp("1767323045"), 1767323045LL * kMicrosPerSecond);
  EXPECT_EQ(*ParseTimestamp("1767323045123"), 1767323045123LL * 1000);
  EXPECT_EQ(*ParseTimestamp("1767323045123456"), 1767323045123456LL);
}

TEST(ParseTimestamp, EpochExtremesAreMicroseconds) {
  EXPECT_EQ(*ParseTimestamp("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*ParseTimestamp("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*ParseTimestamp("-1767323045"), -1767323045LL * kMicrosPerSecond);
}

TEST(ParseTimestamp, RejectsGarbage) {
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-01-02T25:00:00Z",
                          "2026-01-02T03:04:05Zjunk", "2025-02-29", "12:00"}) {
    auto r = ParseTimestamp(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("ISO-8601"), std::string::npos);
    }
  }
}

TEST(FormatTimestamp, RoundTrips) {
  for (int64_t v : {0LL, 1767323045000000LL, 1767323045123456LL, -1LL, -86400000001LL}) {
    EXPECT_EQ(*ParseTimestamp(FormatTimestamp(v)), v) << FormatTimestamp(v);
  }
  EXPECT_EQ(FormatTimestamp(1767323045000000LL), "2026-01-02T03:04:05Z");
}

// The digit-writing formatter against the C library's calendar on random instants, from before
// 1970 to the year 9999, with and without a fraction.
TEST(FormatTimestamp, MatchesGmtimeOnRandomInstants) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> seconds(-62135596800LL, 253402300799LL);
  for (int i = 0; i < 20000; ++i) {
    const int64_t s = seconds(rng);
    const int64_t fraction = i % 3 == 0 ? 0 : static_cast<int64_t>(rng() % 1000000);
    const time_t t = static_cast<time_t>(s);
    std::tm tm{};
    ASSERT_NE(gmtime_r(&t, &tm), nullptr);
    char expected[64];
    int n = std::snprintf(expected, sizeof(expected), "%04d-%02d-%02dT%02d:%02d:%02d",
                          tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                          tm.tm_sec);
    if (fraction != 0) {
      n += std::snprintf(expected + n, sizeof(expected) - n, ".%06lld",
                         static_cast<long long>(fraction));
    }
    std::snprintf(expected + n, sizeof(expected) - n, "Z");
    ASSERT_EQ(FormatTimestamp(s * kMicrosPerSecond + fraction), expected) << s << " " << fraction;
  }
  // Year 0 is four digits; before it the sign is kept.
  EXPECT_EQ(FormatTimestamp(-62135596800000001LL), "0000-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp((-62135596800LL - 366 * 86400 - 1) * kMicrosPerSecond),
            "-001-12-31T23:59:59Z");
}

TEST(ParseDuration, UnitsAndErrors) {
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_EQ(*ParseDuration("90s"), 90 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDuration("30d"), 30 * kMicrosPerDay);
  EXPECT_EQ(*ParseDuration("2w"), 14 * kMicrosPerDay);
  EXPECT_FALSE(ParseDuration("30x").ok());
  EXPECT_FALSE(ParseDuration("-1d").ok());
  EXPECT_FALSE(ParseDuration("d").ok());
  EXPECT_EQ(FormatDuration(30 * kMicrosPerDay), "30d");
  EXPECT_EQ(FormatDuration(90 * kMicrosPerSecond), "90s");
}

}  // namespace fst::core
