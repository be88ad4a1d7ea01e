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
  const arrow::Array* array() const { return array_; }
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

// Output collector for one request: one value per query, set by the groups' slides (two
// threads may set different queries of one collector).
class Output {
 public:
  enum class Kind { kInt, kDouble, kIndex, kVector };

  Output(const AggRequest& r, const Events& events, int64_t n) : kind_(KindOf(r, events)) {
    const auto size = static_cast<size_t>(n);
    switch (kind_) {
      case Kind::kIndex:
        index_.assign(size, -1);
        break;
      case Kind::kInt:
        ints_.assign(size, 0);
        valid_.assign(size, r.fn != AggFunction::kSum);  // count: 0 for an empty window
        break;
      case Kind::kDouble:
        doubles_.assign(size, 0.0);
        valid_.assign(size, 0);
        break;
      case Kind::kVector:
        vectors_.resize(size);
        break;
    }
  }
  void SetInt(int64_t q, int64_t v) {
    ints_[static_cast<size_t>(q)] = v;
    valid_[static_cast<size_t>(q)] = 1;
  }
  void SetDouble(int64_t q, double v) {
    doubles_[static_cast<size_t>(q)] = v;
    valid_[static_cast<size_t>(q)] = 1;
  }
  void SetIndex(int64_t q, int64_t event) { index_[static_cast<size_t>(q)] = event; }
  void SetVector(int64_t q, std::vector<float> v) { vectors_[static_cast<size_t>(q)] = std::move(v); }

  // How a request's values are kept: integers (count, count_distinct, sum of integers),
  // doubles (sum, avg, stddev), event indexes (min, max, last, first) or vectors (avg of
  // list<float32>).
  static Kind KindOf(const AggRequest& r, const Events& events) {
    const arrow::Type::type id = r.column < 0 ? arrow::Type::NA
                                              : events.columns[static_cast<size_t>(r.column)]->type_id();
    switch (r.fn) {
      case AggFunction::kMin:
      case AggFunction::kMax:
      case AggFunction::kLast:
      case AggFunction::kFirst:
        return Kind::kIndex;
      case AggFunction::kCount:
      case AggFunction::kCountDistinct:
        return Kind::kInt;
      case AggFunction::kSum:
        return arrow::is_integer(id) ? Kind::kInt : Kind::kDouble;
      case AggFunction::kAvg:
        return id == arrow::Type::LIST ? Kind::kVector : Kind::kDouble;
      case AggFunction::kStddev:
        return Kind::kDouble;
    }
    return Kind::kDouble;
  }

  AggValue Get(int64_t q) const {
    const auto i = static_cast<size_t>(q);
    switch (kind_) {
      case Kind::kIndex:
        return index_[i] < 0 ? AggValue{} : AggValue{AggValue::Kind::kEvent, index_[i], 0, {}};
      case Kind::kVector:
        return vectors_[i] ? AggValue{AggValue::Kind::kVector, 0, 0, *vectors_[i]} : AggValue{};
      case Kind::kInt:
        return valid_[i] ? AggValue{AggValue::Kind::kInt, ints_[i], 0, {}} : AggValue{};
      case Kind::kDouble:
        return valid_[i] ? AggValue{AggValue::Kind::kFloat, 0, doubles_[i], {}} : AggValue{};
    }
    return AggValue{};
  }

  // The result array; `column` is the aggregated column (null for a count of rows).
  Result<std::shared_ptr<arrow::Array>> Finish(const std::shared_ptr<arrow::Array>& column) {
    switch (kind_) {
      case Kind::kIndex: {
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
        FST_ASSIGN_OR_RAISE(auto datum,
                            arrow::compute::Take(arrow::Datum(column), arrow::Datum(indices)));
        return datum.make_array();
      }
      case Kind::kInt:
        return Build<arrow::Int64Builder>(ints_);
      case Kind::kDouble:
        return Build<arrow::DoubleBuilder>(doubles_);
      case Kind::kVector: {
        arrow::ListBuilder b(arrow::default_memory_pool(), std::make_shared<arrow::FloatBuilder>());
        auto* items = static_cast<arrow::FloatBuilder*>(b.value_builder());
        for (const auto& v : vectors_) {
          if (!v) {
            FST_RETURN_NOT_OK(b.AppendNull());
            continue;
          }
          FST_RETURN_NOT_OK(b.Append());
          FST_RETURN_NOT_OK(items->AppendValues(*v));
        }
        std::shared_ptr<arrow::Array> out;
        FST_RETURN_NOT_OK(b.Finish(&out));
        return out;
      }
    }
    return Status::Invalid("unknown aggregation output");
  }

