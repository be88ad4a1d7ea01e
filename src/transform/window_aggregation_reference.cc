// Brute force, one query at a time: collect the events of the query's group inside its window,
// drop the nulls, and compute the function from its definition. Values are read through Arrow's
// typed arrays and results built with an Arrow builder of the result type; nothing here is
// shared with the sliding implementation in window_aggregation.cc.
#include "featherstone/transform/window_aggregation_reference.h"

#include <cmath>
#include <set>
#include <string>

#include <arrow/array/builder_base.h>
#include <arrow/array/builder_nested.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/compare.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/checked_cast.h>

namespace fst::transform {
namespace {

using arrow::internal::checked_cast;

// The ValueType an Arrow column stores, for AggResultType.
Result<core::ValueType> ValueTypeOf(const arrow::DataType& type) {
  using core::ValueType;
  switch (type.id()) {
    case arrow::Type::BOOL: return ValueType::kBool;
    case arrow::Type::INT32: return ValueType::kInt32;
    case arrow::Type::INT64: return ValueType::kInt64;
    case arrow::Type::FLOAT: return ValueType::kFloat32;
    case arrow::Type::DOUBLE: return ValueType::kFloat64;
    case arrow::Type::STRING: return ValueType::kString;
    case arrow::Type::BINARY: return ValueType::kBytes;
    case arrow::Type::TIMESTAMP: return ValueType::kTimestamp;
    case arrow::Type::DATE32: return ValueType::kDate;
    case arrow::Type::LIST: {
      const auto item = checked_cast<const arrow::ListType&>(type).value_type()->id();
      if (item == arrow::Type::FLOAT) return ValueType::kListFloat32;
      if (item == arrow::Type::STRING) return ValueType::kListString;
      break;
    }
    default:
      break;
  }
  return Status::Invalid("aggregation over an unsupported column type ", type.ToString());
}

// t - w < ts <= t. A window reaching below INT64_MIN has no lower bound.
bool InWindow(int64_t ts, int64_t t, int64_t w) {
  if (ts > t) return false;
  int64_t start = 0;
  if (__builtin_sub_overflow(t, w, &start)) return w > 0;
  return start < ts;
}

bool IsIntegerColumn(const arrow::Array& column) {
  switch (column.type_id()) {
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::DATE32:
      return true;
    default:
      return false;
  }
}

bool IsFloatColumn(const arrow::Array& column) {
  return column.type_id() == arrow::Type::FLOAT || column.type_id() == arrow::Type::DOUBLE;
}

int64_t IntegerAt(const arrow::Array& column, int64_t i) {
  switch (column.type_id()) {
    case arrow::Type::INT32: return checked_cast<const arrow::Int32Array&>(column).Value(i);
    case arrow::Type::DATE32: return checked_cast<const arrow::Date32Array&>(column).Value(i);
    case arrow::Type::TIMESTAMP: return checked_cast<const arrow::TimestampArray&>(column).Value(i);
    default: return checked_cast<const arrow::Int64Array&>(column).Value(i);
  }
}

double FloatAt(const arrow::Array& column, int64_t i) {
  switch (column.type_id()) {
    case arrow::Type::FLOAT: return checked_cast<const arrow::FloatArray&>(column).Value(i);
    case arrow::Type::DOUBLE: return checked_cast<const arrow::DoubleArray&>(column).Value(i);
    default: return static_cast<double>(IntegerAt(column, i));
  }
}

// a < b by value; integers compare exactly, not through double.
bool Less(const arrow::Array& column, int64_t a, int64_t b) {
  if (IsIntegerColumn(column)) return IntegerAt(column, a) < IntegerAt(column, b);
  return FloatAt(column, a) < FloatAt(column, b);
}

bool IsNaN(const arrow::Array& column, int64_t i) {
  return IsFloatColumn(column) && std::isnan(FloatAt(column, i));
}

// The number of different values among `rows` (all non-null). Floats compare by value
// (-0 equals 0; every NaN is one value); other types, lists of floats too, by Arrow's scalar
// equality with the same rule.
int64_t CountDistinct(const arrow::Array& column, const std::vector<int64_t>& rows) {
  if (IsIntegerColumn(column)) {
    std::set<int64_t> seen;
    for (int64_t e : rows) seen.insert(IntegerAt(column, e));
    return static_cast<int64_t>(seen.size());
  }
  if (IsFloatColumn(column)) {
    std::set<double> seen;
    bool nan = false;
    for (int64_t e : rows) {
      const double x = FloatAt(column, e);
      if (std::isnan(x)) {
        nan = true;
      } else {
        seen.insert(x);
      }
    }
    return static_cast<int64_t>(seen.size()) + (nan ? 1 : 0);
  }
  if (column.type_id() == arrow::Type::STRING || column.type_id() == arrow::Type::BINARY) {
    std::set<std::string> seen;
    const auto& binary = checked_cast<const arrow::BinaryArray&>(column);
    for (int64_t e : rows) seen.insert(binary.GetString(e));
    return static_cast<int64_t>(seen.size());
  }
  std::vector<std::shared_ptr<arrow::Scalar>> seen;
  for (int64_t e : rows) {
    auto scalar = *column.GetScalar(e);
    bool found = false;
    for (const auto& s : seen) {
      found = found || s->Equals(*scalar, arrow::EqualOptions::Defaults().nans_equal(true));
    }
    if (!found) seen.push_back(scalar);
  }
  return static_cast<int64_t>(seen.size());
}

// avg over list<float32> by its definition: per item, the double sum of the vectors' items
// over their count, rounded to float32; null when the vectors differ in length.
Status AppendVectorMean(const arrow::Array& column, const std::vector<int64_t>& values,
                        arrow::ArrayBuilder* out) {
  const auto& list = checked_cast<const arrow::ListArray&>(column);
  std::vector<std::vector<float>> vectors;
  for (int64_t e : values) {
    const auto items = list.value_slice(e);
    std::vector<float> v;
    for (int64_t k = 0; k < items->length(); ++k) {
      v.push_back(checked_cast<const arrow::FloatArray&>(*items).Value(k));
    }
    if (!vectors.empty() && v.size() != vectors.front().size()) return out->AppendNull();
    vectors.push_back(std::move(v));
  }
  auto* builder = checked_cast<arrow::ListBuilder*>(out);
  FST_RETURN_NOT_OK(builder->Append());
  auto* items = checked_cast<arrow::FloatBuilder*>(builder->value_builder());
  for (size_t k = 0; k < vectors.front().size(); ++k) {
    double sum = 0;
    for (const auto& v : vectors) sum += v[k];
    FST_RETURN_NOT_OK(items->Append(static_cast<float>(sum / static_cast<double>(vectors.size()))));
  }
  return Status::OK();
}

// Appends the value of `fn` over `rows`, the events in one query's window in PIT order.
Status AppendValue(AggFunction fn, const arrow::Array* column, const std::vector<int64_t>& rows,
                   arrow::ArrayBuilder* out) {
  std::vector<int64_t> values;  // rows with a non-null value
  for (int64_t e : rows) {
    if (column != nullptr && !column->IsNull(e)) values.push_back(e);
  }
  const int64_t n = static_cast<int64_t>(values.size());
  switch (fn) {
    case AggFunction::kCount:
      return out->AppendScalar(
          arrow::Int64Scalar(column == nullptr ? static_cast<int64_t>(rows.size()) : n));
    case AggFunction::kCountDistinct:
      return out->AppendScalar(arrow::Int64Scalar(CountDistinct(*column, values)));
    case AggFunction::kSum: {
      if (n == 0) return out->AppendNull();
      if (arrow::is_integer(column->type_id())) {
        int64_t sum = 0;
        for (int64_t e : values) sum += IntegerAt(*column, e);
        return out->AppendScalar(arrow::Int64Scalar(sum));
      }
      double sum = 0;
      for (int64_t e : values) sum += FloatAt(*column, e);
      return out->AppendScalar(arrow::DoubleScalar(sum));
    }
    case AggFunction::kAvg: {
      if (n == 0) return out->AppendNull();
      if (column->type_id() == arrow::Type::LIST) return AppendVectorMean(*column, values, out);
      double sum = 0;
      for (int64_t e : values) sum += FloatAt(*column, e);
      return out->AppendScalar(arrow::DoubleScalar(sum / static_cast<double>(n)));
    }
    case AggFunction::kStddev: {
      if (n < 2) return out->AppendNull();
      double mean = 0;
      for (int64_t e : values) mean += FloatAt(*column, e);
      mean /= static_cast<double>(n);
      double squares = 0;
      for (int64_t e : values) {
        const double d = FloatAt(*column, e) - mean;
        squares += d * d;
      }
      const double variance = squares / static_cast<double>(n - 1);
      return out->AppendScalar(arrow::DoubleScalar(std::sqrt(variance)));
    }
    case AggFunction::kMin:
    case AggFunction::kMax: {
      // NaN is skipped; when every value is NaN, the last one.
      if (n == 0) return out->AppendNull();
      int64_t best = -1;
      for (int64_t e : values) {
        if (IsNaN(*column, e)) continue;
        if (best < 0 ||
            (fn == AggFunction::kMin ? Less(*column, e, best) : Less(*column, best, e))) {
          best = e;
        }
      }
      if (best < 0) best = values.back();
      FST_ASSIGN_OR_RAISE(auto scalar, column->GetScalar(best));
      return out->AppendScalar(*scalar);
    }
    case AggFunction::kLast:
    case AggFunction::kFirst: {
      if (n == 0) return out->AppendNull();
      const int64_t e = fn == AggFunction::kLast ? values.back() : values.front();
      FST_ASSIGN_OR_RAISE(auto scalar, column->GetScalar(e));
      return out->AppendScalar(*scalar);
    }
  }
  return Status::Invalid("unknown aggregation function");
}

}  // namespace

Result<std::vector<std::shared_ptr<arrow::Array>>> AggregateWindowsReference(
    const Events& events, const std::vector<QueryGroup>& groups, const int64_t* query_ts,
    int64_t num_queries, const std::vector<AggRequest>& requests) {
  // The group of each query; -1: no events, so an empty window.
  std::vector<int64_t> group_of(static_cast<size_t>(num_queries), -1);
  for (size_t g = 0; g < groups.size(); ++g) {
    const QueryGroup& group = groups[g];
    if (group.event_begin < 0 || group.event_begin > group.event_end ||
        group.event_end > events.length || group.query_begin < 0 ||
        group.query_begin > group.query_end || group.query_end > num_queries) {
      return Status::Invalid("query group ", g, " lies outside the events or queries");
    }
    for (int64_t q = group.query_begin; q < group.query_end; ++q) {
      group_of[static_cast<size_t>(q)] = static_cast<int64_t>(g);
    }
  }
  std::vector<std::shared_ptr<arrow::Array>> results;
  for (const AggRequest& r : requests) {
    if (r.column >= static_cast<int>(events.columns.size())) {
      return Status::Invalid("aggregation column index out of range");
    }
    const arrow::Array* column =
        r.column < 0 ? nullptr : events.columns[static_cast<size_t>(r.column)].get();
    std::shared_ptr<arrow::DataType> type;
    if (column == nullptr) {
      if (r.fn != AggFunction::kCount) return Status::Invalid("only count needs no column");
      type = arrow::int64();
    } else {
      FST_ASSIGN_OR_RAISE(auto input, ValueTypeOf(*column->type()));
      FST_ASSIGN_OR_RAISE(auto result, AggResultType(r.fn, input, true));
      const bool keeps_column_type = r.fn == AggFunction::kMin || r.fn == AggFunction::kMax ||
                                     r.fn == AggFunction::kLast || r.fn == AggFunction::kFirst;
      type = keeps_column_type ? column->type() : core::ToArrowType(result);
    }
    FST_ASSIGN_OR_RAISE(auto builder, arrow::MakeBuilder(type));
    for (int64_t q = 0; q < num_queries; ++q) {
      const int64_t g = group_of[static_cast<size_t>(q)];
      std::vector<int64_t> rows;
      if (g >= 0) {
        const QueryGroup& group = groups[static_cast<size_t>(g)];
        for (int64_t e = group.event_begin; e < group.event_end; ++e) {
          if (InWindow(events.ts[e], query_ts[q], r.window_us)) rows.push_back(e);
        }
      }
      FST_RETURN_NOT_OK(AppendValue(r.fn, column, rows, builder.get()));
    }
    FST_ASSIGN_OR_RAISE(auto array, builder->Finish());
    results.push_back(std::move(array));
  }
  return results;
}

}  // namespace fst::transform
