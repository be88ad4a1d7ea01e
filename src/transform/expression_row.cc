// Row-at-a-time evaluation (RowExpression): the tree walked once per row on RowValues, with the
// operations of the vectorized evaluator one value at a time — the rules without an Arrow
// kernel shared with it (expression_ops.h), the kernels' IEEE arithmetic, Kleene logic,
// byte-wise string comparison and fmin/fmax written out.
#include <algorithm>
#include <cmath>
#include <limits>

#include <arrow/api.h>

#include "expression_internal.h"
#include "expression_ops.h"
#include "featherstone/transform/expression.h"

namespace fst::transform {
namespace {

using core::ValueType;
using internal::Function;
using internal::Node;
using internal::NodeKind;
using internal::Op;
using internal::Type;

bool IsNull(const RowValue& v) { return std::holds_alternative<std::monostate>(v); }

// An integer becomes a float where the operation needs float64; nothing else changes (int32 and
// float32 values are already held as int64 and double).
RowValue Convert(RowValue v, const Type& to) {
  if (to == ValueType::kFloat64 && std::holds_alternative<int64_t>(v)) {
    return static_cast<double>(std::get<int64_t>(v));
  }
  return v;
}

template <typename F>
RowValue IntResult(F f, int64_t x, int64_t y) {
  int64_t out = 0;
  if (!f(x, y, &out)) return std::monostate{};
  return out;
}

template <typename F>
RowValue FloatResult(F f, double x, double y) {
  double out = 0;
  if (!f(x, y, &out)) return std::monostate{};
  return out;
}

template <typename T>
bool Compare(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::kEq: return a == b;
    case Op::kNe: return a != b;
    case Op::kLt: return a < b;
    case Op::kLe: return a <= b;
    case Op::kGt: return a > b;
    default: return a >= b;
  }
}

class Walker {
 public:
  Walker(const internal::Typing& typing, const std::vector<int>& name_index,
         const std::vector<RowValue>& inputs, std::optional<int64_t> lookup_time)
      : typing_(typing), name_index_(name_index), inputs_(inputs), lookup_time_(lookup_time) {}

  RowValue Eval(const Node& node) const {
    if (!ResultType(node)) return std::monostate{};
    switch (node.kind) {
      case NodeKind::kLiteral:
        return std::visit([](const auto& v) -> RowValue { return v; }, node.literal);
      case NodeKind::kName: return inputs_[static_cast<size_t>(name_index_[static_cast<size_t>(node.id)])];
      case NodeKind::kUnary: return Unary(node);
      case NodeKind::kBinary: return Binary(node);
      case NodeKind::kCall: return Call(node);
      case NodeKind::kGlued: break;
    }
    return std::monostate{};
  }

 private:
  Type ResultType(const Node& node) const { return typing_.result[static_cast<size_t>(node.id)]; }
  Type OperandType(const Node& node) const { return typing_.operand[static_cast<size_t>(node.id)]; }
  RowValue Arg(const Node& node, size_t i) const {
    return Convert(Eval(node.children[i]), OperandType(node));
  }

  RowValue Unary(const Node& node) const {
    const RowValue x = Arg(node, 0);
    if (IsNull(x)) return x;
    if (node.op == Op::kNot) return !std::get<bool>(x);
    if (const double* d = std::get_if<double>(&x)) return -*d;
    int64_t out = 0;
    if (!internal::NegInt(std::get<int64_t>(x), &out)) return std::monostate{};
    return out;
  }

  RowValue Binary(const Node& node) const {
    const RowValue a = Arg(node, 0);
    const RowValue b = Arg(node, 1);
    if (node.op == Op::kAnd || node.op == Op::kOr) {  // Kleene logic
      const bool dominant = node.op == Op::kOr;         // the value that decides alone
      if (a == RowValue(dominant) || b == RowValue(dominant)) return dominant;
      if (IsNull(a) || IsNull(b)) return std::monostate{};
      return !dominant;
    }
    if (IsNull(a) || IsNull(b)) return std::monostate{};
    switch (node.op) {
      case Op::kEq:
      case Op::kNe:
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe:
        return std::visit(
            [&](const auto& x) -> RowValue {
              using T = std::decay_t<decltype(x)>;
              if constexpr (std::is_same_v<T, std::monostate>) {
                return std::monostate{};
              } else {
                return Compare(node.op, x, std::get<T>(b));
              }
            },
            a);
      default:
        break;
    }
    if (const auto* s = std::get_if<std::string>(&a)) return *s + std::get<std::string>(b);
    if (const auto* x = std::get_if<int64_t>(&a)) {
      const int64_t y = std::get<int64_t>(b);
      switch (node.op) {
        case Op::kAdd: return IntResult(internal::AddInt, *x, y);
        case Op::kSub: return IntResult(internal::SubInt, *x, y);
        case Op::kMul: return IntResult(internal::MulInt, *x, y);
        case Op::kMod: return IntResult(internal::ModInt, *x, y);
        default: return std::monostate{};
      }
    }
    const double x = std::get<double>(a), y = std::get<double>(b);
    switch (node.op) {
      case Op::kAdd: return x + y;
      case Op::kSub: return x - y;
      case Op::kMul: return x * y;
      case Op::kDiv: return FloatResult(internal::DivFloat, x, y);
      case Op::kMod: return FloatResult(internal::ModFloat, x, y);
      default: return std::monostate{};
    }
  }

