#include "featherstone/transform/window_aggregation.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/datum.h>
#include <arrow/type.h>

#include "featherstone/core/arrow_init.h"

namespace fst::transform {
namespace {

constexpr std::pair<AggFunction, std::string_view> kNames[] = {
    {AggFunction::kCount, "count"}, {AggFunction::kSum, "sum"},
    {AggFunction::kAvg, "avg"},     {AggFunction::kMin, "min"},
    {AggFunction::kMax, "max"},     {AggFunction::kStddev, "stddev"},
    {AggFunction::kLast, "last"},   {AggFunction::kFirst, "first"},
    {AggFunction::kCountDistinct, "count_distinct"},
};

bool IsNumeric(core::ValueType t) {
  using core::ValueType;
  return t == ValueType::kInt32 || t == ValueType::kInt64 || t == ValueType::kFloat32 ||
         t == ValueType::kFloat64;
}

// Read access to one aggregated column.
class ColumnView {
 public:
  explicit ColumnView(const arrow::Array* array) : array_(array) {
    if (array == nullptr) return;
    const auto id = array->type_id();
    is_integer_ = arrow::is_integer(id) || id == arrow::Type::TIMESTAMP || id == arrow::Type::DATE32;
    is_float_ = arrow::is_floating(id);
    is_binary_ = id == arrow::Type::STRING || id == arrow::Type::BINARY;
    if (id == arrow::Type::LIST) {
      items_ = std::make_unique<ColumnView>(
          static_cast<const arrow::ListArray*>(array)->values().get());
    }
  }
  bool IsNull(int64_t i) const { return array_ != nullptr && array_->IsNull(i); }
  bool is_integer() const { return is_integer_; }
  bool is_float() const { return is_float_; }
  int64_t Int(int64_t i) const {
    switch (array_->type_id()) {
      case arrow::Type::INT32:
      case arrow::Type::DATE32:
        return array_->data()->GetValues<int32_t>(1)[i];
      case arrow::Type::INT8: return array_->data()->GetValues<int8_t>(1)[i];
      case arrow::Type::INT16: return array_->data()->GetValues<int16_t>(1)[i];
      default: return array_->data()->GetValues<int64_t>(1)[i];
    }
  }
  double Double(int64_t i) const {
    if (is_float_) {
      return array_->type_id() == arrow::Type::FLOAT ? array_->data()->GetValues<float>(1)[i]
                                                     : array_->data()->GetValues<double>(1)[i];
    }
    if (is_integer_) return static_cast<double>(Int(i));
    if (array_->type_id() == arrow::Type::BOOL) {
      return static_cast<const arrow::BooleanArray*>(array_)->Value(i) ? 1.0 : 0.0;
    }
    return 0.0;
  }
  // a < b by value: integers as integers (beyond 2^53 doubles would tie), floats as doubles.
  bool Less(int64_t a, int64_t b) const {
    return is_integer_ ? Int(a) < Int(b) : Double(a) < Double(b);
  }
  // Bytes identifying the value, for count_distinct: equal values (-0 and 0, any two NaNs,
  // lists of equal items) give equal bytes, different values different ones.
  std::string Key(int64_t i) const {
    if (is_binary_) return std::string(static_cast<const arrow::BinaryArray*>(array_)->GetView(i));
    if (items_ != nullptr) {
      const auto* list = static_cast<const arrow::ListArray*>(array_);
      std::string key;
      for (int64_t j = list->value_offset(i); j < list->value_offset(i + 1); ++j) {
        if (items_->IsNull(j)) {
          key += 'n';
          continue;
        }
        const std::string item = items_->Key(j);
        const auto size = static_cast<uint32_t>(item.size());
        key += 'v';
        key.append(reinterpret_cast<const char*>(&size), sizeof(size));
        key += item;
      }
      return key;
    }
    char buf[9];
    if (is_integer_) {
      const int64_t v = Int(i);
      buf[0] = 'i';
      std::memcpy(buf + 1, &v, 8);
    } else {
      double v = Double(i);
      if (v == 0.0) v = 0.0;  // -0 == 0
      if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
      buf[0] = 'f';
      std::memcpy(buf + 1, &v, 8);
    }
    return std::string(buf, 9);
  }

