#include "coerce.h"

#include <charconv>
#include <limits>
#include <string>
#include <utility>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_nested.h>
#include <arrow/array/util.h>
#include <arrow/buffer.h>
#include <arrow/builder.h>
#include <arrow/compute/cast.h>
#include <arrow/type.h>
#include <arrow/util/bit_util.h>

#include "connector_internal.h"
#include "featherstone/core/time.h"
#include "json_values.h"

namespace fst::connectors::internal {
namespace {

using core::ColumnSpec;
using core::ValueType;

constexpr size_t kMaxShownValue = 80;

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  text = TrimBlanks(text);
  if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

Status TypeError(std::string_view file, const ColumnSpec& spec, const arrow::DataType& from) {
  return Status::Invalid(file, ": ", ColumnLabel(spec), ": cannot read ", from.ToString(),
                         " values as ", core::ValueTypeName(spec.type));
}

// Values and validity of a fixed-width output column under construction.
template <typename T>
class FixedOutput {
 public:
  Status Init(int64_t length) {
    FST_ASSIGN_OR_RAISE(values_, arrow::AllocateBuffer(length * sizeof(T)));
    FST_ASSIGN_OR_RAISE(validity_, arrow::AllocateEmptyBitmap(length));
    length_ = length;
    data_ = reinterpret_cast<T*>(values_->mutable_data());
    bits_ = validity_->mutable_data();
    return Status::OK();
  }
  void Set(int64_t i, T value) {
    data_[i] = value;
    arrow::bit_util::SetBit(bits_, i);
  }
  void SetNull(int64_t i) {
    data_[i] = T{};
    ++null_count_;
  }
  std::shared_ptr<arrow::Array> Finish(std::shared_ptr<arrow::DataType> type) {
    return arrow::MakeArray(arrow::ArrayData::Make(
        std::move(type), length_,
        {null_count_ > 0 ? std::move(validity_) : nullptr, std::move(values_)}, null_count_));
  }

 private:
  std::shared_ptr<arrow::Buffer> values_;
  std::shared_ptr<arrow::Buffer> validity_;
  T* data_ = nullptr;
  uint8_t* bits_ = nullptr;
  int64_t length_ = 0;
  int64_t null_count_ = 0;
};

// Bit-packed values and validity of a boolean output column under construction.
class BoolOutput {
 public:
  Status Init(int64_t length) {
    FST_ASSIGN_OR_RAISE(values_, arrow::AllocateEmptyBitmap(length));
    FST_ASSIGN_OR_RAISE(validity_, arrow::AllocateEmptyBitmap(length));
    length_ = length;
    return Status::OK();
  }
  void Set(int64_t i, bool value) {
    arrow::bit_util::SetBitTo(values_->mutable_data(), i, value);
    arrow::bit_util::SetBit(validity_->mutable_data(), i);
  }
  void SetNull(int64_t) { ++null_count_; }
  std::shared_ptr<arrow::Array> Finish(std::shared_ptr<arrow::DataType> type) {
    return arrow::MakeArray(arrow::ArrayData::Make(
        std::move(type), length_,
        {null_count_ > 0 ? std::move(validity_) : nullptr, std::move(values_)}, null_count_));
  }

 private:
  std::shared_ptr<arrow::Buffer> values_;
  std::shared_ptr<arrow::Buffer> validity_;
  int64_t length_ = 0;
  int64_t null_count_ = 0;
};

// Calls convert(i, out) for every non-null element of `input`; nulls stay null.
template <typename Out, typename Convert>
Result<std::shared_ptr<arrow::Array>> MapValues(const arrow::Array& input,
                                                std::shared_ptr<arrow::DataType> type,
                                                Convert&& convert) {
  Out out;
  FST_RETURN_NOT_OK(out.Init(input.length()));
  const bool has_nulls = input.null_count() > 0;
  for (int64_t i = 0; i < input.length(); ++i) {
    if (has_nulls && input.IsNull(i)) {
      out.SetNull(i);
      continue;
    }
    FST_RETURN_NOT_OK(convert(i, out));
  }
  return out.Finish(std::move(type));
}

// Reads each non-null element of `input` with `to_string(i, &scratch)` into a utf8 column.
template <typename ToString>
Result<std::shared_ptr<arrow::Array>> MapToStrings(const arrow::Array& input,
                                                   ToString&& to_string) {
  arrow::StringBuilder builder;
  FST_RETURN_NOT_OK(builder.Reserve(input.length()));
  std::string scratch;
  for (int64_t i = 0; i < input.length(); ++i) {
    if (input.IsNull(i)) {
      FST_RETURN_NOT_OK(builder.AppendNull());
      continue;
    }
    scratch.clear();
    to_string(i, &scratch);
    FST_RETURN_NOT_OK(builder.Append(scratch));
  }
  std::shared_ptr<arrow::Array> out;
  FST_RETURN_NOT_OK(builder.Finish(&out));
  return out;
}

template <typename T>
void AppendNumber(T value, std::string* out) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, ptr);
}