  RowValue Call(const Node& node) const {
    switch (node.function) {
      case Function::kIf: {
        const RowValue c = Eval(node.children[0]);
        if (IsNull(c)) return c;
        return Arg(node, std::get<bool>(c) ? 1 : 2);
      }
      case Function::kCoalesce:
        for (size_t i = 0; i < node.children.size(); ++i) {
          RowValue v = Arg(node, i);
          if (!IsNull(v)) return v;
        }
        return std::monostate{};
      case Function::kIsNull:
        return IsNull(Eval(node.children[0]));
      case Function::kDot:
      case Function::kCosine:
      case Function::kNorm:
        return Vector(node);
      case Function::kDaysSince: {
        const RowValue x = Eval(node.children[0]);
        if (IsNull(x) || !lookup_time_.has_value()) return std::monostate{};
        const int64_t v = std::get<int64_t>(x);
        if (OperandType(node) == ValueType::kDate) {
          return internal::DaysSinceDate(*lookup_time_, static_cast<int32_t>(v));
        }
        return internal::DaysSinceTimestamp(*lookup_time_, v);
      }
      default:
        break;
    }
    // The remaining functions are null when any argument is.
    if (node.function == Function::kMin || node.function == Function::kMax ||
        node.function == Function::kClamp) {
      return MinMax(node);
    }
    RowValue args[3];
    const size_t n = std::min<size_t>(node.children.size(), 3);
    for (size_t i = 0; i < n; ++i) {
      args[i] = Arg(node, i);
      if (IsNull(args[i])) return std::monostate{};
    }
    switch (node.function) {
      case Function::kAbs: {
        if (const double* d = std::get_if<double>(&args[0])) return std::fabs(*d);
        int64_t out = 0;
        if (!internal::AbsInt(std::get<int64_t>(args[0]), &out)) return std::monostate{};
        return out;
      }
      // Text functions
      case Function::kLength:
        return internal::TextLength(std::get<std::string>(args[0]));
      case Function::kTokenCount:
        return internal::TokenCount(std::get<std::string>(args[0]));
      case Function::kLower:
      case Function::kUpper: {
        std::string out;
        internal::TextCase(std::get<std::string>(args[0]), node.function == Function::kUpper,
                           &out);
        return out;
      }
      case Function::kContains:
        return internal::TextContains(std::get<std::string>(args[0]),
                                      std::get<std::string>(args[1]));
      case Function::kRegexMatch:
        if (const auto found = node.pattern->Search(std::get<std::string>(args[0]))) return *found;
        return std::monostate{};
      default:
        break;
    }
    const double x = std::get<double>(args[0]);
    double out = 0;
    switch (node.function) {
      case Function::kLog:
        if (!internal::LogFloat(x, &out)) return std::monostate{};
        return out;
      case Function::kSqrt:
        if (!internal::SqrtFloat(x, &out)) return std::monostate{};
        return out;
      case Function::kExp:
        return std::exp(x);
      case Function::kPow:
        return FloatResult(internal::PowFloat, x, std::get<double>(args[1]));
      default:
        return std::monostate{};
    }
  }