 private:
  const arrow::Array* array_;
  std::unique_ptr<ColumnView> items_;  // a list column's items
  bool is_integer_ = false;
  bool is_float_ = false;
  bool is_binary_ = false;
};

// Output collector for one request.
class Output {
 public:
  Output(AggFunction fn, bool integer_sum, int64_t n)
      : fn_(fn),
        int_output_(fn == AggFunction::kCount || fn == AggFunction::kCountDistinct ||
                    (fn == AggFunction::kSum && integer_sum)) {
    if (UsesIndex()) {
      index_.assign(static_cast<size_t>(n), -1);
    } else if (int_output_) {
      ints_.assign(static_cast<size_t>(n), 0);
      valid_.assign(static_cast<size_t>(n), fn != AggFunction::kSum);
    } else {
      doubles_.assign(static_cast<size_t>(n), 0.0);
      valid_.assign(static_cast<size_t>(n), false);
    }
  }
  bool UsesIndex() const {
    return fn_ == AggFunction::kMin || fn_ == AggFunction::kMax || fn_ == AggFunction::kLast ||
           fn_ == AggFunction::kFirst;
  }
  void SetInt(int64_t q, int64_t v) {
    ints_[static_cast<size_t>(q)] = v;
    valid_[static_cast<size_t>(q)] = true;
  }
  void SetDouble(int64_t q, double v) {
    doubles_[static_cast<size_t>(q)] = v;
    valid_[static_cast<size_t>(q)] = true;
  }
  void SetIndex(int64_t q, int64_t event) { index_[static_cast<size_t>(q)] = event; }

  AggValue Get(int64_t q) const {
    const auto i = static_cast<size_t>(q);
    if (UsesIndex()) {
      return index_[i] < 0 ? AggValue{} : AggValue{AggValue::Kind::kEvent, index_[i], 0, {}};
    }
    if (!valid_[i]) return AggValue{};
    if (int_output_) return AggValue{AggValue::Kind::kInt, ints_[i], 0, {}};
    return AggValue{AggValue::Kind::kFloat, 0, doubles_[i], {}};
  }

  Result<std::shared_ptr<arrow::Array>> Finish(const std::shared_ptr<arrow::Array>& column) {
    if (UsesIndex()) {
      arrow::Int64Builder b;
      FST_RETURN_NOT_OK(b.Reserve(static_cast<int64_t>(index_.size())));
      for (int64_t v : index_) {
        if (v < 0) {
          b.UnsafeAppendNull();
        } else {
          b.UnsafeAppend(v);
        }
      }
      std::shared_ptr<arrow::Array> indices;
      FST_RETURN_NOT_OK(b.Finish(&indices));
      FST_RETURN_NOT_OK(core::EnsureArrowCompute());
      FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(arrow::Datum(column), arrow::Datum(indices)));
      return datum.make_array();
    }
    if (int_output_) {
      arrow::Int64Builder b;
      FST_RETURN_NOT_OK(b.Reserve(static_cast<int64_t>(ints_.size())));
      for (size_t q = 0; q < ints_.size(); ++q) {
        if (valid_[q]) {
          b.UnsafeAppend(ints_[q]);
        } else {
          b.UnsafeAppendNull();
        }
      }
      return b.Finish();
    }
    arrow::DoubleBuilder b;
    FST_RETURN_NOT_OK(b.Reserve(static_cast<int64_t>(doubles_.size())));
    for (size_t q = 0; q < doubles_.size(); ++q) {
      if (valid_[q]) {
        b.UnsafeAppend(doubles_[q]);
      } else {
        b.UnsafeAppendNull();
      }
    }
    return b.Finish();
  }

