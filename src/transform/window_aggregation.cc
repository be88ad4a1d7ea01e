#include "featherstone/transform/window_aggregation.h"

#include <cmath>
#include <cstring>
#include <deque>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

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
  }
  bool IsNull(int64_t i) const { return array_ != nullptr && array_->IsNull(i); }
  bool is_integer() const { return is_integer_; }
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
  // Bytes identifying the value, for count_distinct.
  std::string Key(int64_t i) const {
    if (is_binary_) return std::string(static_cast<const arrow::BinaryArray*>(array_)->GetView(i));
    char buf[9];
    if (is_integer_) {
      const int64_t v = Int(i);
      buf[0] = 'i';
      std::memcpy(buf + 1, &v, 8);
    } else {
      double v = Double(i);
      if (v == 0.0) v = 0.0;  // -0 == 0
      buf[0] = 'f';
      std::memcpy(buf + 1, &v, 8);
    }
    return std::string(buf, 9);
  }

 private:
  const arrow::Array* array_;
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
      return index_[i] < 0 ? AggValue{} : AggValue{AggValue::Kind::kEvent, index_[i], 0};
    }
    if (!valid_[i]) return AggValue{};
    if (int_output_) return AggValue{AggValue::Kind::kInt, ints_[i], 0};
    return AggValue{AggValue::Kind::kFloat, 0, doubles_[i]};
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

// State containers reused from group to group (a deque allocates when constructed).
struct SlideScratch {
  std::deque<int64_t> mono;  // min/max candidates, by event index
  std::unordered_map<std::string, int64_t> distinct;
};

