#include "json_value.h"

#include <arrow/scalar.h>

#include "featherstone/core/time.h"

namespace fst::pipeline {

nlohmann::ordered_json ArrayValueToJson(const arrow::Array& array, int64_t i) {
  if (array.IsNull(i)) return nullptr;
  switch (array.type_id()) {
    case arrow::Type::BOOL:
      return static_cast<const arrow::BooleanArray&>(array).Value(i);
    case arrow::Type::INT32:
      return static_cast<const arrow::Int32Array&>(array).Value(i);
    case arrow::Type::INT64:
      return static_cast<const arrow::Int64Array&>(array).Value(i);
    case arrow::Type::FLOAT:
      return static_cast<const arrow::FloatArray&>(array).Value(i);
    case arrow::Type::DOUBLE:
      return static_cast<const arrow::DoubleArray&>(array).Value(i);
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return std::string(static_cast<const arrow::BinaryArray&>(array).GetView(i));
    case arrow::Type::TIMESTAMP:
      return core::FormatTimestamp(static_cast<const arrow::TimestampArray&>(array).Value(i));
    case arrow::Type::DATE32:
      return core::FormatTimestamp(static_cast<const arrow::Date32Array&>(array).Value(i) *
                                   core::kMicrosPerDay)
          .substr(0, 10);
    case arrow::Type::LIST: {
      const auto& list = static_cast<const arrow::ListArray&>(array);
      nlohmann::ordered_json items = nlohmann::ordered_json::array();
      for (int64_t k = list.value_offset(i); k < list.value_offset(i + 1); ++k) {
        items.push_back(ArrayValueToJson(*list.values(), k));
      }
      return items;
    }
    default:
      return array.GetScalar(i).ValueOrDie()->ToString();
  }
}

}  // namespace fst::pipeline
