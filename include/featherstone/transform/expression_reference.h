// The slow, obviously-correct evaluator that Expression::Evaluate is tested against: every row
// walks the tree on std::variant values, with the rules of docs/expressions.md written out one
// value at a time. For tests.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <arrow/array.h>

#include "featherstone/transform/expression.h"

namespace fst::transform {

// The contract of Expression::Evaluate.
Result<std::shared_ptr<arrow::Array>> EvaluateReference(
    const Expression& expression,
    const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs,
    const std::shared_ptr<arrow::Array>& lookup_time, int64_t length);

}  // namespace fst::transform
