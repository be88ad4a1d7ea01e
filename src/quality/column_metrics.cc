#include "featherstone/quality/column_metrics.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include <arrow/util/bit_util.h>

#include <arrow/array.h>
#include <arrow/type.h>

#include "featherstone/core/time.h"
#include "value_hash.h"

namespace fst::quality {
namespace {

// Moments of one chunk of non-null, non-NaN values.
struct Chunk {
  int64_t n = 0;
  int64_t nans = 0;
  double mean = 0;
  double m2 = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
};

// One pass over the chunk: hashes every non-null value into the HyperLogLog and accumulates
// count, min, max and the sums of (x - K) and (x - K)^2 with K the chunk's first value, which
// keeps the variance free of catastrophic cancellation for data far from zero.
template <typename T>
Chunk Scan(const T* values, const arrow::Array& array, HyperLogLog* hll) {
  constexpr bool kFloating = std::is_floating_point_v<T>;
  Chunk chunk;
  const int64_t length = array.length();
  const uint8_t* validity = array.null_count() == 0 ? nullptr : array.null_bitmap_data();
  const int64_t offset = array.offset();
  double shift = 0, sum = 0, squares = 0;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  int64_t n = 0, nans = 0;
  int64_t i = 0;
  // The shift: the first valid, non-NaN value.
  for (; i < length; ++i) {
    if (validity != nullptr && !arrow::bit_util::GetBit(validity, offset + i)) continue;
    const double x = static_cast<double>(values[i]);
    if (kFloating && std::isnan(x)) continue;
    shift = x;
    break;
  }
  auto visit = [&](T raw) {
    hll->AddHash(internal::HashFixedValue(raw));
    const double x = static_cast<double>(raw);
    if constexpr (kFloating) {
      if (x != x) {
        ++nans;
        return;
      }
    }
    const double d = x - shift;
    sum += d;
    squares += d * d;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    ++n;
  };
  // Values before the shift were nulls or NaNs: count the NaNs (and hash them).
  for (int64_t k = 0; k < i; ++k) {
    if (validity != nullptr && !arrow::bit_util::GetBit(validity, offset + k)) continue;
    visit(values[k]);
  }
  if (validity == nullptr) {
    for (; i < length; ++i) visit(values[i]);
  } else {
    for (; i < length; ++i) {
      if (arrow::bit_util::GetBit(validity, offset + i)) visit(values[i]);
    }
  }
  chunk.n = n;
  chunk.nans = nans;
  if (n == 0) return chunk;
  const double mean_shifted = sum / static_cast<double>(n);
  chunk.mean = shift + mean_shifted;
  chunk.m2 = std::max(0.0, squares - sum * mean_shifted);
  chunk.min = lo;
  chunk.max = hi;
  return chunk;
}

}  // namespace

void HyperLogLog::Merge(const HyperLogLog& other) {
  for (size_t i = 0; i < kRegisters; ++i) {
    registers_[i] = std::max(registers_[i], other.registers_[i]);
  }
}

double HyperLogLog::Estimate() const {
  const double m = static_cast<double>(kRegisters);
  double sum = 0;
  int zeros = 0;
  for (uint8_t r : registers_) {
    sum += std::ldexp(1.0, -static_cast<int>(r));
    if (r == 0) ++zeros;
  }
  const double alpha = 0.7213 / (1.0 + 1.079 / m);
  const double raw = alpha * m * m / sum;
  if (raw <= 2.5 * m && zeros > 0) return m * std::log(m / static_cast<double>(zeros));
  return raw;
}

void ColumnMetrics::MergeMoments(int64_t n, double mean, double m2, double min, double max) {
  if (n == 0) return;
  const double na = static_cast<double>(values_), nb = static_cast<double>(n);
  const double total = na + nb;
  const double delta = mean - mean_;
  mean_ += delta * nb / total;
  m2_ += m2 + delta * delta * na * nb / total;
  values_ += n;
  min_ = std::min(min_, min);
  max_ = std::max(max_, max);
}

void ColumnMetrics::Add(const arrow::Array& array) {
  count_ += array.length();
  null_count_ += array.null_count();
  Chunk chunk;
  switch (array.type_id()) {
    case arrow::Type::INT32: {
      chunk = Scan(static_cast<const arrow::Int32Array&>(array).raw_values(), array, &hll_);
      break;
    }
    case arrow::Type::DATE32: {
      chunk = Scan(static_cast<const arrow::Date32Array&>(array).raw_values(), array, &hll_);
      break;
    }
    case arrow::Type::INT64: {
      chunk = Scan(static_cast<const arrow::Int64Array&>(array).raw_values(), array, &hll_);
      break;
    }
    case arrow::Type::TIMESTAMP: {
      chunk = Scan(static_cast<const arrow::TimestampArray&>(array).raw_values(), array, &hll_);
      break;
    }
    case arrow::Type::FLOAT: {
      chunk = Scan(static_cast<const arrow::FloatArray&>(array).raw_values(), array, &hll_);
      break;
    }
    case arrow::Type::DOUBLE: {
      chunk = Scan(static_cast<const arrow::DoubleArray&>(array).raw_values(), array, &hll_);
      break;
    }
    case arrow::Type::BOOL: {
      const auto& bools = static_cast<const arrow::BooleanArray&>(array);
      double sum = 0;
      for (int64_t i = 0; i < bools.length(); ++i) {
        if (bools.IsNull(i)) continue;
        const bool v = bools.Value(i);
        ++chunk.n;
        sum += v ? 1 : 0;
        chunk.min = std::min(chunk.min, v ? 1.0 : 0.0);
        chunk.max = std::max(chunk.max, v ? 1.0 : 0.0);
        hll_.AddHash(internal::HashFixedValue(static_cast<uint8_t>(v)));
      }
      if (chunk.n > 0) {
        chunk.mean = sum / static_cast<double>(chunk.n);
        chunk.m2 = sum * (1 - chunk.mean) * (1 - chunk.mean) +
                   (static_cast<double>(chunk.n) - sum) * chunk.mean * chunk.mean;
      }
      break;
    }
    case arrow::Type::STRING:
    case arrow::Type::BINARY: {
      moments_ = false;
      const auto& strings = static_cast<const arrow::BinaryArray&>(array);
      const bool all_valid = array.null_count() == 0;
      for (int64_t i = 0; i < strings.length(); ++i) {
        if (!all_valid && strings.IsNull(i)) continue;
        hll_.AddHash(internal::HashBytes(strings.GetView(i)));
      }
      return;
    }
    default:
      moments_ = false;
      return;
  }
  nan_count_ += chunk.nans;
  MergeMoments(chunk.n, chunk.mean, chunk.m2, chunk.min, chunk.max);
}

void ColumnMetrics::Merge(const ColumnMetrics& other) {
  count_ += other.count_;
  null_count_ += other.null_count_;
  nan_count_ += other.nan_count_;
  moments_ = moments_ && other.moments_;
  MergeMoments(other.values_, other.mean_, other.m2_, other.min_, other.max_);
  hll_.Merge(other.hll_);
}

double ColumnMetrics::stddev() const {
  if (values_ < 2) return 0.0;
  return std::sqrt(m2_ / static_cast<double>(values_ - 1));
}

nlohmann::json ColumnMetrics::ToJson() const {
  nlohmann::json out = {{"type", core::ValueTypeName(spec_.type)},
                        {"count", count_},
                        {"null_count", null_count_},
                        {"null_rate", null_rate()}};
  const bool is_list = spec_.type == core::ValueType::kListFloat32 ||
                       spec_.type == core::ValueType::kListString;
  if (!is_list) out["distinct_estimate"] = std::llround(distinct_estimate());
  if (!moments_) return out;
  if (values_ == 0) {
    out["min"] = nullptr;
    out["max"] = nullptr;
    out["mean"] = nullptr;
    out["stddev"] = nullptr;
    return out;
  }
  if (spec_.type == core::ValueType::kTimestamp) {
    out["min"] = core::FormatTimestamp(static_cast<int64_t>(min_));
    out["max"] = core::FormatTimestamp(static_cast<int64_t>(max_));
    return out;
  }
  if (spec_.type == core::ValueType::kDate) {
    out["min"] = core::FormatTimestamp(static_cast<int64_t>(min_) * core::kMicrosPerDay).substr(0, 10);
    out["max"] = core::FormatTimestamp(static_cast<int64_t>(max_) * core::kMicrosPerDay).substr(0, 10);
    return out;
  }
  out["min"] = min_;
  out["max"] = max_;
  out["mean"] = mean_;
  out["stddev"] = values_ < 2 ? nlohmann::json(nullptr) : nlohmann::json(stddev());
  if (nan_count_ > 0) out["nan_count"] = nan_count_;
  return out;
}

}  // namespace fst::quality
