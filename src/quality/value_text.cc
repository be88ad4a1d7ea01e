#include "value_text.h"

#include <charconv>
#include <cmath>

#include <arrow/builder.h>
#include <arrow/compute/api.h>

#include "featherstone/core/time.h"
#include "featherstone/quality/quarantine_text.h"

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

namespace fst::quality {
namespace {

Status TextError(const core::ColumnSpec& spec, std::string_view value, std::string_view why) {
  return Status::Invalid("column '", spec.name, "': value '", value, "' is not a valid ",
                         core::ValueTypeName(spec.type), why.empty() ? "" : ": ", why);
}

}  // namespace

Result<std::shared_ptr<arrow::Array>> ToText(const std::shared_ptr<arrow::Array>& array) {
  return internal::ToTextArray(array);
}

Result<std::shared_ptr<arrow::Array>> FromText(const std::shared_ptr<arrow::Array>& text,
                                               const core::ColumnSpec& spec) {
  auto type = core::ToArrowType(spec.type);
  if (text->type()->Equals(type)) return text;
  if (text->type_id() == arrow::Type::NA) return arrow::MakeArrayOfNull(type, text->length());
  if (text->type_id() != arrow::Type::STRING && text->type_id() != arrow::Type::BINARY) {
    // Stored typed (never written by ToText): let Arrow cast it.
    FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Cast(text, type));
    return datum.make_array();
  }
  const auto& strings = static_cast<const arrow::BinaryArray&>(*text);
  switch (spec.type) {
    case core::ValueType::kString: {
      FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Cast(text, arrow::utf8()));
      return datum.make_array();
    }
    case core::ValueType::kBytes: {
      FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Cast(text, arrow::binary()));
      return datum.make_array();
    }
    case core::ValueType::kTimestamp:
    case core::ValueType::kDate: {
      std::unique_ptr<arrow::ArrayBuilder> builder;
      FST_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), type, &builder));
      for (int64_t i = 0; i < strings.length(); ++i) {
        if (strings.IsNull(i)) {
          FST_RETURN_NOT_OK(builder->AppendNull());
          continue;
        }
        const std::string_view value = strings.GetView(i);
        auto micros = core::ParseTimestamp(value);
        if (!micros.ok()) return TextError(spec, value, micros.status().message());
        if (spec.type == core::ValueType::kTimestamp) {
          FST_RETURN_NOT_OK(static_cast<arrow::TimestampBuilder&>(*builder).Append(*micros));
        } else {
          const int64_t day = core::kMicrosPerDay;
          const int64_t days = *micros / day - ((*micros % day != 0) && (*micros < 0));
          FST_RETURN_NOT_OK(
              static_cast<arrow::Date32Builder&>(*builder).Append(static_cast<int32_t>(days)));
        }
      }
      std::shared_ptr<arrow::Array> out;
      FST_RETURN_NOT_OK(builder->Finish(&out));
      return out;
    }
    case core::ValueType::kListFloat32:
    case core::ValueType::kListString: {
      std::unique_ptr<arrow::ArrayBuilder> builder;
      FST_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), type, &builder));
      auto& list = static_cast<arrow::ListBuilder&>(*builder);
      for (int64_t i = 0; i < strings.length(); ++i) {
        if (strings.IsNull(i)) {
          FST_RETURN_NOT_OK(list.AppendNull());
          continue;
        }
        const std::string_view value = strings.GetView(i);
        const auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
        if (!parsed.is_array()) return TextError(spec, value, "expected a JSON array");
        FST_RETURN_NOT_OK(list.Append());
        for (const auto& item : parsed) {
          if (spec.type == core::ValueType::kListFloat32) {
            auto& floats = static_cast<arrow::FloatBuilder&>(*list.value_builder());
            if (item.is_null()) {
              FST_RETURN_NOT_OK(floats.AppendNull());
            } else if (item.is_number()) {
              FST_RETURN_NOT_OK(floats.Append(item.get<float>()));
            } else {
              return TextError(spec, value, "expected numbers");
            }
          } else {
            auto& texts = static_cast<arrow::StringBuilder&>(*list.value_builder());
            if (item.is_null()) {
              FST_RETURN_NOT_OK(texts.AppendNull());
            } else if (item.is_string()) {
              FST_RETURN_NOT_OK(texts.Append(item.get<std::string>()));
            } else {
              return TextError(spec, value, "expected strings");
            }
          }
        }
      }
      std::shared_ptr<arrow::Array> out;
      FST_RETURN_NOT_OK(builder->Finish(&out));
      return out;
    }
    default: {
      auto cast = arrow::compute::Cast(text, type);
      if (cast.ok()) return cast->make_array();
      for (int64_t i = 0; i < strings.length(); ++i) {
        if (strings.IsNull(i)) continue;
        auto one = arrow::compute::Cast(text->Slice(i, 1), type);
        if (!one.ok()) return TextError(spec, strings.GetView(i), "");
      }
      return cast.status();
    }
  }
}

}  // namespace fst::quality