// Context of one CoerceColumn call.
struct Target {
  const ColumnSpec& spec;
  std::string_view file;
  int64_t first_row;
  std::shared_ptr<arrow::DataType> type;

  int64_t Row(int64_t i) const { return first_row + i + 1; }
};

template <typename ArrayT>
Result<std::shared_ptr<arrow::Array>> FromText(const ArrayT& input, const Target& t) {
  // Empty text is null for typed targets; the raw (untrimmed) value goes into messages.
  auto parse = [&](auto parse_one) {
    return [&input, &t, parse_one](int64_t i, auto& out) -> Status {
      const std::string_view raw = input.GetView(i);
      const std::string_view text = TrimBlanks(raw);
      if (text.empty()) {
        out.SetNull(i);
        return Status::OK();
      }
      if (!parse_one(text, i, out)) {
        return ValueError(t.file, t.Row(i), t.spec, raw, InvalidTextDetail(t.spec.type, raw));
      }
      return Status::OK();
    };
  };
  switch (t.spec.type) {
    case ValueType::kBool:
      return MapValues<BoolOutput>(input, t.type,
                                   parse([](std::string_view s, int64_t i, BoolOutput& out) {
                                     bool v;
                                     if (!ParseBoolText(s, &v)) return false;
                                     out.Set(i, v);
                                     return true;
                                   }));
    case ValueType::kInt32:
      return MapValues<FixedOutput<int32_t>>(
          input, t.type, parse([](std::string_view s, int64_t i, FixedOutput<int32_t>& out) {
            int32_t v;
            if (!ParseNumber(s, &v)) return false;
            out.Set(i, v);
            return true;
          }));
    case ValueType::kInt64:
      return MapValues<FixedOutput<int64_t>>(
          input, t.type, parse([](std::string_view s, int64_t i, FixedOutput<int64_t>& out) {
            int64_t v;
            if (!ParseNumber(s, &v)) return false;
            out.Set(i, v);
            return true;
          }));
    case ValueType::kFloat32:
      return MapValues<FixedOutput<float>>(
          input, t.type, parse([](std::string_view s, int64_t i, FixedOutput<float>& out) {
            float v;
            if (!ParseNumber(s, &v)) return false;
            out.Set(i, v);
            return true;
          }));
    case ValueType::kFloat64:
      return MapValues<FixedOutput<double>>(
          input, t.type, parse([](std::string_view s, int64_t i, FixedOutput<double>& out) {
            double v;
            if (!ParseNumber(s, &v)) return false;
            out.Set(i, v);
            return true;
          }));
    case ValueType::kTimestamp:
      return MapValues<FixedOutput<int64_t>>(
          input, t.type, parse([](std::string_view s, int64_t i, FixedOutput<int64_t>& out) {
            Result<int64_t> v = core::ParseTimestamp(s);
            if (!v.ok()) return false;
            out.Set(i, *v);
            return true;
          }));
    case ValueType::kDate:
      return MapValues<FixedOutput<int32_t>>(
          input, t.type, parse([](std::string_view s, int64_t i, FixedOutput<int32_t>& out) {
            int32_t v;
            if (!ParseDateText(s, &v)) return false;
            out.Set(i, v);
            return true;
          }));
    case ValueType::kString:
    case ValueType::kBytes: {
      FST_RETURN_NOT_OK(EnsureCompute());
      auto cast = arrow::compute::Cast(input, t.type);
      if (!cast.ok()) {
        return Status::Invalid(t.file, ": column '", t.spec.name, "': ", cast.status().message());
      }
      return cast;
    }
    case ValueType::kListFloat32:
    case ValueType::kListString: {
      std::unique_ptr<arrow::ArrayBuilder> builder;
      FST_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), t.type, &builder));
      JsonDocument document;
      for (int64_t i = 0; i < input.length(); ++i) {
        const std::string_view raw = input.IsNull(i) ? std::string_view() : input.GetView(i);
        if (TrimBlanks(raw).empty()) {
          FST_RETURN_NOT_OK(builder->AppendNull());
          continue;
        }
        if (!document.Parse(raw).ok() || document.root().kind() != JsonKind::kArray) {
          return ValueError(t.file, t.Row(i), t.spec, raw,
                            "expected a JSON array such as [0.5, 1.5] or [\"a\", \"b\"]");
        }
        FST_RETURN_NOT_OK(
            AppendJsonValue(document.root(), t.spec, t.file, t.Row(i), builder.get()));
      }
      return builder->Finish();
    }
  }
  return TypeError(t.file, t.spec, *input.type());
}