 private:
  template <typename Builder, typename T>
  Result<std::shared_ptr<arrow::Array>> Build(const std::vector<T>& values) const {
    Builder b;
    FST_RETURN_NOT_OK(b.Reserve(static_cast<int64_t>(values.size())));
    for (size_t q = 0; q < values.size(); ++q) {
      if (valid_[q]) {
        b.UnsafeAppend(values[q]);
      } else {
        b.UnsafeAppendNull();
      }
    }
    return b.Finish();
  }

  Kind kind_;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<uint8_t> valid_;  // bytes, not bits: threads set neighbouring queries
  std::vector<int64_t> index_;
  std::vector<std::optional<std::vector<float>>> vectors_;
};


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

// The requests over one (window, column): one slide over a group's events keeps the running
// state all of them need and sets each one's value at every query.
struct Slide {
  Slide(int64_t w, int c, const arrow::Array* array) : window_us(w), column(c), col(array) {}

  int64_t window_us;
  int column;  // -1: a count of rows
  ColumnView col;
  struct Member {
    size_t request;  // index into the request list (and the outputs)
    AggFunction fn;
    Output::Kind kind;
  };
  std::vector<Member> members;
  // The state the requests need, beyond the rows and non-null values counted for all.
  bool int_sum = false;   // sum of integers, exact
  bool sums = false;      // WindowSums of the finite values (sum, avg, stddev of doubles)
  bool squares = false;   // ... with the sums of squares (stddev)
  bool min = false, max = false;
  bool distinct = false;
};

// The requests grouped by (window, column), in the order each pair first appears.
// Errors: Invalid for a column index out of range.
Result<std::vector<Slide>> PlanSlides(const Events& events, const std::vector<AggRequest>& requests) {
  std::vector<Slide> slides;
  for (size_t i = 0; i < requests.size(); ++i) {
    const AggRequest& r = requests[i];
    if (r.column >= static_cast<int>(events.columns.size())) {
      return Status::Invalid("aggregation column index out of range");
    }
    auto same = [&](const Slide& s) { return s.window_us == r.window_us && s.column == r.column; };
    auto it = std::find_if(slides.begin(), slides.end(), same);
    if (it == slides.end()) {
      it = slides.emplace(slides.end(), r.window_us, r.column,
                          r.column < 0 ? nullptr : events.columns[static_cast<size_t>(r.column)].get());
    }
    Slide& s = *it;
    const Output::Kind kind = Output::KindOf(r, events);
    s.members.push_back({i, r.fn, kind});
    switch (r.fn) {
      case AggFunction::kSum:
        (kind == Output::Kind::kInt ? s.int_sum : s.sums) = true;
        break;
      case AggFunction::kAvg:
        if (kind == Output::Kind::kDouble) s.sums = true;  // vectors: averaged per query
        break;
      case AggFunction::kStddev:
        s.sums = s.squares = true;
        break;
      case AggFunction::kMin:
        s.min = true;
        break;
      case AggFunction::kMax:
        s.max = true;
        break;
      case AggFunction::kCountDistinct:
        s.distinct = true;
        break;
      default:
        break;
    }
  }
  return slides;
}

// State containers reused from group to group (a deque allocates when constructed).
struct SlideScratch {
  std::deque<int64_t> mono_min, mono_max;  // min/max candidates, by event index
  std::unordered_map<std::string, int64_t> distinct;
  std::vector<long double> suffix_d, suffix_d2;
  std::vector<double> vector_sums;
};

// The element-wise mean of the list<float32> values of events [lo, hi): item k is the sum of
// item k in double, in event order, over the count, rounded to float once. Nullopt when there
// is no vector or the vectors differ in length.
std::optional<std::vector<float>> VectorMean(const arrow::ListArray& list, int64_t lo, int64_t hi,
                                             std::vector<double>* sums) {
  const auto& items = static_cast<const arrow::FloatArray&>(*list.values());
  int64_t n = 0;
  for (int64_t e = lo; e < hi; ++e) {
    if (list.IsNull(e)) continue;
    const int64_t begin = list.value_offset(e), size = list.value_length(e);
    if (n++ == 0) sums->assign(static_cast<size_t>(size), 0.0);
    if (static_cast<size_t>(size) != sums->size()) return std::nullopt;
    for (int64_t k = 0; k < size; ++k) (*sums)[static_cast<size_t>(k)] += items.Value(begin + k);
  }
  if (n == 0) return std::nullopt;
  std::vector<float> mean(sums->size());
  for (size_t k = 0; k < sums->size(); ++k) {
    mean[k] = static_cast<float>((*sums)[k] / static_cast<double>(n));
  }
  return mean;
}