 private:
  AggFunction fn_;
  bool int_output_;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<bool> valid_;
  std::vector<int64_t> index_;
};

bool IntegerSum(const AggRequest& r, const Events& events) {
  if (r.fn != AggFunction::kSum || r.column < 0) return false;
  const auto id = events.columns[static_cast<size_t>(r.column)]->type_id();
  return arrow::is_integer(id);
}

// The sums of the finite values in a sliding window, for sum, avg and stddev.
//
// Nothing is ever subtracted: running sums that subtract the values leaving keep the rounding
// of every value that passed through, which after large values have left can outweigh the
// window (equal values then show a stddev of sqrt(residue), not 0); Welford's add/remove has
// the same flaw, and long double only makes it smaller. Instead the window is a queue kept as
// two stacks: events [mid, hi) are summed as they enter, events [lo, mid) have suffix sums (of
// [e, mid) for each e), computed afresh over [lo, hi) once [lo, mid) has no finite value left.
// A window's sums are one suffix's plus the running ones, with the error of sums over that
// window alone; each event is visited at most three times: O(1) amortised, whatever the data.
// The sums are of x - shift in long double, the shift a value in the window (the last finite
// one of [lo, mid), or the first to enter an empty window), so the sum of squares is at most
// 2n + 1 times the squared deviations and removing the mean's share does not cancel them away.
class WindowSums {
 public:
  // An empty window at event `begin` of `col`; `squares` for stddev. The scratch vectors hold
  // the suffix sums, reused from group to group.
  WindowSums(const ColumnView& col, bool squares, int64_t begin, std::vector<long double>* d,
             std::vector<long double>* d2)
      : col_(col), squares_(squares), base_(begin), mid_(begin), d_(*d), d2_(*d2) {}

  // A finite value enters at the window's end.
  void Enter(double x) {
    if (front_count_ + back_count_ == 0) shift_ = x;
    ++back_count_;
    const long double offset = static_cast<long double>(x) - shift_;
    back_d_ += offset;
    if (squares_) back_d2_ += offset * offset;
  }

  // Event e, the window's first with a finite value, leaves; hi is the window's end.
  void Leave(int64_t e, int64_t hi) {
    if (front_count_ == 0) Refill(e, hi);
    if (--front_count_ == 0 && back_count_ > 0) Refill(e + 1, hi);
  }

  // The sum of the window [lo, hi), which holds finite values.
  long double Sum(int64_t lo) const {
    const long double d = Front(lo, d_) + back_d_;
    return d + static_cast<long double>(shift_) * (front_count_ + back_count_);
  }
  // Its sum of squared deviations from the mean.
  long double Deviations(int64_t lo) const {
    const long double d = Front(lo, d_) + back_d_;
    const long double d2 = Front(lo, d2_) + back_d2_;
    return d2 - d * d / (front_count_ + back_count_);
  }

 private:
  // Events [from, hi) become the suffix part.
  void Refill(int64_t from, int64_t hi) {
    const auto n = static_cast<size_t>(hi - from);
    d_.resize(n);
    if (squares_) d2_.resize(n);
    for (int64_t i = hi - 1; i >= from; --i) {  // the shift: the last finite value
      if (!col_.IsNull(i) && std::isfinite(col_.Double(i))) {
        shift_ = col_.Double(i);
        break;
      }
    }
    front_count_ = 0;
    long double d = 0, d2 = 0;
    for (int64_t i = hi - 1; i >= from; --i) {
      if (!col_.IsNull(i)) {
        const double x = col_.Double(i);
        if (std::isfinite(x)) {
          ++front_count_;
          const long double offset = static_cast<long double>(x) - shift_;
          d += offset;
          if (squares_) d2 += offset * offset;
        }
      }
      d_[static_cast<size_t>(i - from)] = d;
      if (squares_) d2_[static_cast<size_t>(i - from)] = d2;
    }
    base_ = from;
    mid_ = hi;
    back_count_ = 0;
    back_d_ = back_d2_ = 0;
  }
  long double Front(int64_t lo, const std::vector<long double>& sums) const {
    return lo < mid_ ? sums[static_cast<size_t>(lo - base_)] : 0;
  }