// Sliding window over one group for one request.
void SlideGroup(const Events& events, const QueryGroup& g, const int64_t* query_ts,
                const AggRequest& r, const ColumnView& col, SlideScratch* scratch, Output* out) {
  const int64_t w = r.window_us;
  int64_t lo = g.event_begin;  // first event with ts > t - w
  int64_t hi = g.event_begin;  // first event with ts > t
  // Running state, updated as events enter (hi) and leave (lo).
  int64_t rows = 0, non_null = 0;
  int64_t int_sum = 0;
  long double sum = 0, sum_sq = 0;
  double shift = 0;
  bool have_shift = false;
  std::deque<int64_t>& mono = scratch->mono;
  std::unordered_map<std::string, int64_t>& distinct = scratch->distinct;
  mono.clear();
  distinct.clear();
  const bool is_min = r.fn == AggFunction::kMin;
  auto better = [&](int64_t a, int64_t b) {  // a replaces b in the min/max deque
    return is_min ? col.Double(a) <= col.Double(b) : col.Double(a) >= col.Double(b);
  };
  auto add = [&](int64_t e) {
    ++rows;
    if (r.column < 0 || col.IsNull(e)) return;
    ++non_null;
    switch (r.fn) {
      case AggFunction::kSum:
      case AggFunction::kAvg:
      case AggFunction::kStddev: {
        if (col.is_integer() && r.fn == AggFunction::kSum) {
          int_sum += col.Int(e);
          break;
        }
        const double x = col.Double(e);
        if (!have_shift) {
          shift = x;
          have_shift = true;
        }
        sum += x - shift;
        sum_sq += static_cast<long double>(x - shift) * (x - shift);
        break;
      }
      case AggFunction::kMin:
      case AggFunction::kMax:
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
        if (col.is_integer() && r.fn == AggFunction::kSum) {
          int_sum -= col.Int(e);
          break;
        }
        const double x = col.Double(e);
        sum -= x - shift;
        sum_sq -= static_cast<long double>(x - shift) * (x - shift);
        break;
      }
      case AggFunction::kMin:
      case AggFunction::kMax:
        if (!mono.empty() && mono.front() == e) mono.pop_front();
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
    while (lo < hi && events.ts[lo] <= t - w) remove(lo++);
    switch (r.fn) {
      case AggFunction::kCount:
        out->SetInt(q, r.column < 0 ? rows : non_null);
        break;
      case AggFunction::kCountDistinct:
        out->SetInt(q, static_cast<int64_t>(distinct.size()));
        break;
      case AggFunction::kSum:
        if (non_null == 0) break;
        if (col.is_integer()) {
          out->SetInt(q, int_sum);
        } else {
          out->SetDouble(q, static_cast<double>(sum + static_cast<long double>(shift) * non_null));
        }
        break;
      case AggFunction::kAvg:
        if (non_null > 0) out->SetDouble(q, static_cast<double>(shift + sum / non_null));
        break;
      case AggFunction::kStddev:
        if (non_null >= 2) {
          long double var = (sum_sq - sum * sum / non_null) / (non_null - 1);
          if (var < 0) var = 0;
          out->SetDouble(q, std::sqrt(static_cast<double>(var)));
        }
        break;
      case AggFunction::kMin:
      case AggFunction::kMax:
        if (!mono.empty()) out->SetIndex(q, mono.front());
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

Result<std::vector<std::shared_ptr<arrow::Array>>> Run(
    const Events& events, const std::vector<QueryGroup>& groups, const int64_t* query_ts,
    int64_t num_queries, const std::vector<AggRequest>& requests, bool reference) {
  std::vector<std::shared_ptr<arrow::Array>> results;
  for (const auto& r : requests) {
    if (r.column >= static_cast<int>(events.columns.size())) {
      return Status::Invalid("aggregation column index out of range");
    }
    const arrow::Array* array = r.column < 0 ? nullptr : events.columns[static_cast<size_t>(r.column)].get();
    ColumnView col(array);
    Output out(r.fn, IntegerSum(r, events), num_queries);
    SlideScratch scratch;
    for (const auto& g : groups) {
      if (!reference) {
        SlideGroup(events, g, query_ts, r, col, &scratch, &out);
        continue;
      }
      for (int64_t q = g.query_begin; q < g.query_end; ++q) {
        const int64_t t = query_ts[q];
        std::vector<int64_t> in;
        int64_t rows = 0;
        for (int64_t e = g.event_begin; e < g.event_end; ++e) {
          if (events.ts[e] > t - r.window_us && events.ts[e] <= t) {
            ++rows;
            if (r.column >= 0 && !col.IsNull(e)) in.push_back(e);
          }
        }
        const int64_t n = static_cast<int64_t>(in.size());
        switch (r.fn) {
          case AggFunction::kCount:
            out.SetInt(q, r.column < 0 ? rows : n);
            break;
          case AggFunction::kCountDistinct: {
            std::set<std::string> seen;
            for (int64_t e : in) seen.insert(col.Key(e));
            out.SetInt(q, static_cast<int64_t>(seen.size()));
            break;
          }
          case AggFunction::kSum: {
            if (n == 0) break;
            if (col.is_integer()) {
              int64_t s = 0;
              for (int64_t e : in) s += col.Int(e);
              out.SetInt(q, s);
            } else {
              double s = 0;
              for (int64_t e : in) s += col.Double(e);
              out.SetDouble(q, s);
            }
            break;
          }
          case AggFunction::kAvg: {
            if (n == 0) break;
            double s = 0;
            for (int64_t e : in) s += col.Double(e);
            out.SetDouble(q, s / static_cast<double>(n));
            break;
          }
          case AggFunction::kStddev: {
            if (n < 2) break;
            double mean = 0;
            for (int64_t e : in) mean += col.Double(e);
            mean /= static_cast<double>(n);
            double ss = 0;
            for (int64_t e : in) ss += (col.Double(e) - mean) * (col.Double(e) - mean);
            out.SetDouble(q, std::sqrt(ss / static_cast<double>(n - 1)));
            break;
          }
          case AggFunction::kMin:
          case AggFunction::kMax: {
            int64_t best = -1;
            for (int64_t e : in) {
              if (best < 0) {
                best = e;
              } else if (r.fn == AggFunction::kMin ? col.Double(e) < col.Double(best)
                                                   : col.Double(e) > col.Double(best)) {
                best = e;
              }
            }
            if (best >= 0) out.SetIndex(q, best);
            break;
          }
          case AggFunction::kLast:
            if (n > 0) out.SetIndex(q, in.back());
            break;
          case AggFunction::kFirst:
            if (n > 0) out.SetIndex(q, in.front());
            break;
        }
      }
    }
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
    return Run(events, groups, query_ts, num_queries, requests, false);
  }
  // Requests are independent: the second half on another thread.
  const auto mid = requests.begin() + static_cast<std::ptrdiff_t>(requests.size() / 2);
  const std::vector<AggRequest> first(requests.begin(), mid);
  const std::vector<AggRequest> second(mid, requests.end());
  Result<std::vector<std::shared_ptr<arrow::Array>>> other;
  std::thread thread([&] { other = Run(events, groups, query_ts, num_queries, second, false); });
  auto results = Run(events, groups, query_ts, num_queries, first, false);
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
    ColumnView col(r.column < 0 ? nullptr : events.columns[static_cast<size_t>(r.column)].get());
    Output out(r.fn, IntegerSum(r, events), 1);
    SlideScratch scratch;
    SlideGroup(events, group, &t, r, col, &scratch, &out);
    values.push_back(out.Get(0));
  }
  return values;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> AggregateWindowsReference(
    const Events& events, const std::vector<QueryGroup>& groups, const int64_t* query_ts,
    int64_t num_queries, const std::vector<AggRequest>& requests) {
  return Run(events, groups, query_ts, num_queries, requests, true);
}

}  // namespace fst::transform
