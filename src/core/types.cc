#include "featherstone/core/types.h"

#include <array>
#include <utility>

#include <arrow/type.h>

namespace fst::core {
namespace {

constexpr std::array<std::pair<ValueType, std::string_view>, 11> kNames = {{
    {ValueType::kBool, "bool"},
    {ValueType::kInt32, "int32"},
    {ValueType::kInt64, "int64"},
    {ValueType::kFloat32, "float32"},
    {ValueType::kFloat64, "float64"},
    {ValueType::kString, "string"},
    {ValueType::kBytes, "bytes"},
    {ValueType::kTimestamp, "timestamp"},
    {ValueType::kDate, "date"},
    {ValueType::kListFloat32, "list<float32>"},
    {ValueType::kListString, "list<string>"},
}};

}  // namespace

Result<ValueType> ParseValueType(std::string_view text) {
  for (const auto& [type, name] : kNames) {
    if (name == text) return type;
  }
  std::string accepted;
  for (const auto& entry : kNames) {
    if (!accepted.empty()) accepted += ", ";
    accepted += entry.second;
  }
  return Status::Invalid("unknown type '", text, "'; expected one of: ", accepted);
}

std::string_view ValueTypeName(ValueType type) {
  for (const auto& [t, name] : kNames) {
    if (t == type) return name;
  }
  return "?";
}

std::shared_ptr<arrow::DataType> ToArrowType(ValueType type) {
  switch (type) {
    case ValueType::kBool: return arrow::boolean();
    case ValueType::kInt32: return arrow::int32();
    case ValueType::kInt64: return arrow::int64();
    case ValueType::kFloat32: return arrow::float32();
    case ValueType::kFloat64: return arrow::float64();
    case ValueType::kString: return arrow::utf8();
    case ValueType::kBytes: return arrow::binary();
    case ValueType::kTimestamp: return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
    case ValueType::kDate: return arrow::date32();
    case ValueType::kListFloat32: return arrow::list(arrow::float32());
    case ValueType::kListString: return arrow::list(arrow::utf8());
  }
  return arrow::null();
}

const ColumnSpec* FindColumn(const Schema& schema, std::string_view name) {
  for (const auto& column : schema) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

}  // namespace fst::core
