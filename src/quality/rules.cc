#include "rules.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <arrow/builder.h>
#include <arrow/compute/api.h>

#include "featherstone/core/time.h"
#include "value_hash.h"
#include "value_text.h"

namespace fst::quality::internal {
namespace {

namespace cp = arrow::compute;
using definitions::ExpectationKind;
using nlohmann::json;

// A bound as users wrote it: integers without a fraction, timestamps as ISO-8601.
json BoundJson(const std::optional<double>& bound, core::ValueType type) {
  if (!bound.has_value()) return nullptr;
  if (type == core::ValueType::kTimestamp || type == core::ValueType::kDate) {
    return core::FormatTimestamp(static_cast<int64_t>(*bound));
  }
  if (std::abs(*bound) < 9e15 && *bound == std::floor(*bound)) {
    return static_cast<int64_t>(*bound);
  }
  return *bound;
}

std::string BoundText(double bound, core::ValueType type) {
  const json j = BoundJson(bound, type);
  return j.is_string() ? j.get<std::string>() : j.dump();
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Integer bounds for an integer-valued column (ints, dates in days): inclusive [lo, hi] from
// the user's bounds, or `never`.
struct IntBounds {
  std::optional<int64_t> lo, hi;
  bool never = false;
};

IntBounds IntegerBounds(const definitions::Expectation& e, double type_min, double type_max,
                        double scale) {
  IntBounds out;
  if (e.min.has_value()) {
    const double m = *e.min / scale;
    const double lo = e.strict_min ? std::floor(m) + 1 : std::ceil(m);
    if (lo > type_max) out.never = true;
    else if (lo > type_min) out.lo = static_cast<int64_t>(lo);
  }
  if (e.max.has_value()) {
    const double m = *e.max / scale;
    const double hi = e.strict_max ? std::ceil(m) - 1 : std::floor(m);
    if (hi < type_min) out.never = true;
    else if (hi < type_max) out.hi = static_cast<int64_t>(hi);
  }
  if (out.lo && out.hi && *out.lo > *out.hi) out.never = true;
  return out;
}

Status CompileBetween(Rule* rule) {
  const definitions::Expectation& e = rule->expectation;
  const core::ColumnSpec& column = rule->columns[0];
  auto type = core::ToArrowType(column.type);
  switch (column.type) {
    case core::ValueType::kInt32:
    case core::ValueType::kInt64: {
      const bool wide = column.type == core::ValueType::kInt64;
      const double tmin = wide ? -9.2e18 : static_cast<double>(INT32_MIN);
      const double tmax = wide ? 9.2e18 : static_cast<double>(INT32_MAX);
      const IntBounds b = IntegerBounds(e, tmin, tmax, 1.0);
      rule->never = b.never;
      if (b.lo) rule->lower = wide ? arrow::MakeScalar(*b.lo) : arrow::MakeScalar(int32_t(*b.lo));
      if (b.hi) rule->upper = wide ? arrow::MakeScalar(*b.hi) : arrow::MakeScalar(int32_t(*b.hi));
      return Status::OK();
    }
    case core::ValueType::kDate: {
      const IntBounds b = IntegerBounds(e, INT32_MIN, INT32_MAX,
                                        static_cast<double>(core::kMicrosPerDay));
      rule->never = b.never;
      if (b.lo) rule->lower = std::make_shared<arrow::Date32Scalar>(static_cast<int32_t>(*b.lo));
      if (b.hi) rule->upper = std::make_shared<arrow::Date32Scalar>(static_cast<int32_t>(*b.hi));
      return Status::OK();
    }
    case core::ValueType::kTimestamp: {
      const IntBounds b = IntegerBounds(e, -9.2e18, 9.2e18, 1.0);
      rule->never = b.never;
      if (b.lo) rule->lower = std::make_shared<arrow::TimestampScalar>(*b.lo, type);
      if (b.hi) rule->upper = std::make_shared<arrow::TimestampScalar>(*b.hi, type);
      return Status::OK();
    }
    case core::ValueType::kFloat32:
    case core::ValueType::kFloat64: {
      const bool narrow = column.type == core::ValueType::kFloat32;
      auto scalar = [narrow](double v) -> std::shared_ptr<arrow::Scalar> {
        if (narrow) return arrow::MakeScalar(static_cast<float>(v));
        return arrow::MakeScalar(v);
      };
      if (e.min.has_value()) rule->lower = scalar(*e.min);
      if (e.max.has_value()) rule->upper = scalar(*e.max);
      return Status::OK();
    }
    default:
      return Status::Invalid("contract rule ", rule->name, ": between needs a numeric, ",
                             "timestamp or date column");
  }
}

Status CompileInSet(Rule* rule) {
  const core::ColumnSpec& column = rule->columns[0];
  auto type = core::ToArrowType(column.type);
  const auto& values = rule->expectation.values;
  if (column.type == core::ValueType::kTimestamp || column.type == core::ValueType::kDate) {
    std::unique_ptr<arrow::ArrayBuilder> builder;
    FST_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), type, &builder));
    for (const auto& text : values) {
      auto micros = core::ParseTimestamp(text);
      if (!micros.ok()) {
        return Status::Invalid("contract rule ", rule->name, ": value '", text, "': ",
                               micros.status().message());
      }
      if (column.type == core::ValueType::kDate) {
        FST_RETURN_NOT_OK(static_cast<arrow::Date32Builder&>(*builder).Append(
            static_cast<int32_t>(FloorDiv(*micros, core::kMicrosPerDay))));
      } else {
        FST_RETURN_NOT_OK(static_cast<arrow::TimestampBuilder&>(*builder).Append(*micros));
      }
    }
    FST_RETURN_NOT_OK(builder->Finish(&rule->value_set));
    return Status::OK();
  }
  arrow::StringBuilder builder;
  for (const auto& text : values) FST_RETURN_NOT_OK(builder.Append(text));
  std::shared_ptr<arrow::Array> strings;
  FST_RETURN_NOT_OK(builder.Finish(&strings));
  if (column.type == core::ValueType::kString) {
    rule->value_set = strings;
    return Status::OK();
  }
  auto cast = cp::Cast(strings, type);
  if (!cast.ok()) {
    return Status::Invalid("contract rule ", rule->name, ": values are not all ",
                           core::ValueTypeName(column.type), ": ", cast.status().message());
  }
  rule->value_set = cast->make_array();
  return Status::OK();
}