template <typename ArrowType>
Result<std::shared_ptr<arrow::Array>> FromInteger(const arrow::Array& array, const Target& t) {
  using C = typename ArrowType::c_type;
  const auto& input = static_cast<const arrow::NumericArray<ArrowType>&>(array);
  const C* values = input.raw_values();
  auto shown = [&](int64_t i) { return std::to_string(values[i]); };
  // Narrowing checks that compile away when the input type fits.
  auto fits = [](C v, auto min, auto max) {
    if constexpr (std::is_signed_v<C>) {
      return static_cast<int64_t>(v) >= static_cast<int64_t>(min) &&
             static_cast<int64_t>(v) <= static_cast<int64_t>(max);
    } else {
      return static_cast<uint64_t>(v) <= static_cast<uint64_t>(max);
    }
  };
  switch (t.spec.type) {
    case ValueType::kBool:
      return MapValues<BoolOutput>(input, t.type, [&](int64_t i, BoolOutput& out) -> Status {
        if (values[i] != 0 && values[i] != 1) {
          return ValueError(t.file, t.Row(i), t.spec, shown(i), "expected 0 or 1");
        }
        out.Set(i, values[i] == 1);
        return Status::OK();
      });
    case ValueType::kInt32:
      return MapValues<FixedOutput<int32_t>>(
          input, t.type, [&](int64_t i, FixedOutput<int32_t>& out) -> Status {
            if (!fits(values[i], std::numeric_limits<int32_t>::min(),
                      std::numeric_limits<int32_t>::max())) {
              return ValueError(t.file, t.Row(i), t.spec, shown(i), "out of range");
            }
            out.Set(i, static_cast<int32_t>(values[i]));
            return Status::OK();
          });
    case ValueType::kInt64:
    case ValueType::kTimestamp: {
      const bool epoch = t.spec.type == ValueType::kTimestamp;
      return MapValues<FixedOutput<int64_t>>(
          input, t.type, [&](int64_t i, FixedOutput<int64_t>& out) -> Status {
            if (!fits(values[i], std::numeric_limits<int64_t>::min(),
                      std::numeric_limits<int64_t>::max())) {
              return ValueError(t.file, t.Row(i), t.spec, shown(i), "out of range");
            }
            const auto v = static_cast<int64_t>(values[i]);
            out.Set(i, epoch ? core::EpochToMicros(v) : v);
            return Status::OK();
          });
    }
    case ValueType::kFloat32:
      return MapValues<FixedOutput<float>>(input, t.type, [&](int64_t i, FixedOutput<float>& out) {
        out.Set(i, static_cast<float>(values[i]));
        return Status::OK();
      });
    case ValueType::kFloat64:
      return MapValues<FixedOutput<double>>(input, t.type,
                                            [&](int64_t i, FixedOutput<double>& out) {
                                              out.Set(i, static_cast<double>(values[i]));
                                              return Status::OK();
                                            });
    case ValueType::kString:
      return MapToStrings(input, [&](int64_t i, std::string* s) { AppendNumber(values[i], s); });
    default:
      return TypeError(t.file, t.spec, *input.type());
  }
}