  const ColumnView& col_;
  const bool squares_;
  double shift_ = 0;
  int64_t base_, mid_;       // the suffix sums of [base_ + i, mid_) are d_[i], d2_[i]
  int64_t front_count_ = 0;  // finite values in [lo, mid_)
  std::vector<long double>& d_;
  std::vector<long double>& d2_;
  int64_t back_count_ = 0;  // finite values in [mid_, hi), and their sums
  long double back_d_ = 0, back_d2_ = 0;
};

// The non-finite values in a window, which the sums leave out.
struct NonFinite {
  int64_t nan = 0, pos_inf = 0, neg_inf = 0;
  // Counts x in (+1) or out (-1); false when x is finite.
  bool Count(double x, int delta) {
    if (std::isnan(x)) {
      nan += delta;
    } else if (std::isinf(x)) {
      (x > 0 ? pos_inf : neg_inf) += delta;
    } else {
      return false;
    }
    return true;
  }
  bool any() const { return nan + pos_inf + neg_inf > 0; }
  // Given any(): the sum of the window's values in any order, NaN or an infinity.
  double Sum() const {
    if (nan > 0 || (pos_inf > 0 && neg_inf > 0)) return std::numeric_limits<double>::quiet_NaN();
    return pos_inf > 0 ? std::numeric_limits<double>::infinity()
                       : -std::numeric_limits<double>::infinity();
  }
};

// Sets `*start` so that the events of the window (t - w, t] are those with start < ts <= t.
// False when t - w lies below INT64_MIN: the window has no lower bound.
bool WindowStart(int64_t t, int64_t w, int64_t* start) {
  if (!__builtin_sub_overflow(t, w, start)) return true;
  *start = std::numeric_limits<int64_t>::max();  // t - w above INT64_MAX: an empty window
  return w < 0;
}

// State containers reused from group to group (a deque allocates when constructed).
struct SlideScratch {
  std::deque<int64_t> mono;  // min/max candidates, by event index
  std::unordered_map<std::string, int64_t> distinct;
  std::vector<long double> suffix_d, suffix_d2;
};

// Sliding window over one group for one request.
void SlideGroup(const Events& events, const QueryGroup& g, const int64_t* query_ts,
                const AggRequest& r, const ColumnView& col, SlideScratch* scratch, Output* out) {
  const int64_t w = r.window_us;
  int64_t lo = g.event_begin;  // first event with ts > t - w
  int64_t hi = g.event_begin;  // first event with ts > t
  // Running state, updated as events enter (hi) and leave (lo).
  int64_t rows = 0, non_null = 0;
  uint64_t int_sum = 0;  // wraps: sliding adds before it removes, so only the window's must fit
  WindowSums sums(col, r.fn == AggFunction::kStddev, g.event_begin, &scratch->suffix_d,
                  &scratch->suffix_d2);
  NonFinite non_finite;
  int64_t nans = 0, last_nan = -1;  // min/max skip NaN; all NaN gives the last one
  std::deque<int64_t>& mono = scratch->mono;
  std::unordered_map<std::string, int64_t>& distinct = scratch->distinct;
  mono.clear();
  distinct.clear();
  const bool integer_sum = col.is_integer() && r.fn == AggFunction::kSum;
  const bool is_min = r.fn == AggFunction::kMin;
  // a replaces b in the min/max deque: strictly better, so the earliest of equal values wins.
  auto better = [&](int64_t a, int64_t b) { return is_min ? col.Less(a, b) : col.Less(b, a); };
  auto is_nan = [&](int64_t e) { return col.is_float() && std::isnan(col.Double(e)); };
  auto add = [&](int64_t e) {
    ++rows;
    if (r.column < 0 || col.IsNull(e)) return;
    ++non_null;
    switch (r.fn) {
      case AggFunction::kSum:
      case AggFunction::kAvg:
      case AggFunction::kStddev: {
        if (integer_sum) {
          int_sum += static_cast<uint64_t>(col.Int(e));
          break;
        }
        const double x = col.Double(e);
        if (!non_finite.Count(x, 1)) sums.Enter(x);
        break;
      }
      case AggFunction::kMin:
      case AggFunction::kMax:
        if (is_nan(e)) {
          ++nans;
          last_nan = e;
          break;
        }
        while (!mono.empty() && better(e, mono.back())) mono.pop_back();
        mono.push_back(e);
        break;
      case AggFunction::kCountDistinct:
        ++distinct[col.Key(e)];
        break;
      default:
        break;
    }
  };
  auto remove = [&](int64_t e) {
    --rows;
    if (r.column < 0 || col.IsNull(e)) return;
    --non_null;
    switch (r.fn) {
      case AggFunction::kSum:
      case AggFunction::kAvg:
      case AggFunction::kStddev: {
        if (integer_sum) {
          int_sum -= static_cast<uint64_t>(col.Int(e));
          break;
        }
        if (!non_finite.Count(col.Double(e), -1)) sums.Leave(e, hi);
        break;
      }
      case AggFunction::kMin:
      case AggFunction::kMax:
        if (!mono.empty() && mono.front() == e) {
          mono.pop_front();
        } else if (nans > 0 && is_nan(e)) {
          --nans;
        }
        break;
      case AggFunction::kCountDistinct: {
        auto it = distinct.find(col.Key(e));
        if (--it->second == 0) distinct.erase(it);
        break;
      }
      default:
        break;
    }
  };
  // last/first: the non-null value nearest the window's edge, scanning past nulls.
  for (int64_t q = g.query_begin; q < g.query_end; ++q) {
    const int64_t t = query_ts[q];
    while (hi < g.event_end && events.ts[hi] <= t) add(hi++);
    int64_t start = 0;
    if (WindowStart(t, w, &start)) {
      while (lo < hi && events.ts[lo] <= start) remove(lo++);
    }
    switch (r.fn) {
      case AggFunction::kCount:
        out->SetInt(q, r.column < 0 ? rows : non_null);
        break;
      case AggFunction::kCountDistinct:
        out->SetInt(q, static_cast<int64_t>(distinct.size()));
        break;
      case AggFunction::kSum:
      case AggFunction::kAvg:
        if (non_null == 0) break;
        if (integer_sum) {
          out->SetInt(q, static_cast<int64_t>(int_sum));
        } else if (non_finite.any()) {
          out->SetDouble(q, non_finite.Sum());  // an average of them too
        } else {
          const long double sum = sums.Sum(lo);
          out->SetDouble(q, static_cast<double>(r.fn == AggFunction::kSum ? sum : sum / non_null));
        }
        break;
      case AggFunction::kStddev:
        if (non_null < 2) break;
        if (non_finite.any()) {
          out->SetDouble(q, std::numeric_limits<double>::quiet_NaN());  // x - mean is NaN
        } else {
          const long double deviations = sums.Deviations(lo);
          const long double variance = std::max<long double>(deviations, 0) / (non_null - 1);
          out->SetDouble(q, std::sqrt(static_cast<double>(variance)));
        }
        break;
      case AggFunction::kMin:
      case AggFunction::kMax:
        if (!mono.empty()) {
          out->SetIndex(q, mono.front());
        } else if (nans > 0) {
          out->SetIndex(q, last_nan);
        }
        break;
      case AggFunction::kLast:
        for (int64_t e = hi - 1; e >= lo; --e) {
          if (!col.IsNull(e)) {
            out->SetIndex(q, e);
            break;
          }
        }
        break;
      case AggFunction::kFirst:
        for (int64_t e = lo; e < hi; ++e) {
          if (!col.IsNull(e)) {
            out->SetIndex(q, e);
            break;
          }
        }
        break;
    }
  }
}

// --- avg over list<float32>: the element-wise mean of each query's window, recomputed per
// query (O(window events x dim)); nullopt where the window has no vector or mixed lengths.
bool IsVectorAvg(const AggRequest& r, const Events& events) {
  return r.fn == AggFunction::kAvg && r.column >= 0 &&
         events.columns[static_cast<size_t>(r.column)]->type_id() == arrow::Type::LIST;
}

std::vector<std::optional<std::vector<float>>> VectorAverages(
    const Events& events, const std::vector<QueryGroup>& groups, const int64_t* query_ts,
    int64_t num_queries, const AggRequest& r) {
  const auto& list =
      static_cast<const arrow::ListArray&>(*events.columns[static_cast<size_t>(r.column)]);
  const auto& items = static_cast<const arrow::FloatArray&>(*list.values());
  std::vector<std::optional<std::vector<float>>> out(static_cast<size_t>(num_queries));
  std::vector<double> sums;
  for (const QueryGroup& g : groups) {
    int64_t lo = g.event_begin, hi = g.event_begin;
    for (int64_t q = g.query_begin; q < g.query_end; ++q) {
      const int64_t t = query_ts[q];
      while (hi < g.event_end && events.ts[hi] <= t) ++hi;
      int64_t start = 0;
      if (WindowStart(t, r.window_us, &start)) {
        while (lo < hi && events.ts[lo] <= start) ++lo;
      }
      int64_t n = 0;
      bool same_length = true;
      for (int64_t e = lo; e < hi && same_length; ++e) {
        if (list.IsNull(e)) continue;
        const int64_t begin = list.value_offset(e), size = list.value_length(e);
        if (n++ == 0) sums.assign(static_cast<size_t>(size), 0.0);
        same_length = static_cast<size_t>(size) == sums.size();
        for (int64_t k = 0; k < size && same_length; ++k) {
          sums[static_cast<size_t>(k)] += items.Value(begin + k);
        }
      }
      if (n == 0 || !same_length) continue;
      std::vector<float> mean(sums.size());
      for (size_t k = 0; k < sums.size(); ++k) {
        mean[k] = static_cast<float>(sums[k] / static_cast<double>(n));
      }
      out[static_cast<size_t>(q)] = std::move(mean);
    }
  }
  return out;
}

Result<std::shared_ptr<arrow::Array>> VectorAverageArray(
    const std::vector<std::optional<std::vector<float>>>& values) {
  arrow::ListBuilder builder(arrow::default_memory_pool(), std::make_shared<arrow::FloatBuilder>());
  auto* items = static_cast<arrow::FloatBuilder*>(builder.value_builder());
  for (const auto& v : values) {
    if (!v) {
      FST_RETURN_NOT_OK(builder.AppendNull());
      continue;
    }
    FST_RETURN_NOT_OK(builder.Append());
    FST_RETURN_NOT_OK(items->AppendValues(*v));
  }
  std::shared_ptr<arrow::Array> out;
  FST_RETURN_NOT_OK(builder.Finish(&out));
  return out;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> Run(
    const Events& events, const std::vector<QueryGroup>& groups, const int64_t* query_ts,
    int64_t num_queries, const std::vector<AggRequest>& requests) {
  std::vector<std::shared_ptr<arrow::Array>> results;
  for (const auto& r : requests) {
    if (r.column >= static_cast<int>(events.columns.size())) {
      return Status::Invalid("aggregation column index out of range");
    }
    if (IsVectorAvg(r, events)) {
      FST_ASSIGN_OR_RAISE(auto result, VectorAverageArray(VectorAverages(
                                           events, groups, query_ts, num_queries, r)));
      results.push_back(std::move(result));
      continue;
    }
    const arrow::Array* array = r.column < 0 ? nullptr : events.columns[static_cast<size_t>(r.column)].get();
    ColumnView col(array);
    Output out(r.fn, IntegerSum(r, events), num_queries);
    SlideScratch scratch;
    for (const auto& g : groups) SlideGroup(events, g, query_ts, r, col, &scratch, &out);
    std::shared_ptr<arrow::Array> column =
        array == nullptr ? nullptr : events.columns[static_cast<size_t>(r.column)];
    FST_ASSIGN_OR_RAISE(auto result, out.Finish(column));
    results.push_back(result);
  }
  return results;
}

}  // namespace

Result<AggFunction> ParseAggFunction(std::string_view text) {
  std::string accepted;
  for (const auto& [fn, name] : kNames) {
    if (name == text) return fn;
    accepted += accepted.empty() ? "" : ", ";
    accepted += name;
  }
  return Status::Invalid("unknown aggregation '", text, "'; expected one of: ", accepted);
}

Result<core::ValueType> AggResultType(AggFunction fn, core::ValueType input, bool has_column) {
  using core::ValueType;
  switch (fn) {
    case AggFunction::kCount:
    case AggFunction::kCountDistinct:
      return ValueType::kInt64;
    case AggFunction::kLast:
    case AggFunction::kFirst:
      return input;
    case AggFunction::kAvg:
      if (input == ValueType::kListFloat32 && has_column) return ValueType::kListFloat32;
      break;
    default:
      break;
  }
  const bool temporal = input == ValueType::kTimestamp || input == ValueType::kDate;
  if (!has_column || !(IsNumeric(input) || ((fn == AggFunction::kMin || fn == AggFunction::kMax) && temporal))) {
    return Status::Invalid("aggregation needs a numeric column, got ", core::ValueTypeName(input));
  }
  switch (fn) {
    case AggFunction::kSum:
      return input == ValueType::kInt32 || input == ValueType::kInt64 ? ValueType::kInt64
                                                                      : ValueType::kFloat64;
    case AggFunction::kAvg:
    case AggFunction::kStddev:
      return ValueType::kFloat64;
    default:
      return input;
  }
}

Result<std::vector<std::shared_ptr<arrow::Array>>> AggregateWindows(
    const Events& events, const std::vector<QueryGroup>& groups, const int64_t* query_ts,
    int64_t num_queries, const std::vector<AggRequest>& requests, int threads) {
  if (threads <= 1 || requests.size() < 2) {
    return Run(events, groups, query_ts, num_queries, requests);
  }
  // Requests are independent: the second half on another thread.
  const auto mid = requests.begin() + static_cast<std::ptrdiff_t>(requests.size() / 2);
  const std::vector<AggRequest> first(requests.begin(), mid);
  const std::vector<AggRequest> second(mid, requests.end());
  Result<std::vector<std::shared_ptr<arrow::Array>>> other;
  std::thread thread([&] { other = Run(events, groups, query_ts, num_queries, second); });
  auto results = Run(events, groups, query_ts, num_queries, first);
  thread.join();
  FST_RETURN_NOT_OK(results.status());
  FST_RETURN_NOT_OK(other.status());
  std::vector<std::shared_ptr<arrow::Array>> all = std::move(*results);
  for (auto& array : *other) all.push_back(std::move(array));
  return all;
}

Result<std::vector<AggValue>> AggregateOne(const Events& events, int64_t t,
                                           const std::vector<AggRequest>& requests) {
  std::vector<AggValue> values;
  values.reserve(requests.size());
  const QueryGroup group{0, events.length, 0, 1};
  for (const auto& r : requests) {
    if (r.column >= static_cast<int>(events.columns.size())) {
      return Status::Invalid("aggregation column index out of range");
    }
    if (IsVectorAvg(r, events)) {
      auto mean = std::move(VectorAverages(events, {group}, &t, 1, r).front());
      AggValue value;
      if (mean) value = AggValue{AggValue::Kind::kVector, 0, 0, std::move(*mean)};
      values.push_back(std::move(value));
      continue;
    }
    ColumnView col(r.column < 0 ? nullptr : events.columns[static_cast<size_t>(r.column)].get());
    Output out(r.fn, IntegerSum(r, events), 1);
    SlideScratch scratch;
    SlideGroup(events, group, &t, r, col, &scratch, &out);
    values.push_back(out.Get(0));
  }
  return values;
}

}  // namespace fst::transform