Status CompileRegex(Rule* rule) {
  arrow::StringBuilder builder;
  FST_RETURN_NOT_OK(builder.Append(""));
  std::shared_ptr<arrow::Array> probe;
  FST_RETURN_NOT_OK(builder.Finish(&probe));
  cp::MatchSubstringOptions options(rule->expectation.regex);
  auto result = cp::CallFunction("match_substring_regex", {probe}, &options);
  if (!result.ok()) {
    return Status::Invalid("contract rule ", rule->name, ": bad regex '",
                           rule->expectation.regex, "': ", result.status().message());
  }
  return Status::OK();
}

// Appends the positions whose bit in `bits` is 0 while the validity bit (if any) is 1.
void AppendZeroBits(const uint8_t* bits, const uint8_t* validity, int64_t offset, int64_t length,
                    std::vector<int32_t>* out) {
  if (offset % 8 == 0) {
    const uint8_t* b = bits + offset / 8;
    const uint8_t* v = validity == nullptr ? nullptr : validity + offset / 8;
    const int64_t bytes = (length + 7) / 8;
    for (int64_t k = 0; k < bytes; ++k) {
      uint8_t hit = static_cast<uint8_t>(~b[k]);
      if (v != nullptr) hit &= v[k];
      if (hit == 0) continue;
      for (int bit = 0; bit < 8; ++bit) {
        const int64_t i = k * 8 + bit;
        if (i < length && ((hit >> bit) & 1)) out->push_back(static_cast<int32_t>(i));
      }
    }
    return;
  }
  for (int64_t i = 0; i < length; ++i) {
    const int64_t p = offset + i;
    const bool set = (bits[p / 8] >> (p % 8)) & 1;
    const bool valid = validity == nullptr || ((validity[p / 8] >> (p % 8)) & 1);
    if (valid && !set) out->push_back(static_cast<int32_t>(i));
  }
}

// Rows where a boolean result is false (nulls are not failures).
void AppendFalse(const arrow::BooleanArray& result, std::vector<int32_t>* out) {
  AppendZeroBits(result.values()->data(), result.null_bitmap_data(), result.offset(),
                 result.length(), out);
}

void AppendNulls(const arrow::Array& array, std::vector<int32_t>* out) {
  if (array.null_count() == 0) return;
  if (array.type_id() == arrow::Type::NA) {
    for (int64_t i = 0; i < array.length(); ++i) out->push_back(static_cast<int32_t>(i));
    return;
  }
  AppendZeroBits(array.null_bitmap_data(), nullptr, array.offset(), array.length(), out);
}

