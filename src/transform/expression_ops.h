// The per-value rules of the operations whose semantics are ours rather than an Arrow kernel's,
// shared by the vectorized evaluator (expression_eval.cc) and the row evaluator
// (expression_row.cc). Each returns false where the result is null: integer overflow, division
// by zero, a value outside the function's domain.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "featherstone/core/time.h"

namespace fst::transform::internal {

inline bool NegInt(int64_t v, int64_t* out) { return !__builtin_sub_overflow(int64_t{0}, v, out); }
inline bool AddInt(int64_t x, int64_t y, int64_t* out) { return !__builtin_add_overflow(x, y, out); }
inline bool SubInt(int64_t x, int64_t y, int64_t* out) { return !__builtin_sub_overflow(x, y, out); }
inline bool MulInt(int64_t x, int64_t y, int64_t* out) { return !__builtin_mul_overflow(x, y, out); }
inline bool ModInt(int64_t x, int64_t y, int64_t* out) {
  *out = y == -1 ? 0 : y == 0 ? 0 : x % y;  // -1: INT64_MIN % -1 overflows in C++
  return y != 0;
}
inline bool AbsInt(int64_t v, int64_t* out) {
  *out = v;
  return v >= 0 || !__builtin_sub_overflow(int64_t{0}, v, out);
}

inline bool DivFloat(double x, double y, double* out) {
  *out = x / y;
  return y != 0;
}
inline bool ModFloat(double x, double y, double* out) {
  *out = std::fmod(x, y);
  return y != 0;
}
inline bool LogFloat(double x, double* out) {
  *out = std::log(x);
  return !(x <= 0);
}
inline bool SqrtFloat(double x, double* out) {
  *out = std::sqrt(x);
  return !(x < 0);
}
inline bool PowFloat(double x, double y, double* out) {
  *out = std::pow(x, y);
  return !((x < 0 && y != std::trunc(y)) || (x == 0 && y < 0));
}

// days_since: lookup time `t` (µs) minus a timestamp (µs) or a date (days), in days.
inline double DaysSinceTimestamp(int64_t t, int64_t ts) {
  constexpr double kDay = static_cast<double>(core::kMicrosPerDay);
  return (static_cast<double>(t) - static_cast<double>(ts)) / kDay;
}
inline double DaysSinceDate(int64_t t, int32_t days) {
  constexpr double kDay = static_cast<double>(core::kMicrosPerDay);
  return (static_cast<double>(t) - days * kDay) / kDay;
}

// Text functions (docs/expressions.md): strings are UTF-8.
// length: characters (code points), the bytes that do not continue a multi-byte sequence.
inline int64_t TextLength(std::string_view s) {
  int64_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}
// lower/upper: ASCII letters only; every other byte is kept, so the result does not depend
// on a locale and is the same everywhere.
inline void TextCase(std::string_view s, bool upper, std::string* out) {
  out->assign(s);
  for (char& c : *out) {
    if (upper ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z')) c ^= 0x20;
  }
}
// token_count: runs of bytes other than ASCII whitespace (space, \t, \n, \v, \f, \r).
inline int64_t TokenCount(std::string_view s) {
  int64_t n = 0;
  bool in_token = false;
  for (const char c : s) {
    const bool space = c == ' ' || (c >= '\t' && c <= '\r');
    n += !space && !in_token;
    in_token = !space;
  }
  return n;
}
inline bool TextContains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}
// --- Vector functions (dot, cosine, norm) over float32 items, summed in double in item order.
// Null (false) when the vectors differ in length or hold a null item (`null_item`), and for
// cosine when either vector is all zeros (its direction is undefined).

struct VectorRef {
  const float* items = nullptr;
  int64_t size = 0;
  bool null_item = false;
};

inline bool DotVector(VectorRef a, VectorRef b, double* out) {
  if (a.size != b.size || a.null_item || b.null_item) return false;
  double sum = 0;
  for (int64_t k = 0; k < a.size; ++k) sum += double{a.items[k]} * double{b.items[k]};
  *out = sum;
  return true;
}
inline bool NormVector(VectorRef a, double* out) {
  if (!DotVector(a, a, out)) return false;
  *out = std::sqrt(*out);
  return true;
}
inline bool CosineVector(VectorRef a, VectorRef b, double* out) {
  double dot = 0, na = 0, nb = 0;
  if (!DotVector(a, b, &dot) || !NormVector(a, &na) || !NormVector(b, &nb)) return false;
  if (na == 0 || nb == 0) return false;
  *out = dot / (na * nb);
  return true;
}

}  // namespace fst::transform::internal
