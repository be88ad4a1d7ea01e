#include "json_value.h"

#include <arrow/scalar.h>

#include "featherstone/core/time.h"

namespace fst::pipeline {

OnlineValue ArrayValue(const arrow::Array& array, int64_t i) {
  using core::ValueType;
  if (array.IsNull(i)) return std::monostate{};
  switch (array.type_id()) {
    case arrow::Type::BOOL:
      return static_cast<const arrow::BooleanArray&>(array).Value(i);
    case arrow::Type::INT32:
      return int64_t{static_cast<const arrow::Int32Array&>(array).Value(i)};
    case arrow::Type::INT64:
      return static_cast<const arrow::Int64Array&>(array).Value(i);
    case arrow::Type::FLOAT:
      return double{static_cast<const arrow::FloatArray&>(array).Value(i)};
    case arrow::Type::DOUBLE:
      return static_cast<const arrow::DoubleArray&>(array).Value(i);
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return std::string(static_cast<const arrow::BinaryArray&>(array).GetView(i));
    case arrow::Type::TIMESTAMP:
      return FormatValue(ValueType::kTimestamp,
                         static_cast<const arrow::TimestampArray&>(array).Value(i));
    case arrow::Type::DATE32:
      return FormatValue(ValueType::kDate,
                         int64_t{static_cast<const arrow::Date32Array&>(array).Value(i)});
    case arrow::Type::LIST: {
      const auto& list = static_cast<const arrow::ListArray&>(array);
      const auto& items = *list.values();
      if (items.type_id() == arrow::Type::FLOAT) {
        const auto& floats = static_cast<const arrow::FloatArray&>(items);
        std::vector<float> out;
        for (int64_t k = list.value_offset(i); k < list.value_offset(i + 1); ++k) {
          out.push_back(floats.Value(k));
        }
        return out;
      }
      const auto& strings = static_cast<const arrow::BinaryArray&>(items);
      std::vector<std::string> out;
      for (int64_t k = list.value_offset(i); k < list.value_offset(i + 1); ++k) {
        out.emplace_back(strings.GetView(k));
      }
      return out;
    }
    default:
      return array.GetScalar(i).ValueOrDie()->ToString();
  }
}

OnlineValue FormatValue(core::ValueType type, online::Value value) {
  if (const int64_t* v = std::get_if<int64_t>(&value)) {
    if (type == core::ValueType::kTimestamp) return core::FormatTimestamp(*v);
    if (type == core::ValueType::kDate) {
      return core::FormatTimestamp(*v * core::kMicrosPerDay).substr(0, 10);
    }
  }
  return value;
}

nlohmann::ordered_json ToJson(const OnlineValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::ordered_json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, std::vector<float>> ||
                             std::is_same_v<T, std::vector<std::string>>) {
          nlohmann::ordered_json items = nlohmann::ordered_json::array();
          for (const auto& item : v) items.push_back(item);
          return items;
        } else {
          return v;
        }
      },
      value);
}

nlohmann::ordered_json ToJson(const OnlineRows& rows) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& row : rows.rows) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (size_t c = 0; c < rows.columns.size(); ++c) object[rows.columns[c]] = ToJson(row[c]);
    out.push_back(std::move(object));
  }
  return out;
}

nlohmann::ordered_json ArrayValueToJson(const arrow::Array& array, int64_t i) {
  return ToJson(ArrayValue(array, i));
}

}  // namespace fst::pipeline