Result<std::shared_ptr<arrow::BooleanArray>> Bool(Result<arrow::Datum> datum) {
  FST_ASSIGN_OR_RAISE(arrow::Datum value, std::move(datum));
  return std::static_pointer_cast<arrow::BooleanArray>(value.make_array());
}

bool IsWordType(core::ValueType type) {
  switch (type) {
    case core::ValueType::kBool:
    case core::ValueType::kInt32:
    case core::ValueType::kInt64:
    case core::ValueType::kFloat32:
    case core::ValueType::kFloat64:
    case core::ValueType::kTimestamp:
    case core::ValueType::kDate:
      return true;
    default:
      return false;
  }
}

uint64_t FloatWord(double v) {
  if (v == 0) v = 0;  // -0.0 equals 0.0
  if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
  uint64_t word;
  std::memcpy(&word, &v, sizeof(v));
  return word;
}

// Writes the key word of every row of `array` to out[i * stride] (null rows: anything).
void FillWords(const arrow::Array& array, uint64_t* out, int stride) {
  const int64_t n = array.length();
  switch (array.type_id()) {
    case arrow::Type::INT64:
    case arrow::Type::TIMESTAMP: {
      const int64_t* v = array.data()->GetValues<int64_t>(1);
      for (int64_t i = 0; i < n; ++i) out[i * stride] = static_cast<uint64_t>(v[i]);
      break;
    }
    case arrow::Type::INT32:
    case arrow::Type::DATE32: {
      const int32_t* v = array.data()->GetValues<int32_t>(1);
      for (int64_t i = 0; i < n; ++i) out[i * stride] = static_cast<uint64_t>(int64_t{v[i]});
      break;
    }
    case arrow::Type::DOUBLE: {
      const double* v = array.data()->GetValues<double>(1);
      for (int64_t i = 0; i < n; ++i) out[i * stride] = FloatWord(v[i]);
      break;
    }
    case arrow::Type::FLOAT: {
      const float* v = array.data()->GetValues<float>(1);
      for (int64_t i = 0; i < n; ++i) out[i * stride] = FloatWord(v[i]);
      break;
    }
    case arrow::Type::BOOL: {
      const auto& bools = static_cast<const arrow::BooleanArray&>(array);
      for (int64_t i = 0; i < n; ++i) out[i * stride] = bools.Value(i) ? 1 : 0;
      break;
    }
    default:
      break;
  }
}

// Appends a self-delimiting encoding of row `i` of `array` to `key` (byte keys).
void AppendKey(const arrow::Array& array, int64_t i, std::string* key) {
  if (array.type_id() != arrow::Type::STRING && array.type_id() != arrow::Type::BINARY) {
    uint64_t word = 0;
    FillWords(*array.Slice(i, 1), &word, 1);
    key->append(reinterpret_cast<const char*>(&word), sizeof(word));
    return;
  }
  const std::string_view bytes = static_cast<const arrow::BinaryArray&>(array).GetView(i);
  const uint32_t length = static_cast<uint32_t>(bytes.size());
  key->append(reinterpret_cast<const char*>(&length), sizeof(length));
  key->append(bytes);
}

