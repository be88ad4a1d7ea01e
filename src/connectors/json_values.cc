#include "json_values.h"

#include <limits>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_nested.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/array/builder_time.h>

#include "coerce.h"
#include "featherstone/core/time.h"

namespace fst::connectors::internal {
namespace {

using core::ValueType;

// The integer in `value` when it is a JSON integer that fits int64.
bool JsonInt64(JsonValue value, int64_t* out) {
  if (value.kind() == JsonKind::kInt64) {
    *out = value.int64_value();
    return true;
  }
  return false;
}

// Converts one non-null JSON value.
class ValueAppender {
 public:
  ValueAppender(const core::ColumnSpec& spec, std::string_view file, int64_t row)
      : spec_(spec), file_(file), row_(row) {}

  Status Append(JsonValue value, arrow::ArrayBuilder* builder) {
    const bool is_string = value.kind() == JsonKind::kString;
    const std::string_view text = is_string ? value.string_value() : std::string_view();
    if (is_string && spec_.type != ValueType::kString && spec_.type != ValueType::kBytes &&
        TrimBlanks(text).empty()) {
      return builder->AppendNull();
    }
    switch (spec_.type) {
      case ValueType::kBool: {
        bool v = false;
        int64_t n = 0;
        if (value.kind() == JsonKind::kBool) {
          v = value.bool_value();
        } else if (JsonInt64(value, &n) && (n == 0 || n == 1)) {
          v = n == 1;
        } else if (!is_string || !ParseBoolText(text, &v)) {
          return Bad(value, InvalidTextDetail(spec_.type, text));
        }
        return static_cast<arrow::BooleanBuilder*>(builder)->Append(v);
      }
      case ValueType::kInt32:
      case ValueType::kInt64: {
        int64_t v = 0;
        if (!JsonInt64(value, &v) && !(is_string && ParseInt64Text(text, &v))) {
          const bool integral =
              value.kind() == JsonKind::kUint64 || (is_string && IsIntegerText(TrimBlanks(text)));
          return Bad(value, integral ? "out of range" : "");
        }
        if (spec_.type == ValueType::kInt64) {
          return static_cast<arrow::Int64Builder*>(builder)->Append(v);
        }
        if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
          return Bad(value, "out of range");
        }
        return static_cast<arrow::Int32Builder*>(builder)->Append(static_cast<int32_t>(v));
      }
      case ValueType::kFloat32: {
        float f = 0;
        // From the text, as rounding through double could pick the other neighbour.
        if (value.is_number()) {
          if (!ParseFloatText(value.raw(), &f)) f = static_cast<float>(value.number_value());
        } else if (!is_string || !ParseFloatText(text, &f)) {
          return Bad(value, "");
        }
        return static_cast<arrow::FloatBuilder*>(builder)->Append(f);
      }
      case ValueType::kFloat64: {
        double v = 0;
        if (value.is_number()) {
          v = value.number_value();
        } else if (!is_string || !ParseDoubleText(text, &v)) {
          return Bad(value, "");
        }
        return static_cast<arrow::DoubleBuilder*>(builder)->Append(v);
      }
      case ValueType::kString:
        if (is_string) return static_cast<arrow::StringBuilder*>(builder)->Append(text);
        return static_cast<arrow::StringBuilder*>(builder)->Append(value.Text());
      case ValueType::kBytes:
        if (is_string) return static_cast<arrow::BinaryBuilder*>(builder)->Append(text);
        return static_cast<arrow::BinaryBuilder*>(builder)->Append(value.Text());
      case ValueType::kTimestamp: {
        int64_t v = 0;
        if (JsonInt64(value, &v)) {
          v = core::EpochToMicros(v);
        } else if (is_string) {
          Result<int64_t> parsed = core::ParseTimestamp(text);
          if (!parsed.ok()) return Bad(value, InvalidTextDetail(spec_.type, text));
          v = *parsed;
        } else {
          return Bad(value, InvalidTextDetail(spec_.type, text));
        }
        return static_cast<arrow::TimestampBuilder*>(builder)->Append(v);
      }
      case ValueType::kDate: {
        int32_t days = 0;
        if (!is_string || !ParseDateText(text, &days)) {
          return Bad(value, InvalidTextDetail(spec_.type, text));
        }
        return static_cast<arrow::Date32Builder*>(builder)->Append(days);
      }
      case ValueType::kListFloat32:
      case ValueType::kListString:
        return AppendList(value, static_cast<arrow::ListBuilder*>(builder));
    }
    return Bad(value, "");
  }

 private:
  Status AppendList(JsonValue value, arrow::ListBuilder* builder) {
    if (value.kind() != JsonKind::kArray) return Bad(value, "expected a JSON array");
    FST_RETURN_NOT_OK(builder->Append());
    Status status;
    if (spec_.type == ValueType::kListString) {
      auto* items = static_cast<arrow::StringBuilder*>(builder->value_builder());
      value.ForEachItem([&](JsonValue item) {
        if (!status.ok()) return;
        if (item.is_null()) {
          status = items->AppendNull();
        } else if (item.kind() == JsonKind::kString) {
          status = items->Append(item.string_value());
        } else {
          status = items->Append(item.Text());
        }
      });
      return status;
    }
    auto* items = static_cast<arrow::FloatBuilder*>(builder->value_builder());
    const int64_t first_item = items->length();
    const int64_t first_null = items->null_count();
    value.ForEachItem([&](JsonValue item) {
      if (!status.ok()) return;
      float f = 0;
      if (item.is_null()) {
        status = items->AppendNull();
      } else if (item.is_number()) {
        if (!ParseFloatText(item.raw(), &f)) f = static_cast<float>(item.number_value());
        status = items->Append(f);
      } else if (item.kind() == JsonKind::kString && ParseFloatText(item.string_value(), &f)) {
        status = items->Append(f);
      } else {
        status = Bad(value, "expected an array of numbers");
      }
    });
    if (!status.ok()) return status;
    const std::string problem = VectorProblem(spec_, items->length() - first_item,
                                              items->null_count() > first_null);
    return problem.empty() ? Status::OK() : Bad(value, problem);
  }

  Status Bad(JsonValue value, std::string_view detail) const {
    return ValueError(file_, row_, spec_, value.Text(), detail);
  }

  const core::ColumnSpec& spec_;
  std::string_view file_;
  int64_t row_;
};

}  // namespace

Status AppendJsonValue(JsonValue value, const core::ColumnSpec& spec, std::string_view file,
                       int64_t row, arrow::ArrayBuilder* builder) {
  if (value.is_null()) return builder->AppendNull();
  return ValueAppender(spec, file, row).Append(value, builder);
}

}  // namespace fst::connectors::internal