template <typename ArrowType>
Result<std::shared_ptr<arrow::Array>> FromFloat(const arrow::Array& array, const Target& t) {
  const auto& input = static_cast<const arrow::NumericArray<ArrowType>&>(array);
  const auto* values = input.raw_values();
  switch (t.spec.type) {
    case ValueType::kFloat32:
      return MapValues<FixedOutput<float>>(input, t.type, [&](int64_t i, FixedOutput<float>& out) {
        out.Set(i, static_cast<float>(values[i]));
        return Status::OK();
      });
    case ValueType::kFloat64:
      return MapValues<FixedOutput<double>>(input, t.type,
                                            [&](int64_t i, FixedOutput<double>& out) {
                                              out.Set(i, static_cast<double>(values[i]));
                                              return Status::OK();
                                            });
    case ValueType::kString:
      return MapToStrings(input, [&](int64_t i, std::string* s) { AppendNumber(values[i], s); });
    default:
      return TypeError(t.file, t.spec, *input.type());
  }
}

Result<std::shared_ptr<arrow::Array>> FromBool(const arrow::Array& array, const Target& t) {
  const auto& input = static_cast<const arrow::BooleanArray&>(array);
  if (t.spec.type == ValueType::kString) {
    return MapToStrings(
        input, [&](int64_t i, std::string* s) { s->append(input.Value(i) ? "true" : "false"); });
  }
  return TypeError(t.file, t.spec, *input.type());
}

// Timestamps and dates, as `values` in units of `micros_per_unit` (a negative value -n means
// 1/n µs: nanoseconds are -1000).
template <typename T>
Result<std::shared_ptr<arrow::Array>> FromTime(const arrow::Array& input, const T* values,
                                               int64_t micros_per_unit, const Target& t) {
  auto to_micros = [&](int64_t v, int64_t* out) {
    if (micros_per_unit < 0) {
      *out = FloorDiv(v, -micros_per_unit);
      return true;
    }
    return !__builtin_mul_overflow(v, micros_per_unit, out);
  };
  // Converts each value to µs, then with `from_micros` to the output.
  auto convert = [&](auto from_micros) {
    return [&, from_micros](int64_t i, auto& out) -> Status {
      int64_t micros;
      if (!to_micros(values[i], &micros)) {
        return ValueError(t.file, t.Row(i), t.spec, std::to_string(values[i]), "out of range");
      }
      out.Set(i, from_micros(micros));
      return Status::OK();
    };
  };
  switch (t.spec.type) {
    case ValueType::kTimestamp:
      return MapValues<FixedOutput<int64_t>>(input, t.type,
                                             convert([](int64_t micros) { return micros; }));
    case ValueType::kDate:
      return MapValues<FixedOutput<int32_t>>(input, t.type, convert(MicrosToDays));
    case ValueType::kString: {
      const bool date =
          input.type()->id() == arrow::Type::DATE32 || input.type()->id() == arrow::Type::DATE64;
      return MapToStrings(input, [&](int64_t i, std::string* s) {
        int64_t micros = 0;
        to_micros(values[i], &micros);
        const std::string text = core::FormatTimestamp(micros);
        s->append(date ? text.substr(0, text.find('T')) : text);
      });
    }
    default:
      return TypeError(t.file, t.spec, *input.type());
  }
}