// Sliding window of `s` over one group: every request of `s` gets its value at each query.
void SlideGroup(const Events& events, const QueryGroup& g, const int64_t* query_ts,
                const Slide& s, SlideScratch* scratch, std::vector<Output>* outs) {
  const ColumnView& col = s.col;
  const int64_t w = s.window_us;
  int64_t lo = g.event_begin;  // first event with ts > t - w
  int64_t hi = g.event_begin;  // first event with ts > t
  // Running state, updated as events enter (hi) and leave (lo).
  int64_t rows = 0, non_null = 0;
  uint64_t int_sum = 0;  // wraps: sliding adds before it removes, so only the window's must fit
  WindowSums sums(col, s.squares, g.event_begin, &scratch->suffix_d, &scratch->suffix_d2);
  NonFinite non_finite;
  int64_t nans = 0, last_nan = -1;  // min/max skip NaN; all NaN gives the last one
  std::deque<int64_t>& mono_min = scratch->mono_min;
  std::deque<int64_t>& mono_max = scratch->mono_max;
  std::unordered_map<std::string, int64_t>& distinct = scratch->distinct;
  mono_min.clear();
  mono_max.clear();
  distinct.clear();
  const bool extremes = s.min || s.max;
  auto is_nan = [&](int64_t e) { return col.is_float() && std::isnan(col.Double(e)); };
  // e enters a min (max) deque, replacing the candidates it is strictly better than, so the
  // earliest of equal values wins.
  auto push = [&](std::deque<int64_t>& mono, int64_t e, bool is_min) {
    while (!mono.empty() && (is_min ? col.Less(e, mono.back()) : col.Less(mono.back(), e))) {
      mono.pop_back();
    }
    mono.push_back(e);
  };
  auto add = [&](int64_t e) {
    ++rows;
    if (s.column < 0 || col.IsNull(e)) return;
    ++non_null;
    if (s.int_sum) int_sum += static_cast<uint64_t>(col.Int(e));
    if (s.sums) {
      const double x = col.Double(e);
      if (!non_finite.Count(x, 1)) sums.Enter(x);
    }
    if (extremes) {
      if (is_nan(e)) {
        ++nans;
        last_nan = e;
      } else {
        if (s.min) push(mono_min, e, true);
        if (s.max) push(mono_max, e, false);
      }
    }
    if (s.distinct) ++distinct[col.Key(e)];
  };
  auto remove = [&](int64_t e) {
    --rows;
    if (s.column < 0 || col.IsNull(e)) return;
    --non_null;
    if (s.int_sum) int_sum -= static_cast<uint64_t>(col.Int(e));
    if (s.sums && !non_finite.Count(col.Double(e), -1)) sums.Leave(e, hi);
    if (extremes) {
      if (is_nan(e)) {
        --nans;
      } else {
        if (!mono_min.empty() && mono_min.front() == e) mono_min.pop_front();
        if (!mono_max.empty() && mono_max.front() == e) mono_max.pop_front();
      }
    }
    if (s.distinct) {
      auto it = distinct.find(col.Key(e));
      if (--it->second == 0) distinct.erase(it);
    }
  };
  auto extreme = [&](const std::deque<int64_t>& mono, Output* out, int64_t q) {
    if (!mono.empty()) {
      out->SetIndex(q, mono.front());
    } else if (nans > 0) {
      out->SetIndex(q, last_nan);
    }
  };
  for (int64_t q = g.query_begin; q < g.query_end; ++q) {
    const int64_t t = query_ts[q];
    while (hi < g.event_end && events.ts[hi] <= t) add(hi++);
    int64_t start = 0;
    if (WindowStart(t, w, &start)) {
      while (lo < hi && events.ts[lo] <= start) remove(lo++);
    }
    // The window's sum, when the sums are kept and its values are finite.
    const bool finite_sum = s.sums && non_null > 0 && !non_finite.any();
    const long double sum = finite_sum ? sums.Sum(lo) : 0;
    for (const Slide::Member& m : s.members) {
      Output& out = (*outs)[m.request];
      switch (m.fn) {
        case AggFunction::kCount:
          out.SetInt(q, s.column < 0 ? rows : non_null);
          break;
        case AggFunction::kCountDistinct:
          out.SetInt(q, static_cast<int64_t>(distinct.size()));
          break;
        case AggFunction::kSum:
        case AggFunction::kAvg:
          if (m.kind == Output::Kind::kVector) {
            const auto& list = static_cast<const arrow::ListArray&>(*col.array());
            auto mean = VectorMean(list, lo, hi, &scratch->vector_sums);
            if (mean) out.SetVector(q, std::move(*mean));
          } else if (non_null == 0) {
            break;
          } else if (m.kind == Output::Kind::kInt) {
            out.SetInt(q, static_cast<int64_t>(int_sum));
          } else if (!finite_sum) {
            out.SetDouble(q, non_finite.Sum());  // an average of them too
          } else {
            out.SetDouble(q, static_cast<double>(m.fn == AggFunction::kSum ? sum : sum / non_null));
          }
          break;
        case AggFunction::kStddev:
          if (non_null < 2) break;
          if (!finite_sum) {
            out.SetDouble(q, std::numeric_limits<double>::quiet_NaN());  // x - mean is NaN
          } else {
            const long double deviations = sums.Deviations(lo);
            const long double variance = std::max<long double>(deviations, 0) / (non_null - 1);
            out.SetDouble(q, std::sqrt(static_cast<double>(variance)));
          }
          break;
        case AggFunction::kMin:
          extreme(mono_min, &out, q);
          break;
        case AggFunction::kMax:
          extreme(mono_max, &out, q);
          break;
        case AggFunction::kLast:  // the non-null value nearest the window's end
          for (int64_t e = hi - 1; e >= lo; --e) {
            if (!col.IsNull(e)) {
              out.SetIndex(q, e);
              break;
            }
          }
          break;
        case AggFunction::kFirst:  // ... nearest its start
          for (int64_t e = lo; e < hi; ++e) {
            if (!col.IsNull(e)) {
              out.SetIndex(q, e);
              break;
            }
          }
          break;
      }
    }
  }
}

