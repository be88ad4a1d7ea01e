// Feature expressions (DESIGN section 2; the language reference is docs/expressions.md):
// parsed once, type-checked against the types of the names they use, evaluated a whole Arrow
// array per node. An Expression is immutable and safe to share between threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <arrow/array.h>

#include "featherstone/core/types.h"

namespace fst::transform {

namespace internal {
struct Tree;
struct Typing;
}  // namespace internal

class Expression {
 public:
  // Parses `text`. Errors: Invalid "column N: message" (N is the 1-based character column):
  // "1 +" -> "column 4: expected a value, found end of expression"; an unbalanced parenthesis;
  // "lg(x)" -> "column 1: unknown function 'lg'; did you mean 'log'?"; a wrong number of
  // arguments. A number glued to letters ("amount * 1OO") parses, so that Check can report
  // the letters as a name: "column 10: unknown name 'OO'".
  static Result<Expression> Parse(std::string_view text);

  // The text given to Parse.
  const std::string& text() const { return text_; }

  // Names referenced (columns or other features), in order of first use, no duplicates.
  const std::vector<std::string>& Names() const;

  // Type-checks against the types of the names; returns the type of the result. Errors:
  // Invalid "column N: ..." for an unknown name, a type error ("column 8: cannot multiply
  // string by float64"), a list column, or an expression that is always null.
  Result<core::ValueType> Check(const std::map<std::string, core::ValueType>& types) const;

  // Checks that dot and cosine pair vectors of one dimension; `dims` maps list<float32> names
  // to their declared dim (a name not in it is not checked). Errors: Invalid "column N: dot
  // of vectors of different dimensions: 'a' has 384 values, 'b' has 3".
  Status CheckDimensions(const std::map<std::string, int32_t>& dims) const;

  // Evaluates over `length` rows into an array of ToArrowType(Check(...)). `inputs` maps every
  // name to an array of `length` rows whose Arrow type is ToArrowType of a value type (that
  // type is the name's type); `lookup_time` holds the lookup time of each row for days_since
  // (int64 or timestamp, µs; may be null when days_since is not used). Vectorized: one pass
  // of an Arrow kernel or a typed loop per node. Errors: those of Check; Invalid for a missing
  // input, a length mismatch or an input whose Arrow type is not a value type's.
  Result<std::shared_ptr<arrow::Array>> Evaluate(
      const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs,
      const std::shared_ptr<arrow::Array>& lookup_time, int64_t length) const;

  // The syntax tree, for the evaluators in src/transform (expression_internal.h).
  const internal::Tree& tree() const { return *tree_; }

 private:
  friend class RowExpression;
  Expression(std::string text, std::shared_ptr<const internal::Tree> tree)
      : text_(std::move(text)), tree_(std::move(tree)) {}

  std::string text_;
  std::shared_ptr<const internal::Tree> tree_;
};

// One value for row-at-a-time evaluation: null, a bool, an integer (int32, int64, a timestamp
// in µs, a date in days), a float (float32 or float64), the bytes of a string or the items of a
// list<float32> vector.
using RowValue =
    std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<float>>;

// Row `i` of `array` (of the Arrow type of a value type other than list<string>) as a RowValue;
// a null item of a vector reads as NaN.
RowValue RowValueAt(const arrow::Array& array, int64_t i);

// An expression typed once for the types of its names, then evaluated one row at a time: for
// online reads of a few entities, where a kernel call per node costs more than the row. Gives
// the values of Expression::Evaluate (both are tested against the reference evaluator).
// Immutable; safe to share between threads.
class RowExpression {
 public:
  // Errors: those of Expression::Check.
  static Result<RowExpression> Make(const Expression& expression,
                                    const std::map<std::string, core::ValueType>& types);

  // The type of the result (as Check returns it).
  core::ValueType type() const { return type_; }

  // The value of one row: inputs[k] is the value of Names()[k], of the type given to Make;
  // `lookup_time` is the row's lookup time in µs for days_since (nullopt: null).
  RowValue Evaluate(const std::vector<RowValue>& inputs, std::optional<int64_t> lookup_time) const;

 private:
  RowExpression() = default;

  std::shared_ptr<const internal::Tree> tree_;
  std::shared_ptr<const internal::Typing> typing_;
  std::vector<int> name_index_;  // by node id: index into Names() of a name node
  core::ValueType type_ = core::ValueType::kBool;
};

}  // namespace fst::transform