Result<std::shared_ptr<arrow::Array>> Dispatch(const arrow::Array& input, const Target& t) {
  switch (input.type_id()) {
    case arrow::Type::STRING:
      return FromText(static_cast<const arrow::StringArray&>(input), t);
    case arrow::Type::LARGE_STRING:
      return FromText(static_cast<const arrow::LargeStringArray&>(input), t);
    case arrow::Type::BINARY:
      return FromText(static_cast<const arrow::BinaryArray&>(input), t);
    case arrow::Type::LARGE_BINARY:
      return FromText(static_cast<const arrow::LargeBinaryArray&>(input), t);
    case arrow::Type::INT8:
      return FromInteger<arrow::Int8Type>(input, t);
    case arrow::Type::INT16:
      return FromInteger<arrow::Int16Type>(input, t);
    case arrow::Type::INT32:
      return FromInteger<arrow::Int32Type>(input, t);
    case arrow::Type::INT64:
      return FromInteger<arrow::Int64Type>(input, t);
    case arrow::Type::UINT8:
      return FromInteger<arrow::UInt8Type>(input, t);
    case arrow::Type::UINT16:
      return FromInteger<arrow::UInt16Type>(input, t);
    case arrow::Type::UINT32:
      return FromInteger<arrow::UInt32Type>(input, t);
    case arrow::Type::UINT64:
      return FromInteger<arrow::UInt64Type>(input, t);
    case arrow::Type::FLOAT:
      return FromFloat<arrow::FloatType>(input, t);
    case arrow::Type::DOUBLE:
      return FromFloat<arrow::DoubleType>(input, t);
    case arrow::Type::BOOL:
      return FromBool(input, t);
    case arrow::Type::TIMESTAMP: {
      static constexpr int64_t kMicrosPerUnit[] = {core::kMicrosPerSecond, 1000, 1, -1000};
      const auto unit = static_cast<const arrow::TimestampType&>(*input.type()).unit();
      const auto* values = static_cast<const arrow::TimestampArray&>(input).raw_values();
      if (t.spec.type == ValueType::kTimestamp && unit == arrow::TimeUnit::MICRO) {
        auto data = input.data()->Copy();
        data->type = t.type;
        return arrow::MakeArray(std::move(data));
      }
      return FromTime(input, values, kMicrosPerUnit[static_cast<int>(unit)], t);
    }
    case arrow::Type::DATE32:
      return FromTime(input, static_cast<const arrow::Date32Array&>(input).raw_values(),
                      core::kMicrosPerDay, t);
    case arrow::Type::DATE64:
      return FromTime(input, static_cast<const arrow::Date64Array&>(input).raw_values(), 1000, t);
    case arrow::Type::NA:
      return arrow::MakeArrayOfNull(t.type, input.length());
    case arrow::Type::DICTIONARY:
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST:
    case arrow::Type::FIXED_SIZE_LIST: {
      FST_RETURN_NOT_OK(EnsureCompute());
      const bool to_list =
          t.spec.type == ValueType::kListFloat32 || t.spec.type == ValueType::kListString;
      if (input.type_id() != arrow::Type::DICTIONARY && !to_list) break;
      const auto& value_type =
          input.type_id() == arrow::Type::DICTIONARY
              ? static_cast<const arrow::DictionaryType&>(*input.type()).value_type()
              : t.type;
      auto cast = arrow::compute::Cast(input, value_type);
      if (!cast.ok()) break;
      if (input.type_id() != arrow::Type::DICTIONARY) return cast;
      return Dispatch(**cast, t);
    }
    default: {
      // Decimals, half floats and the like: Arrow's checked cast, when it has one.
      FST_RETURN_NOT_OK(EnsureCompute());
      auto cast = arrow::compute::Cast(input, t.type);
      if (cast.ok()) return cast;
      break;
    }
  }
  return TypeError(t.file, t.spec, *input.type());
}

}  // namespace

