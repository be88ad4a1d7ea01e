#include "featherstone/transform/expression.h"

#include <arrow/type.h>

#include "expression_internal.h"

namespace fst::transform {
namespace internal {
namespace {

Result<core::ValueType> ValueTypeOfArrow(const std::string& name, const arrow::DataType& type) {
  using core::ValueType;
  for (ValueType t :
       {ValueType::kBool, ValueType::kInt32, ValueType::kInt64, ValueType::kFloat32,
        ValueType::kFloat64, ValueType::kString, ValueType::kBytes, ValueType::kTimestamp,
        ValueType::kDate, ValueType::kListFloat32, ValueType::kListString}) {
    if (core::ToArrowType(t)->Equals(type)) return t;
  }
  return Status::Invalid("input '", name, "' has Arrow type ", type.ToString(),
                         ", which is not the Arrow type of a value type");
}

}  // namespace

Result<std::map<std::string, core::ValueType>> InputTypes(
    const Tree& tree, const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs,
    const std::shared_ptr<arrow::Array>& lookup_time, int64_t length) {
  if (lookup_time != nullptr) {
    const arrow::DataType& type = *lookup_time->type();
    const bool micros =
        type.id() == arrow::Type::TIMESTAMP &&
        static_cast<const arrow::TimestampType&>(type).unit() == arrow::TimeUnit::MICRO;
    if (type.id() != arrow::Type::INT64 && !micros) {
      return Status::Invalid("the lookup time has Arrow type ", type.ToString(),
                             "; expected int64 or timestamp[us]");
    }
    if (lookup_time->length() != length) {
      return Status::Invalid("the lookup time has ", lookup_time->length(), " rows; expected ",
                             length);
    }
  }
  std::map<std::string, core::ValueType> types;
  for (const std::string& name : tree.names) {
    const auto it = inputs.find(name);
    if (it == inputs.end() || it->second == nullptr) {
      return Status::Invalid("no input for '", name, "'");
    }
    if (it->second->length() != length) {
      return Status::Invalid("input '", name, "' has ", it->second->length(), " rows; expected ",
                             length);
    }
    FST_ASSIGN_OR_RAISE(types[name], ValueTypeOfArrow(name, *it->second->type()));
  }
  return types;
}

}  // namespace internal

Result<Expression> Expression::Parse(std::string_view text) {
  FST_ASSIGN_OR_RAISE(internal::Tree tree, internal::ParseTree(text));
  return Expression(std::string(text), std::make_shared<const internal::Tree>(std::move(tree)));
}

const std::vector<std::string>& Expression::Names() const { return tree_->names; }

Result<core::ValueType> Expression::Check(
    const std::map<std::string, core::ValueType>& types) const {
  FST_ASSIGN_OR_RAISE(internal::Typing typing, internal::TypeTree(*tree_, types));
  return *typing.result[static_cast<size_t>(tree_->root.id)];
}

namespace {

Status CheckVectorPairs(const internal::Node& node, const std::map<std::string, int32_t>& dims) {
  for (const internal::Node& child : node.children) {
    FST_RETURN_NOT_OK(CheckVectorPairs(child, dims));
  }
  if (node.kind != internal::NodeKind::kCall || node.children.size() != 2 ||
      !internal::IsVectorFunction(node.function)) {
    return Status::OK();
  }
  const auto a = dims.find(node.children[0].text), b = dims.find(node.children[1].text);
  if (a == dims.end() || b == dims.end() || a->second == b->second) return Status::OK();
  return Status::Invalid("column ", node.column, ": ", node.text,
                         " of vectors of different dimensions: '", a->first, "' has ", a->second,
                         " values, '", b->first, "' has ", b->second);
}

}  // namespace

Status Expression::CheckDimensions(const std::map<std::string, int32_t>& dims) const {
  return CheckVectorPairs(tree_->root, dims);
}

Result<std::shared_ptr<arrow::Array>> Expression::Evaluate(
    const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs,
    const std::shared_ptr<arrow::Array>& lookup_time, int64_t length) const {
  FST_ASSIGN_OR_RAISE(auto types, internal::InputTypes(*tree_, inputs, lookup_time, length));
  FST_ASSIGN_OR_RAISE(internal::Typing typing, internal::TypeTree(*tree_, types));
  return internal::EvaluateTree(*tree_, typing, inputs, lookup_time, length);
}

}  // namespace fst::transform