// Inserts every row's key, failing the rows whose key was seen before. Hashes are computed
// first so that the slot of the row 16 ahead can be prefetched (the table outgrows the cache).
Status EvaluateUnique(Rule& rule, const std::vector<std::shared_ptr<arrow::Array>>& arrays,
                      std::vector<int32_t>* failing, int64_t* missing) {
  constexpr int64_t kAhead = 16;
  const int64_t n = arrays[0]->length();
  std::vector<uint8_t> skip;
  for (const auto& a : arrays) {
    if (a->null_count() == 0) continue;
    skip.resize(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i) skip[static_cast<size_t>(i)] |= a->IsNull(i);
  }
  auto skipped = [&](int64_t i) { return !skip.empty() && skip[static_cast<size_t>(i)]; };
  UniqueSet& seen = *rule.seen;
  seen.Reserve(n);
  std::vector<uint64_t> hashes(static_cast<size_t>(n));
  const int words = seen.words();
  if (words > 0) {
    std::vector<uint64_t> keys(static_cast<size_t>(n * words));
    for (int c = 0; c < words; ++c) FillWords(*arrays[static_cast<size_t>(c)], keys.data() + c, words);
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t* key = &keys[static_cast<size_t>(i * words)];
      uint64_t h = HashFixedValue(key[0]);
      for (int c = 1; c < words; ++c) h = HashCombine(h, key[c]);
      hashes[static_cast<size_t>(i)] = h;
    }
    for (int64_t i = 0; i < n; ++i) {
      if (i + kAhead < n) seen.Prefetch(hashes[static_cast<size_t>(i + kAhead)]);
      if (skipped(i)) {
        ++*missing;
        continue;
      }
      const uint64_t* key = &keys[static_cast<size_t>(i * words)];
      if (!seen.InsertWords(key, hashes[static_cast<size_t>(i)])) {
        failing->push_back(static_cast<int32_t>(i));
      }
    }
    return Status::OK();
  }
  std::string scratch;
  std::vector<size_t> ends(static_cast<size_t>(n));
  const auto* single = arrays.size() == 1 ? static_cast<const arrow::BinaryArray*>(arrays[0].get())
                                          : nullptr;
  for (int64_t i = 0; i < n; ++i) {
    if (single != nullptr) {
      scratch.append(single->GetView(i));
    } else if (!skipped(i)) {
      for (const auto& a : arrays) AppendKey(*a, i, &scratch);
    }
    ends[static_cast<size_t>(i)] = scratch.size();
  }
  auto key_of = [&](int64_t i) {
    const size_t begin = i == 0 ? 0 : ends[static_cast<size_t>(i - 1)];
    return std::string_view(scratch).substr(begin, ends[static_cast<size_t>(i)] - begin);
  };
  for (int64_t i = 0; i < n; ++i) hashes[static_cast<size_t>(i)] = HashBytes(key_of(i));
  for (int64_t i = 0; i < n; ++i) {
    if (i + kAhead < n) seen.Prefetch(hashes[static_cast<size_t>(i + kAhead)]);
    if (skipped(i)) {
      ++*missing;
      continue;
    }
    if (!seen.InsertBytes(key_of(i), hashes[static_cast<size_t>(i)])) {
      failing->push_back(static_cast<int32_t>(i));
    }
  }
  return Status::OK();
}

std::string ColumnList(const Rule& rule) {
  std::string out;
  for (const auto& c : rule.columns) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

}  // namespace

Result<std::unique_ptr<Rule>> CompileRule(const definitions::Expectation& e,
                                          const definitions::Source& source) {
  auto rule = std::make_unique<Rule>();
  rule->expectation = e;
  if (e.kind == ExpectationKind::kFreshnessMax && e.columns.empty()) {
    rule->expectation.columns = {source.timestamp_field};
  }
  rule->name = rule->expectation.RuleName();
  rule->row_level = definitions::IsRowLevel(e.kind);
  rule->error = e.severity == definitions::Severity::kError;
  rule->hard = rule->error && e.mostly >= 1.0;
  for (const auto& name : rule->expectation.columns) {
    const core::ColumnSpec* column = core::FindColumn(source.schema, name);
    if (column == nullptr) {
      return Status::Invalid("contract rule ", rule->name, ": column '", name,
                             "' is not in source '", source.name, "'");
    }
    rule->columns.push_back(*column);
  }
  switch (e.kind) {
    case ExpectationKind::kBetween: FST_RETURN_NOT_OK(CompileBetween(rule.get())); break;
    case ExpectationKind::kInSet: FST_RETURN_NOT_OK(CompileInSet(rule.get())); break;
    case ExpectationKind::kRegex: FST_RETURN_NOT_OK(CompileRegex(rule.get())); break;
    case ExpectationKind::kUnique: {
      bool words = true;
      for (const auto& column : rule->columns) words = words && IsWordType(column.type);
      rule->seen = std::make_unique<UniqueSet>(words ? static_cast<int>(rule->columns.size()) : 0);
      break;
    }
    default: break;
  }
  return rule;
}