std::string_view TrimBlanks(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

bool IsIntegerText(std::string_view text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string_view InvalidTextDetail(ValueType type, std::string_view text) {
  switch (type) {
    case ValueType::kBool:
      return "expected true/false, 1/0 or yes/no";
    case ValueType::kInt32:
    case ValueType::kInt64:
      return IsIntegerText(TrimBlanks(text)) ? "out of range" : "";
    case ValueType::kTimestamp:
      return "expected ISO-8601 such as 2026-01-02T03:04:05Z, or epoch seconds/ms/us";
    case ValueType::kDate:
      return "expected an ISO-8601 date such as 2026-01-02";
    default:
      return "";
  }
}

bool ParseBoolText(std::string_view text, bool* out) {
  text = TrimBlanks(text);
  auto is = [text](std::string_view word) {
    if (text.size() != word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
      if ((text[i] | 0x20) != word[i]) return false;
    }
    return true;
  };
  if (text == "1" || is("true") || is("yes")) {
    *out = true;
    return true;
  }
  if (text == "0" || is("false") || is("no")) {
    *out = false;
    return true;
  }
  return false;
}

bool ParseInt64Text(std::string_view text, int64_t* out) { return ParseNumber(text, out); }
bool ParseDoubleText(std::string_view text, double* out) { return ParseNumber(text, out); }
bool ParseFloatText(std::string_view text, float* out) { return ParseNumber(text, out); }

bool ParseDateText(std::string_view text, int32_t* days) {
  text = TrimBlanks(text);
  if (IsIntegerText(text)) return false;
  Result<int64_t> micros = core::ParseTimestamp(text);
  if (!micros.ok()) return false;
  *days = MicrosToDays(*micros);
  return true;
}

int32_t MicrosToDays(int64_t micros) {
  return static_cast<int32_t>(FloorDiv(micros, core::kMicrosPerDay));
}

std::string ColumnLabel(const ColumnSpec& spec) {
  std::string label = "column '" + spec.name + "'";
  if (!spec.path.empty()) label += " (path " + spec.path + ")";
  return label;
}

Status ValueError(std::string_view file, int64_t row, const ColumnSpec& spec,
                  std::string_view value, std::string_view detail) {
  std::string shown(value.substr(0, kMaxShownValue));
  if (value.size() > kMaxShownValue) shown += "...";
  return Status::Invalid(file, ": row ", row, ", ", ColumnLabel(spec), ": value '", shown,
                         "' is not a valid ", core::ValueTypeName(spec.type),
                         detail.empty() ? "" : " (", detail, detail.empty() ? "" : ")");
}

Status NullError(std::string_view file, int64_t row, const ColumnSpec& spec) {
  return Status::Invalid(file, ": row ", row, ", ", ColumnLabel(spec),
                         ": null in a non-nullable column");
}

Status CheckNullable(const arrow::Array& array, const ColumnSpec& spec, std::string_view file,
                     int64_t first_row) {
  if (spec.nullable || array.null_count() == 0) return Status::OK();
  for (int64_t i = 0; i < array.length(); ++i) {
    if (array.IsNull(i)) return NullError(file, first_row + i + 1, spec);
  }
  return Status::OK();
}

std::string VectorProblem(const ColumnSpec& spec, int64_t count, bool null_item) {
  if (spec.dim <= 0) return "";
  if (count != spec.dim) {
    return "expected " + std::to_string(spec.dim) + " values, got " + std::to_string(count);
  }
  if (null_item) return "a vector holds numbers only, not null";
  return "";
}

Status CheckDimension(const arrow::Array& array, const ColumnSpec& spec, std::string_view file,
                      int64_t first_row) {
  if (spec.dim <= 0 || array.type_id() != arrow::Type::LIST) return Status::OK();
  const auto& list = static_cast<const arrow::ListArray&>(array);
  const auto& items = static_cast<const arrow::FloatArray&>(*list.values());
  for (int64_t i = 0; i < list.length(); ++i) {
    if (list.IsNull(i)) continue;
    const int64_t begin = list.value_offset(i), end = list.value_offset(i + 1);
    bool null_item = false;
    for (int64_t k = begin; k < end && !null_item; ++k) null_item = items.IsNull(k);
    const std::string problem = VectorProblem(spec, end - begin, null_item);
    if (problem.empty()) continue;
    std::string shown = "[";
    for (int64_t k = begin; k < end && shown.size() < kMaxShownValue; ++k) {
      if (k > begin) shown += ", ";
      if (items.IsNull(k)) {
        shown += "null";
        continue;
      }
      char buf[32];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), items.Value(k));
      shown.append(buf, ptr);
    }
    shown += "]";
    return ValueError(file, first_row + i + 1, spec, shown, problem);
  }
  return Status::OK();
}

Result<std::shared_ptr<arrow::Array>> CoerceColumn(const arrow::Array& input,
                                                   const ColumnSpec& spec, std::string_view file,
                                                   int64_t first_row) {
  const Target target{spec, file, first_row, core::ToArrowType(spec.type)};
  std::shared_ptr<arrow::Array> out;
  if (input.type()->Equals(*target.type)) {
    out = arrow::MakeArray(input.data());
  } else {
    FST_ASSIGN_OR_RAISE(out, Dispatch(input, target));
  }
  FST_RETURN_NOT_OK(CheckNullable(*out, spec, file, first_row));
  if (spec.type == ValueType::kListFloat32 && input.type_id() != arrow::Type::STRING) {
    FST_RETURN_NOT_OK(CheckDimension(*out, spec, file, first_row));  // text was checked parsing
  }
  return out;
}

}  // namespace fst::connectors::internal
