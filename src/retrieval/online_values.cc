#include "online_values.h"

#include <arrow/builder.h>
#include <arrow/scalar.h>

#include "featherstone/core/time.h"

namespace fst::retrieval {

OnlineValue ArrayValue(const arrow::Array& array, int64_t i) {
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
      return static_cast<const arrow::TimestampArray&>(array).Value(i);
    case arrow::Type::DATE32:
      return int64_t{static_cast<const arrow::Date32Array&>(array).Value(i)};
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

OnlineValue FormatValue(core::ValueType type, OnlineValue value) {
  if (const int64_t* v = std::get_if<int64_t>(&value)) {
    if (type == core::ValueType::kTimestamp) return core::FormatTimestamp(*v);
    if (type == core::ValueType::kDate) {
      return core::FormatTimestamp(*v * core::kMicrosPerDay).substr(0, 10);
    }
  }
  return value;
}

namespace {

template <typename Builder, typename T, typename Append>
Status AppendAll(Builder* builder, const std::vector<const OnlineValue*>& values, Append append) {
  for (const OnlineValue* value : values) {
    if (const T* v = std::get_if<T>(value)) {
      FST_RETURN_NOT_OK(append(*v));
    } else {
      FST_RETURN_NOT_OK(builder->AppendNull());
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<arrow::Array>> ValuesToArray(core::ValueType type,
                                                    const std::vector<const OnlineValue*>& values) {
  using core::ValueType;
  std::unique_ptr<arrow::ArrayBuilder> builder;
  FST_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), core::ToArrowType(type),
                                       &builder));
  switch (type) {
    case ValueType::kBool: {
      auto* b = static_cast<arrow::BooleanBuilder*>(builder.get());
      FST_RETURN_NOT_OK((AppendAll<arrow::BooleanBuilder, bool>(
          b, values, [&](bool v) { return b->Append(v); })));
      break;
    }
    case ValueType::kInt32: {
      auto* b = static_cast<arrow::Int32Builder*>(builder.get());
      FST_RETURN_NOT_OK((AppendAll<arrow::Int32Builder, int64_t>(
          b, values, [&](int64_t v) { return b->Append(static_cast<int32_t>(v)); })));
      break;
    }
    case ValueType::kInt64: {
      auto* b = static_cast<arrow::Int64Builder*>(builder.get());
      FST_RETURN_NOT_OK((AppendAll<arrow::Int64Builder, int64_t>(
          b, values, [&](int64_t v) { return b->Append(v); })));
      break;
    }
    case ValueType::kTimestamp: {
      auto* b = static_cast<arrow::TimestampBuilder*>(builder.get());
      FST_RETURN_NOT_OK((AppendAll<arrow::TimestampBuilder, int64_t>(
          b, values, [&](int64_t v) { return b->Append(v); })));
      break;
    }
    case ValueType::kDate: {
      auto* b = static_cast<arrow::Date32Builder*>(builder.get());
      FST_RETURN_NOT_OK((AppendAll<arrow::Date32Builder, int64_t>(
          b, values, [&](int64_t v) { return b->Append(static_cast<int32_t>(v)); })));
      break;
    }
    case ValueType::kFloat32: {
      auto* b = static_cast<arrow::FloatBuilder*>(builder.get());
      FST_RETURN_NOT_OK((AppendAll<arrow::FloatBuilder, double>(
          b, values, [&](double v) { return b->Append(static_cast<float>(v)); })));
      break;
    }
    case ValueType::kFloat64: {
      auto* b = static_cast<arrow::DoubleBuilder*>(builder.get());
      FST_RETURN_NOT_OK((AppendAll<arrow::DoubleBuilder, double>(
          b, values, [&](double v) { return b->Append(v); })));
      break;
    }
    case ValueType::kString:
    case ValueType::kBytes: {
      auto* b = static_cast<arrow::BinaryBuilder*>(builder.get());
      FST_RETURN_NOT_OK((AppendAll<arrow::BinaryBuilder, std::string>(
          b, values, [&](const std::string& v) { return b->Append(v); })));
      break;
    }
    case ValueType::kListFloat32: {
      auto* b = static_cast<arrow::ListBuilder*>(builder.get());
      auto* items = static_cast<arrow::FloatBuilder*>(b->value_builder());
      FST_RETURN_NOT_OK((AppendAll<arrow::ListBuilder, std::vector<float>>(
          b, values, [&](const std::vector<float>& v) {
            FST_RETURN_NOT_OK(b->Append());
            return items->AppendValues(v);
          })));
      break;
    }
    default:
      return Status::Invalid("a list<string> value cannot be an input of an on-demand feature");
  }
  std::shared_ptr<arrow::Array> out;
  FST_RETURN_NOT_OK(builder->Finish(&out));
  return out;
}

}  // namespace fst::retrieval
