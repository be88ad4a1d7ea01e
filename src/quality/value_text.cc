#include "value_text.h"

#include <charconv>
#include <cmath>

#include <arrow/builder.h>
#include <arrow/compute/api.h>

#include "featherstone/core/time.h"

namespace fst::quality::internal {
namespace {

std::string Shorten(std::string text) {
  constexpr size_t kMax = 80;
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

std::string DateText(int32_t days) {
  return core::FormatTimestamp(static_cast<int64_t>(days) * core::kMicrosPerDay).substr(0, 10);
}

}  // namespace

nlohmann::json ValueJson(const arrow::Array& array, int64_t i) {
  if (array.IsNull(i)) return nullptr;
  switch (array.type_id()) {
    case arrow::Type::BOOL: return static_cast<const arrow::BooleanArray&>(array).Value(i);
    case arrow::Type::INT32: return static_cast<const arrow::Int32Array&>(array).Value(i);
    case arrow::Type::INT64: return static_cast<const arrow::Int64Array&>(array).Value(i);
    case arrow::Type::FLOAT: {
      const double v = static_cast<const arrow::FloatArray&>(array).Value(i);
      return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(std::to_string(v));
    }
    case arrow::Type::DOUBLE: {
      const double v = static_cast<const arrow::DoubleArray&>(array).Value(i);
      return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(std::to_string(v));
    }
    case arrow::Type::TIMESTAMP:
      return core::FormatTimestamp(static_cast<const arrow::TimestampArray&>(array).Value(i));
    case arrow::Type::DATE32:
      return DateText(static_cast<const arrow::Date32Array&>(array).Value(i));
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return Shorten(std::string(static_cast<const arrow::BinaryArray&>(array).GetView(i)));
    default: {
      auto scalar = array.GetScalar(i);
      return scalar.ok() ? Shorten((*scalar)->ToString()) : std::string("?");
    }
  }
}

std::string ValueText(const arrow::Array& array, int64_t i) {
  if (array.IsNull(i)) return "null";
  if (array.type_id() == arrow::Type::DOUBLE || array.type_id() == arrow::Type::FLOAT) {
    const double v = array.type_id() == arrow::Type::DOUBLE
                         ? static_cast<const arrow::DoubleArray&>(array).Value(i)
                         : static_cast<const arrow::FloatArray&>(array).Value(i);
    if (std::isnan(v)) return "NaN";
    char text[32];
    const auto end = array.type_id() == arrow::Type::DOUBLE
                         ? std::to_chars(text, text + sizeof(text), v).ptr
                         : std::to_chars(text, text + sizeof(text), static_cast<float>(v)).ptr;
    return std::string(text, end);
  }
  const nlohmann::json value = ValueJson(array, i);
  if (array.type_id() == arrow::Type::STRING || array.type_id() == arrow::Type::BINARY) {
    return "'" + value.get<std::string>() + "'";
  }
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

Result<std::shared_ptr<arrow::Array>> ToTextArray(const std::shared_ptr<arrow::Array>& array) {
  switch (array->type_id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return array;
    case arrow::Type::TIMESTAMP:
    case arrow::Type::DATE32:
    case arrow::Type::LIST: {
      arrow::StringBuilder builder;
      FST_RETURN_NOT_OK(builder.Reserve(array->length()));
      for (int64_t i = 0; i < array->length(); ++i) {
        if (array->IsNull(i)) {
          FST_RETURN_NOT_OK(builder.AppendNull());
          continue;
        }
        std::string text;
        if (array->type_id() == arrow::Type::TIMESTAMP) {
          text = core::FormatTimestamp(static_cast<const arrow::TimestampArray&>(*array).Value(i));
        } else if (array->type_id() == arrow::Type::DATE32) {
          text = DateText(static_cast<const arrow::Date32Array&>(*array).Value(i));
        } else {
          const auto& list = static_cast<const arrow::ListArray&>(*array);
          auto items = list.value_slice(i);
          nlohmann::json out = nlohmann::json::array();
          for (int64_t k = 0; k < items->length(); ++k) {
            if (items->type_id() == arrow::Type::STRING) {
              out.push_back(items->IsNull(k) ? nlohmann::json(nullptr)
                                             : nlohmann::json(std::string(
                                                   static_cast<const arrow::StringArray&>(*items)
                                                       .GetView(k))));
            } else {
              out.push_back(ValueJson(*items, k));
            }
          }
          text = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
        FST_RETURN_NOT_OK(builder.Append(text));
      }
      std::shared_ptr<arrow::Array> out;
      FST_RETURN_NOT_OK(builder.Finish(&out));
      return out;
    }
    default: {
      FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Cast(array, arrow::utf8()));
      return datum.make_array();
    }
  }
}

}  // namespace fst::quality::internal