Result<std::vector<int32_t>> EvaluateRowRule(Rule& rule, const arrow::RecordBatch& batch,
                                             const arrow::Int64Array& rows) {
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (const auto& column : rule.columns) {
    auto array = batch.GetColumnByName(column.name);
    if (array == nullptr) {
      return Status::Invalid("contract rule ", rule.name, ": the batch has no column '",
                             column.name, "'");
    }
    arrays.push_back(std::move(array));
  }
  const int64_t n = batch.num_rows();
  std::vector<int32_t> failing;
  int64_t missing = 0;
  const definitions::Expectation& e = rule.expectation;
  switch (e.kind) {
    case ExpectationKind::kNotNull:
      AppendNulls(*arrays[0], &failing);
      break;
    case ExpectationKind::kUnique:
      FST_RETURN_NOT_OK(EvaluateUnique(rule, arrays, &failing, &missing));
      break;
    case ExpectationKind::kBetween: {
      const auto& array = arrays[0];
      missing = array->null_count();
      if (rule.never) {
        for (int64_t i = 0; i < n; ++i) {
          if (array->IsValid(i)) failing.push_back(static_cast<int32_t>(i));
        }
        break;
      }
      // Integer-valued columns got inclusive bounds at compile time.
      const bool floating = array->type_id() == arrow::Type::FLOAT ||
                            array->type_id() == arrow::Type::DOUBLE;
      std::shared_ptr<arrow::BooleanArray> ok;
      if (rule.lower != nullptr) {
        const char* fn = floating && e.strict_min ? "greater" : "greater_equal";
        FST_ASSIGN_OR_RAISE(ok, Bool(cp::CallFunction(fn, {array, rule.lower})));
      }
      if (rule.upper != nullptr) {
        const char* fn = floating && e.strict_max ? "less" : "less_equal";
        FST_ASSIGN_OR_RAISE(auto upper, Bool(cp::CallFunction(fn, {array, rule.upper})));
        if (ok == nullptr) {
          ok = upper;
        } else {
          FST_ASSIGN_OR_RAISE(ok, Bool(cp::CallFunction("and", {ok, upper})));
        }
      }
      if (ok != nullptr) {
        AppendFalse(*ok, &failing);
      } else if (floating) {
        // Bounds wider than the type: only NaN fails.
        FST_ASSIGN_OR_RAISE(auto nan, Bool(cp::CallFunction("is_nan", {array})));
        FST_ASSIGN_OR_RAISE(auto not_nan, Bool(cp::CallFunction("invert", {nan})));
        AppendFalse(*not_nan, &failing);
      }
      break;
    }
    case ExpectationKind::kInSet: {
      const auto& array = arrays[0];
      missing = array->null_count();
      cp::SetLookupOptions options(rule.value_set, cp::SetLookupOptions::EMIT_NULL);
      FST_ASSIGN_OR_RAISE(auto found, Bool(cp::CallFunction("is_in", {array}, &options)));
      AppendFalse(*found, &failing);
      break;
    }
    case ExpectationKind::kRegex: {
      const auto& array = arrays[0];
      missing = array->null_count();
      cp::MatchSubstringOptions options(e.regex);
      FST_ASSIGN_OR_RAISE(auto match,
                          Bool(cp::CallFunction("match_substring_regex", {array}, &options)));
      AppendFalse(*match, &failing);
      break;
    }
    default:
      return Status::Invalid("contract rule ", rule.name, " is not row-level");
  }
  rule.element_count += n;
  rule.missing_count += missing;
  rule.unexpected_count += static_cast<int64_t>(failing.size());
  for (int32_t i : failing) {
    if (rule.partial_unexpected_rows.size() >= kPartialListSize) break;
    if (arrays.size() == 1) {
      rule.partial_unexpected_list.push_back(ValueJson(*arrays[0], i));
    } else {
      json key = json::array();
      for (const auto& a : arrays) key.push_back(ValueJson(*a, i));
      rule.partial_unexpected_list.push_back(std::move(key));
    }
    rule.partial_unexpected_rows.push_back(rows.Value(i));
  }
  return failing;
}

