// Timestamps and durations. Timestamps are int64 microseconds since the Unix epoch, UTC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "featherstone/core/status.h"

namespace fst::core {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// Parses ISO-8601 ("2026-01-02", "2026-01-02T03:04:05", with optional fraction, and "Z" or
// "+hh:mm"/"-hhmm" offset; no offset means UTC; a space may replace "T") or an integer epoch
// whose unit follows from its magnitude (see EpochToMicros).
// Errors: Invalid with the text and the accepted forms.
Result<int64_t> ParseTimestamp(std::string_view text);

// Epoch seconds, milliseconds or microseconds to microseconds by magnitude:
// |v| < 1e11 -> seconds, < 1e14 -> milliseconds, else microseconds.
int64_t EpochToMicros(int64_t value);

// "2026-01-02T03:04:05Z", with ".ffffff" only when the fraction is not zero.
std::string FormatTimestamp(int64_t micros);

// Parses "0", "90s", "15m", "12h", "30d", "2w" (a non-negative integer and one unit).
// Errors: Invalid with the text and the accepted forms.
Result<int64_t> ParseDuration(std::string_view text);

// Shortest form ParseDuration reads back ("30d", "90s", "0").
std::string FormatDuration(int64_t micros);

// Wall-clock now.
int64_t NowMicros();

// The ttl rule of point-in-time lookups (DESIGN section 3), for training sets and online reads
// alike: a row with event time `event_ts` is eligible at time `t` under ttl `ttl_us` when
// event_ts >= t - ttl_us (ttl 0: no lower bound).
inline bool WithinTtl(int64_t event_ts, int64_t t, int64_t ttl_us) {
  return ttl_us <= 0 || event_ts >= t - ttl_us;
}

}  // namespace fst::core
