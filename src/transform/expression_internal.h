// The syntax tree of an expression and its type rules, shared by the vectorized evaluator and
// the row-by-row reference (expression_reference.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <arrow/array.h>

#include "featherstone/core/types.h"
#include "text_pattern.h"

namespace fst::transform::internal {

enum class NodeKind {
  kLiteral,
  kName,
  kGlued,  // a number glued to letters ("1OO"): an error at Check; children[0] is the number
  kUnary,
  kBinary,
  kCall,
};

enum class Op { kAdd, kSub, kMul, kDiv, kMod, kNeg, kEq, kNe, kLt, kLe, kGt, kGe, kAnd, kOr, kNot };

enum class Function {
  kIf,
  kCoalesce,
  kLog,
  kExp,
  kSqrt,
  kAbs,
  kPow,
  kMin,
  kMax,
  kClamp,
  kIsNull,
  kDaysSince,
  // Text functions (docs/expressions.md, "Text functions").
  kLength,
  kLower,
  kUpper,
  kContains,
  kRegexMatch,
  kTokenCount,
  // Vector functions over list<float32> (docs/expressions.md "Vectors"): float64 results.
  kDot,
  kCosine,
  kNorm,
};

// True for the functions that take list<float32> arguments.
inline bool IsVectorFunction(Function f) {
  return f == Function::kDot || f == Function::kCosine || f == Function::kNorm;
}

// A literal's value: null, true/false, an int64, a float64 or a string.
using Literal = std::variant<std::monostate, bool, int64_t, double, std::string>;

struct Node {
  NodeKind kind = NodeKind::kLiteral;
  int id = 0;        // 0..Tree::node_count-1, unique within the tree
  int column = 0;    // 1-based: the literal, name, operator or function name
  std::string text;  // the source text of a literal, name or function name; kGlued: the letters
  Op op = Op::kAdd;
  Function function = Function::kIf;
  Literal literal;
  std::vector<Node> children;  // operands or arguments, in source order
  // regex_match: its pattern (the second argument, a string literal), compiled once by the
  // parser.
  std::shared_ptr<const TextPattern> pattern;
};

struct Tree {
  Node root;
  int node_count = 0;
  std::vector<std::string> names;  // in order of first use, no duplicates
};

// Parses `text`; the errors of Expression::Parse.
Result<Tree> ParseTree(std::string_view text);

// A node's static type; nullopt is the type of the literal null, which takes the type its
// context needs.
using Type = std::optional<core::ValueType>;

// The types of every node, indexed by Node::id.
struct Typing {
  std::vector<Type> result;
  // The type the children are converted to before the operation: the common type of the
  // operands of an operator, the branches' type of if, float64 for log/exp/sqrt/pow and /,
  // the argument's own type for is_null and days_since. A condition is always bool.
  std::vector<Type> operand;
};

// Types the tree against the types of its names. Errors: those of Expression::Check.
Result<Typing> TypeTree(const Tree& tree, const std::map<std::string, core::ValueType>& types);

// Evaluates the tree typed by `typing` (from the inputs' types) over `length` rows, one array
// per node; the contract of Expression::Evaluate.
Result<std::shared_ptr<arrow::Array>> EvaluateTree(
    const Tree& tree, const Typing& typing,
    const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs,
    const std::shared_ptr<arrow::Array>& lookup_time, int64_t length);

// The types of the inputs the tree names. Errors: Invalid for a missing input, one whose
// length is not `length` or whose Arrow type is not a value type's, and a `lookup_time` (when
// not null) that is not int64 or timestamp or not `length` long.
Result<std::map<std::string, core::ValueType>> InputTypes(
    const Tree& tree, const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs,
    const std::shared_ptr<arrow::Array>& lookup_time, int64_t length);

// "null" or the value type's name.
std::string_view TypeName(const Type& type);

}  // namespace fst::transform::internal
