#include "featherstone/core/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace fst::core {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool Done() const { return pos_ == text_.size(); }
  char Peek() const { return Done() ? '\0' : text_[pos_]; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // Reads exactly `n` digits.
  bool Digits(int n, int* out) {
    if (pos_ + n > text_.size()) return false;
    int v = 0;
    for (int i = 0; i < n; ++i) {
      char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    *out = v;
    return true;
  }
  // Reads 1..9 fraction digits as microseconds (truncating beyond 6).
  bool Fraction(int64_t* micros) {
    int64_t v = 0;
    int n = 0;
    while (!Done() && Peek() >= '0' && Peek() <= '9') {
      if (n < 6) v = v * 10 + (Peek() - '0');
      ++n;
      ++pos_;
    }
    if (n == 0 || n > 9) return false;
    for (int i = n; i < 6; ++i) v *= 10;
    *micros = v;
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

Status BadTimestamp(std::string_view text) {
  return Status::Invalid("cannot parse timestamp '", text,
                         "'; expected ISO-8601 such as 2026-01-02T03:04:05Z or "
                         "2026-01-02T03:04:05.123+01:00, or epoch seconds/ms/us");
}

bool IsInteger(std::string_view text) {
  size_t i = (text.size() > 1 && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

int64_t EpochToMicros(int64_t value) {
  // Unsigned, so that INT64_MIN has a magnitude too.
  const uint64_t magnitude =
      value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  if (magnitude < 100'000'000'000ULL) return value * kMicrosPerSecond;
  if (magnitude < 100'000'000'000'000ULL) return value * 1000;
  return value;
}

Result<int64_t> ParseTimestamp(std::string_view raw) {
  const std::string_view text = Trim(raw);
  if (IsInteger(text)) {
    int64_t value = 0;
    const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
    auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) return BadTimestamp(raw);
    return EpochToMicros(value);
  }
  Cursor c(text);
  int year, month, day;
  if (!c.Digits(4, &year) || !c.Eat('-') || !c.Digits(2, &month) || !c.Eat('-') ||
      !c.Digits(2, &day)) {
    return BadTimestamp(raw);
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return BadTimestamp(raw);
  static constexpr int kDaysInMonth[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDaysInMonth[month - 1] || (month == 2 && day == 29 && !leap)) {
    return BadTimestamp(raw);
  }
  int hour = 0, minute = 0, second = 0;
  int64_t fraction = 0;
  int64_t offset_seconds = 0;
  if (c.Eat('T') || c.Eat(' ') || c.Eat('t')) {
    if (!c.Digits(2, &hour) || !c.Eat(':') || !c.Digits(2, &minute)) return BadTimestamp(raw);
    if (c.Eat(':')) {
      if (!c.Digits(2, &second)) return BadTimestamp(raw);
      if (c.Eat('.') || c.Eat(',')) {
        if (!c.Fraction(&fraction)) return BadTimestamp(raw);
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return BadTimestamp(raw);
    if (c.Eat('Z') || c.Eat('z')) {
    } else if (c.Peek() == '+' || c.Peek() == '-') {
      const int sign = c.Peek() == '-' ? -1 : 1;
      c.Eat(c.Peek());
      int oh = 0, om = 0;
      if (!c.Digits(2, &oh)) return BadTimestamp(raw);
      c.Eat(':');
      if (!c.Done() && !c.Digits(2, &om)) return BadTimestamp(raw);
      if (oh > 23 || om > 59) return BadTimestamp(raw);
      offset_seconds = sign * (oh * 3600 + om * 60);
    }
  }
  if (!c.Done()) return BadTimestamp(raw);
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return seconds * kMicrosPerSecond + fraction;
}

std::string FormatTimestamp(int64_t micros) {
  int64_t seconds = micros / kMicrosPerSecond;
  int64_t fraction = micros % kMicrosPerSecond;
  if (fraction < 0) {
    fraction += kMicrosPerSecond;
    seconds -= 1;
  }
  int64_t days = seconds / 86400;
  int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  if (y < 0 || y > 9999) {  // rare: the general formatter, with the sign and every digit
    char buf[64];
    int n = std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                          static_cast<long long>(y), m, d, static_cast<long long>(rest / 3600),
                          static_cast<long long>(rest / 60 % 60),
                          static_cast<long long>(rest % 60));
    if (fraction != 0) {
      n += std::snprintf(buf + n, sizeof(buf) - n, ".%06lld", static_cast<long long>(fraction));
    }
    std::snprintf(buf + n, sizeof(buf) - n, "Z");
    return buf;
  }
  // Digits written in place: this runs for every value an online response carries.
  char buf[28] = "0000-00-00T00:00:00";
  auto put = [&buf](int at, int64_t value, int width) {
    for (int i = at + width - 1; i >= at; --i, value /= 10) buf[i] = static_cast<char>('0' + value % 10);
  };
  put(0, y, 4);
  put(5, m, 2);
  put(8, d, 2);
  put(11, rest / 3600, 2);
  put(14, rest / 60 % 60, 2);
  put(17, rest % 60, 2);
  int n = 19;
  if (fraction != 0) {
    buf[n] = '.';
    put(n + 1, fraction, 6);
    n += 7;
  }
  buf[n++] = 'Z';
  return std::string(buf, static_cast<size_t>(n));
}

Result<int64_t> ParseDuration(std::string_view raw) {
  const std::string_view text = Trim(raw);
  auto bad = [&] {
    return Status::Invalid("cannot parse duration '", raw,
                           "'; expected 0 or a whole number with a unit s, m, h, d or w "
                           "(e.g. 90s, 15m, 12h, 30d, 2w)");
  };
  if (text == "0") return 0;
  if (text.size() < 2) return bad();
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = kMicrosPerSecond; break;
    case 'm': unit = 60 * kMicrosPerSecond; break;
    case 'h': unit = 3600 * kMicrosPerSecond; break;
    case 'd': unit = kMicrosPerDay; break;
    case 'w': unit = 7 * kMicrosPerDay; break;
    default: return bad();
  }
  int64_t value = 0;
  const char* end = text.data() + text.size() - 1;
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < 0) return bad();
  if (value > INT64_MAX / unit) return bad();
  return value * unit;
}

std::string FormatDuration(int64_t micros) {
  if (micros == 0) return "0";
  struct Unit {
    int64_t size;
    char name;
  };
  static constexpr Unit kUnits[] = {{7 * kMicrosPerDay, 'w'},
                                    {kMicrosPerDay, 'd'},
                                    {3600 * kMicrosPerSecond, 'h'},
                                    {60 * kMicrosPerSecond, 'm'},
                                    {kMicrosPerSecond, 's'}};
  for (const auto& unit : kUnits) {
    if (micros % unit.size == 0) return std::to_string(micros / unit.size) + unit.name;
  }
  return std::to_string(micros / kMicrosPerSecond) + "s";
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace fst::core
