// Per-column profile of one run: count, nulls, min, max, mean, sample standard deviation and
// a distinct-count estimate. Accumulated batch by batch; mergeable. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <nlohmann/json.hpp>

#include "featherstone/core/types.h"

namespace fst::quality {

// HyperLogLog with 2^14 one-byte registers (16 KiB): relative standard error about 0.8%;
// linear counting below 2.5 * 2^14 makes small counts nearly exact. 64-bit hashes (XXH3).
class HyperLogLog {
 public:
  static constexpr int kPrecision = 14;
  static constexpr size_t kRegisters = size_t{1} << kPrecision;

  HyperLogLog() : registers_(kRegisters, 0) {}
  void AddHash(uint64_t hash) {
    const size_t index = hash >> (64 - kPrecision);
    const uint64_t rest = (hash << kPrecision) | (uint64_t{1} << (kPrecision - 1));
    const uint8_t rank = static_cast<uint8_t>(__builtin_clzll(rest) + 1);
    if (rank > registers_[index]) registers_[index] = rank;
  }
  void Merge(const HyperLogLog& other);
  double Estimate() const;

 private:
  std::vector<uint8_t> registers_;
};

class ColumnMetrics {
 public:
  explicit ColumnMetrics(const core::ColumnSpec& spec) : spec_(spec) {}

  // Adds the values of `array` (of core::ToArrowType(spec.type)).
  void Add(const arrow::Array& array);
  void Merge(const ColumnMetrics& other);

  const core::ColumnSpec& spec() const { return spec_; }
  int64_t count() const { return count_; }          // rows, nulls included
  int64_t null_count() const { return null_count_; }
  double null_rate() const { return count_ == 0 ? 0.0 : double(null_count_) / double(count_); }
  // Over non-null values of numeric, bool (0/1), timestamp (µs) and date (days) columns.
  bool has_moments() const { return moments_ && values_ > 0; }
  double min() const { return min_; }
  double max() const { return max_; }
  double mean() const { return mean_; }
  // Sample standard deviation (n - 1); 0 below two values. NaN values are left out of the
  // moments and counted in nan_count.
  double stddev() const;
  int64_t nan_count() const { return nan_count_; }
  double distinct_estimate() const { return hll_.Estimate(); }

  // {"type", "count", "null_count", "null_rate", "min", "max", "mean", "stddev",
  //  "distinct_estimate"}; timestamps' min/max as ISO-8601, their mean/stddev left out.
  nlohmann::json ToJson() const;

 private:
  // Merges a chunk's moments (count, mean, M2) into the running ones (Chan et al.).
  void MergeMoments(int64_t n, double mean, double m2, double min, double max);

  core::ColumnSpec spec_;
  bool moments_ = true;  // false once a non-numeric type is seen
  int64_t count_ = 0;
  int64_t null_count_ = 0;
  int64_t values_ = 0;
  int64_t nan_count_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  double mean_ = 0;
  double m2_ = 0;
  HyperLogLog hll_;
};

}  // namespace fst::quality