  // --- Vector functions, null when an argument is.
  RowValue Vector(const Node& node) const {
    RowValue args[2];
    internal::VectorRef refs[2];
    for (size_t i = 0; i < node.children.size(); ++i) {
      args[i] = Eval(node.children[i]);
      const auto* v = std::get_if<std::vector<float>>(&args[i]);
      if (v == nullptr) return std::monostate{};
      refs[i] = {v->data(), static_cast<int64_t>(v->size()), false};
    }
    double out = 0;
    bool valid = false;
    switch (node.function) {
      case Function::kDot: valid = internal::DotVector(refs[0], refs[1], &out); break;
      case Function::kCosine: valid = internal::CosineVector(refs[0], refs[1], &out); break;
      default: valid = internal::NormVector(refs[0], &out); break;
    }
    if (!valid) return std::monostate{};
    return out;
  }

  // min/max fold left to right over every argument; clamp(x, lo, hi) is min(max(x, lo), hi).
  // Floats follow Arrow's element-wise min/max: fmin/fmax, where a NaN loses to a number.
  // Null when any argument is.
  RowValue MinMax(const Node& node) const {
    RowValue acc = Arg(node, 0);
    if (IsNull(acc)) return std::monostate{};
    for (size_t i = 1; i < node.children.size(); ++i) {
      const RowValue arg = Arg(node, i);
      if (IsNull(arg)) return std::monostate{};
      const bool take_max = node.function == Function::kMax ||
                            (node.function == Function::kClamp && i == 1);
      if (const double* x = std::get_if<double>(&acc)) {
        const double y = std::get<double>(arg);
        acc = take_max ? std::fmax(*x, y) : std::fmin(*x, y);
      } else {
        const int64_t a = std::get<int64_t>(acc), b = std::get<int64_t>(arg);
        acc = take_max ? std::max(a, b) : std::min(a, b);
      }
    }
    return acc;
  }

  const internal::Typing& typing_;
  const std::vector<int>& name_index_;
  const std::vector<RowValue>& inputs_;
  std::optional<int64_t> lookup_time_;
};

void IndexNames(const Node& node, const std::vector<std::string>& names, std::vector<int>* out) {
  if (node.kind == NodeKind::kName) {
    const auto it = std::find(names.begin(), names.end(), node.text);
    (*out)[static_cast<size_t>(node.id)] = static_cast<int>(it - names.begin());
  }
  for (const Node& child : node.children) IndexNames(child, names, out);
}

}  // namespace

RowValue RowValueAt(const arrow::Array& array, int64_t i) {
  if (array.IsNull(i)) return std::monostate{};
  switch (array.type_id()) {
    case arrow::Type::BOOL:
      return static_cast<const arrow::BooleanArray&>(array).Value(i);
    case arrow::Type::INT32:
    case arrow::Type::DATE32:
      return int64_t{array.data()->GetValues<int32_t>(1)[i]};
    case arrow::Type::INT64:
    case arrow::Type::TIMESTAMP:
      return array.data()->GetValues<int64_t>(1)[i];
    case arrow::Type::FLOAT:
      return double{static_cast<const arrow::FloatArray&>(array).Value(i)};
    case arrow::Type::DOUBLE:
      return static_cast<const arrow::DoubleArray&>(array).Value(i);
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return static_cast<const arrow::BinaryArray&>(array).GetString(i);
    case arrow::Type::LIST: {
      const auto& list = static_cast<const arrow::ListArray&>(array);
      if (list.value_type()->id() != arrow::Type::FLOAT) return std::monostate{};
      const auto& items = static_cast<const arrow::FloatArray&>(*list.values());
      std::vector<float> v;
      for (int64_t k = list.value_offset(i); k < list.value_offset(i + 1); ++k) {
        v.push_back(items.IsNull(k) ? std::numeric_limits<float>::quiet_NaN() : items.Value(k));
      }
      return v;
    }
    default:
      return std::monostate{};
  }
}

Result<RowExpression> RowExpression::Make(const Expression& expression,
                                          const std::map<std::string, core::ValueType>& types) {
  FST_ASSIGN_OR_RAISE(internal::Typing typing, internal::TypeTree(expression.tree(), types));
  RowExpression out;
  out.type_ = *typing.result[static_cast<size_t>(expression.tree().root.id)];
  out.name_index_.assign(static_cast<size_t>(expression.tree().node_count), -1);
  IndexNames(expression.tree().root, expression.Names(), &out.name_index_);
  out.typing_ = std::make_shared<const internal::Typing>(std::move(typing));
  out.tree_ = expression.tree_;
  return out;
}

RowValue RowExpression::Evaluate(const std::vector<RowValue>& inputs,
                                 std::optional<int64_t> lookup_time) const {
  return Walker(*typing_, name_index_, inputs, lookup_time).Eval(tree_->root);
}

}  // namespace fst::transform