std::string FailureReason(const Rule& rule, const arrow::RecordBatch& batch, int64_t i) {
  const definitions::Expectation& e = rule.expectation;
  const std::string& name = rule.columns.empty() ? std::string() : rule.columns[0].name;
  auto array = name.empty() ? nullptr : batch.GetColumnByName(name);
  const std::string value = array == nullptr ? "?" : ValueText(*array, i);
  switch (e.kind) {
    case ExpectationKind::kNotNull:
      return name + " is null" + (rule.implicit.empty() ? "" : " (" + rule.implicit + ")");
    case ExpectationKind::kUnique: {
      if (rule.columns.size() == 1) return name + "=" + value + " repeats an earlier row";
      std::string values;
      for (const auto& c : rule.columns) {
        auto a = batch.GetColumnByName(c.name);
        values += (values.empty() ? "" : ", ") + (a == nullptr ? "?" : ValueText(*a, i));
      }
      return "(" + ColumnList(rule) + ")=(" + values + ") repeats an earlier row";
    }
    case ExpectationKind::kBetween: {
      const core::ValueType type = rule.columns[0].type;
      double v = 0;
      if (array != nullptr) {
        auto scalar = array->GetScalar(i);
        if (scalar.ok()) {
          auto as_double = (*scalar)->CastTo(arrow::float64());
          if (type == core::ValueType::kTimestamp) {
            v = static_cast<double>(static_cast<const arrow::TimestampArray&>(*array).Value(i));
          } else if (type == core::ValueType::kDate) {
            v = static_cast<double>(static_cast<const arrow::Date32Array&>(*array).Value(i)) *
                static_cast<double>(core::kMicrosPerDay);
          } else if (as_double.ok()) {
            v = static_cast<const arrow::DoubleScalar&>(**as_double).value;
          }
        }
      }
      if (std::isnan(v)) return name + "=" + value + " is not a number";
      if (e.min.has_value() && (v < *e.min || (e.strict_min && v <= *e.min))) {
        return name + "=" + value + (e.strict_min ? " is not above min " : " is below min ") +
               BoundText(*e.min, type);
      }
      if (e.max.has_value()) {
        return name + "=" + value + (e.strict_max ? " is not below max " : " is above max ") +
               BoundText(*e.max, type);
      }
      return name + "=" + value + " is out of range";
    }
    case ExpectationKind::kInSet: {
      std::string set;
      const size_t shown = std::min<size_t>(e.values.size(), 10);
      for (size_t k = 0; k < shown; ++k) set += (k ? ", " : "") + e.values[k];
      if (shown < e.values.size()) set += ", ...";
      return name + "=" + value + " is not in [" + set + "]";
    }
    case ExpectationKind::kRegex:
      return name + "=" + value + " does not match regex '" + e.regex + "'";
    default:
      return rule.name;
  }
}

std::string ExpectationType(const Rule& rule) {
  switch (rule.expectation.kind) {
    case ExpectationKind::kNotNull: return "expect_column_values_to_not_be_null";
    case ExpectationKind::kUnique:
      return rule.columns.size() > 1 ? "expect_compound_columns_to_be_unique"
                                     : "expect_column_values_to_be_unique";
    case ExpectationKind::kBetween: return "expect_column_values_to_be_between";
    case ExpectationKind::kInSet: return "expect_column_values_to_be_in_set";
    case ExpectationKind::kRegex: return "expect_column_values_to_match_regex";
    case ExpectationKind::kNullRateMax: return "expect_column_null_rate_to_be_at_most";
    case ExpectationKind::kRowCountBetween: return "expect_table_row_count_to_be_between";
    case ExpectationKind::kFreshnessMax: return "expect_column_newest_value_to_be_within";
    case ExpectationKind::kMeanBetween: return "expect_column_mean_to_be_between";
  }
  return "?";
}

json ExpectationKwargs(const Rule& rule) {
  const definitions::Expectation& e = rule.expectation;
  json kwargs = json::object();
  const core::ValueType type =
      rule.columns.empty() ? core::ValueType::kFloat64 : rule.columns[0].type;
  if (e.kind == ExpectationKind::kUnique && rule.columns.size() > 1) {
    json list = json::array();
    for (const auto& c : rule.columns) list.push_back(c.name);
    kwargs["column_list"] = std::move(list);
  } else if (!rule.columns.empty()) {
    kwargs["column"] = rule.columns[0].name;
  }
  switch (e.kind) {
    case ExpectationKind::kBetween:
      kwargs["min_value"] = BoundJson(e.min, type);
      kwargs["max_value"] = BoundJson(e.max, type);
      kwargs["strict_min"] = e.strict_min;
      kwargs["strict_max"] = e.strict_max;
      break;
    case ExpectationKind::kInSet:
      kwargs["value_set"] = e.values;
      break;
    case ExpectationKind::kRegex:
      kwargs["regex"] = e.regex;
      break;
    case ExpectationKind::kNullRateMax:
      kwargs["max_value"] = BoundJson(e.max, core::ValueType::kFloat64);
      break;
    case ExpectationKind::kRowCountBetween:
    case ExpectationKind::kMeanBetween:
      kwargs["min_value"] = BoundJson(e.min, core::ValueType::kFloat64);
      kwargs["max_value"] = BoundJson(e.max, core::ValueType::kFloat64);
      break;
    case ExpectationKind::kFreshnessMax:
      kwargs["max_age"] = core::FormatDuration(e.max_age_us);
      break;
    default:
      break;
  }
  if (rule.row_level) kwargs["mostly"] = e.mostly;
  return kwargs;
}

}  // namespace fst::quality::internal