// Slides every group of [first, last) for every slide.
void SlideGroups(const Events& events, const QueryGroup* first, const QueryGroup* last,
                 const int64_t* query_ts, const std::vector<Slide>& slides,
                 std::vector<Output>* outs) {
  std::vector<SlideScratch> scratch(slides.size());
  // Group by group, so a key's events are still in cache for its next slide.
  for (const QueryGroup* g = first; g != last; ++g) {
    for (size_t s = 0; s < slides.size(); ++s) {
      SlideGroup(events, *g, query_ts, slides[s], &scratch[s], outs);
    }
  }
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
  FST_ASSIGN_OR_RAISE(const std::vector<Slide> slides, PlanSlides(events, requests));
  std::vector<Output> outs;
  outs.reserve(requests.size());
  for (const auto& r : requests) outs.emplace_back(r, events, num_queries);
  const QueryGroup* begin = groups.data();
  const QueryGroup* end = begin + groups.size();
  if (threads <= 1 || groups.size() < 2) {
    SlideGroups(events, begin, end, query_ts, slides, &outs);
  } else {
    // Groups set disjoint queries: the second half (by events and queries) on another thread.
    int64_t total = 0;
    for (const auto& g : groups) total += g.event_end - g.event_begin + g.query_end - g.query_begin;
    const QueryGroup* mid = begin;
    for (int64_t half = 0; mid != end && 2 * half < total; ++mid) {
      half += mid->event_end - mid->event_begin + mid->query_end - mid->query_begin;
    }
    std::thread thread([&] { SlideGroups(events, mid, end, query_ts, slides, &outs); });
    SlideGroups(events, begin, mid, query_ts, slides, &outs);
    thread.join();
  }
  std::vector<std::shared_ptr<arrow::Array>> results;
  for (size_t i = 0; i < requests.size(); ++i) {
    const int column = requests[i].column;
    FST_ASSIGN_OR_RAISE(auto result, outs[i].Finish(column < 0 ? nullptr
                                                               : events.columns[static_cast<size_t>(column)]));
    results.push_back(std::move(result));
  }
  return results;
}

Result<std::vector<AggValue>> AggregateOne(const Events& events, int64_t t,
                                           const std::vector<AggRequest>& requests) {
  FST_ASSIGN_OR_RAISE(const std::vector<Slide> slides, PlanSlides(events, requests));
  std::vector<Output> outs;
  outs.reserve(requests.size());
  for (const auto& r : requests) outs.emplace_back(r, events, 1);
  const QueryGroup group{0, events.length, 0, 1};
  SlideGroups(events, &group, &group + 1, &t, slides, &outs);
  std::vector<AggValue> values;
  values.reserve(requests.size());
  for (const auto& out : outs) values.push_back(out.Get(0));
  return values;
}

}  // namespace fst::transform
