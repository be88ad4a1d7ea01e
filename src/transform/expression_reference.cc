#include "featherstone/transform/expression_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <locale>
#include <map>
#include <sstream>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <arrow/api.h>

#include "expression_internal.h"
#include "featherstone/core/time.h"

namespace fst::transform {
namespace {

using core::ValueType;
using internal::Function;
using internal::Node;
using internal::NodeKind;
using internal::Op;
using internal::Type;

// One value: null, bool, an integer (also timestamps in µs and dates in days), a float, the
// bytes of a string, or a list<float32> vector (its items; nullopt: a null item).
using Value = std::variant<std::monostate, bool, int64_t, double, std::string,
                           std::vector<std::optional<float>>>;

bool IsNull(const Value& v) { return std::holds_alternative<std::monostate>(v); }

// An integer result, or null outside the int64 range.
Value Checked(__int128 v) {
  if (v < std::numeric_limits<int64_t>::min() || v > std::numeric_limits<int64_t>::max()) {
    return std::monostate{};
  }
  return static_cast<int64_t>(v);
}

Value Read(const arrow::Array& array, int64_t row) {
  if (array.IsNull(row)) return std::monostate{};
  switch (array.type_id()) {
    case arrow::Type::BOOL:
      return static_cast<const arrow::BooleanArray&>(array).Value(row);
    case arrow::Type::INT32:
      return int64_t{static_cast<const arrow::Int32Array&>(array).Value(row)};
    case arrow::Type::INT64:
      return static_cast<const arrow::Int64Array&>(array).Value(row);
    case arrow::Type::FLOAT:
      return double{static_cast<const arrow::FloatArray&>(array).Value(row)};
    case arrow::Type::DOUBLE:
      return static_cast<const arrow::DoubleArray&>(array).Value(row);
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return static_cast<const arrow::BinaryArray&>(array).GetString(row);
    case arrow::Type::TIMESTAMP:
      return static_cast<const arrow::TimestampArray&>(array).Value(row);
    case arrow::Type::DATE32:
      return int64_t{static_cast<const arrow::Date32Array&>(array).Value(row)};
    case arrow::Type::LIST: {
      const auto& list = static_cast<const arrow::ListArray&>(array);
      std::vector<std::optional<float>> items;
      const auto slice = list.value_slice(row);
      for (int64_t k = 0; k < slice->length(); ++k) {
        if (slice->IsNull(k)) {
          items.push_back(std::nullopt);
        } else {
          items.push_back(static_cast<const arrow::FloatArray&>(*slice).Value(k));
        }
      }
      return items;
    }
    default:
      return std::monostate{};
  }
}

Status Append(arrow::ArrayBuilder* builder, ValueType type, const Value& v) {
  if (IsNull(v)) return builder->AppendNull();
  switch (type) {
    case ValueType::kBool:
      return static_cast<arrow::BooleanBuilder*>(builder)->Append(std::get<bool>(v));
    case ValueType::kInt32:
      return static_cast<arrow::Int32Builder*>(builder)->Append(
          static_cast<int32_t>(std::get<int64_t>(v)));
    case ValueType::kInt64:
      return static_cast<arrow::Int64Builder*>(builder)->Append(std::get<int64_t>(v));
    case ValueType::kFloat32:
      return static_cast<arrow::FloatBuilder*>(builder)->Append(
          static_cast<float>(std::get<double>(v)));
    case ValueType::kFloat64:
      return static_cast<arrow::DoubleBuilder*>(builder)->Append(std::get<double>(v));
    case ValueType::kString:
    case ValueType::kBytes:
      return static_cast<arrow::BinaryBuilder*>(builder)->Append(std::get<std::string>(v));
    case ValueType::kTimestamp:
      return static_cast<arrow::TimestampBuilder*>(builder)->Append(std::get<int64_t>(v));
    case ValueType::kDate:
      return static_cast<arrow::Date32Builder*>(builder)->Append(
          static_cast<int32_t>(std::get<int64_t>(v)));
    default:
      return Status::NotImplemented("the reference has no ", core::ValueTypeName(type));
  }
}

// `v` of type `from` as a value of type `to`: only integers becoming floats change.
Value Convert(const Value& v, const Type& to) {
  if (to == ValueType::kFloat64 && std::holds_alternative<int64_t>(v)) {
    return static_cast<double>(std::get<int64_t>(v));
  }
  return v;
}

bool Compare(Op op, const Value& a, const Value& b) {
  switch (op) {
    case Op::kEq:
      return a == b;
    case Op::kNe:
      return !(a == b);
    case Op::kLt:
      return a < b;
    case Op::kLe:
      return a < b || a == b;
    case Op::kGt:
      return b < a;
    default:
      return b < a || a == b;
  }
}

class RowEvaluator {
 public:
  RowEvaluator(const internal::Typing& typing,
               const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs,
               const std::shared_ptr<arrow::Array>& lookup_time)
      : typing_(typing), inputs_(inputs), lookup_time_(lookup_time) {}

  Value Eval(const Node& node, int64_t row) const {
    if (!ResultType(node)) return std::monostate{};
    switch (node.kind) {
      case NodeKind::kLiteral:
        return std::visit([](const auto& v) { return Value(v); }, node.literal);
      case NodeKind::kName:
        return Read(*inputs_.at(node.text), row);
      case NodeKind::kUnary:
        return EvalUnary(node, row);
      case NodeKind::kBinary:
        return EvalBinary(node, row);
      case NodeKind::kCall:
        return EvalCall(node, row);
      case NodeKind::kGlued:
        break;
    }
    return std::monostate{};
  }

 private:
  Type ResultType(const Node& node) const { return typing_.result[static_cast<size_t>(node.id)]; }
  Type OperandType(const Node& node) const { return typing_.operand[static_cast<size_t>(node.id)]; }
  Value Arg(const Node& node, size_t i, int64_t row) const {
    return Convert(Eval(node.children[i], row), OperandType(node));
  }

  Value EvalUnary(const Node& node, int64_t row) const {
    const Value x = Arg(node, 0, row);
    if (IsNull(x)) return x;
    if (node.op == Op::kNot) return !std::get<bool>(x);
    if (const double* d = std::get_if<double>(&x)) return -*d;
    return Checked(-static_cast<__int128>(std::get<int64_t>(x)));
  }

  Value EvalBinary(const Node& node, int64_t row) const {
    const Value a = Arg(node, 0, row);
    const Value b = Arg(node, 1, row);
    if (node.op == Op::kAnd || node.op == Op::kOr) {
      const bool dominant = node.op == Op::kOr;  // the value that decides alone
      if (a == Value(dominant) || b == Value(dominant)) return dominant;
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
        if (std::holds_alternative<double>(a)) {
          // IEEE: every comparison with NaN is false except !=.
          const double x = std::get<double>(a), y = std::get<double>(b);
          if (std::isnan(x) || std::isnan(y)) return node.op == Op::kNe;
        }
        return Compare(node.op, a, b);
      default:
        break;
    }
    if (std::holds_alternative<std::string>(a)) {
      return std::get<std::string>(a) + std::get<std::string>(b);
    }
    if (std::holds_alternative<int64_t>(a)) {
      const __int128 x = std::get<int64_t>(a), y = std::get<int64_t>(b);
      switch (node.op) {
        case Op::kAdd:
          return Checked(x + y);
        case Op::kSub:
          return Checked(x - y);
        case Op::kMul:
          return Checked(x * y);
        case Op::kMod:
          return y == 0 ? Value() : Checked(x % y);
        default:
          return std::monostate{};
      }
    }
    const double x = std::get<double>(a), y = std::get<double>(b);
    switch (node.op) {
      case Op::kAdd:
        return x + y;
      case Op::kSub:
        return x - y;
      case Op::kMul:
        return x * y;
      case Op::kDiv:
        return y == 0 ? Value() : Value(x / y);
      case Op::kMod:
        return y == 0 ? Value() : Value(std::fmod(x, y));
      default:
        return std::monostate{};
    }
  }

  Value EvalCall(const Node& node, int64_t row) const {
    switch (node.function) {
      case Function::kIf: {
        const Value c = Eval(node.children[0], row);
        if (IsNull(c)) return c;
        return Arg(node, std::get<bool>(c) ? 1 : 2, row);
      }
      case Function::kCoalesce:
        for (size_t i = 0; i < node.children.size(); ++i) {
          Value v = Arg(node, i, row);
          if (!IsNull(v)) return v;
        }
        return std::monostate{};
      case Function::kIsNull:
        return IsNull(Eval(node.children[0], row));
      case Function::kDaysSince:
        return DaysSince(node, row);
      default:
        break;
    }
    std::vector<Value> args;
    if (internal::IsVectorFunction(node.function)) {
      for (const Node& child : node.children) {
        args.push_back(Eval(child, row));
        if (IsNull(args.back())) return std::monostate{};
      }
      return VectorFunction(node.function, args);
    }
    for (size_t i = 0; i < node.children.size(); ++i) {
      args.push_back(Arg(node, i, row));
      if (IsNull(args.back())) return std::monostate{};
    }
    if (IsText(node.function)) return Text(node, args);
    if (node.function == Function::kAbs) {
      if (const double* d = std::get_if<double>(&args[0])) return std::fabs(*d);
      const __int128 v = std::get<int64_t>(args[0]);
      return Checked(v < 0 ? -v : v);
    }
    if (node.function == Function::kMin || node.function == Function::kMax ||
        node.function == Function::kClamp) {
      const bool is_max = node.function == Function::kMax;
      Value acc = args[0];
      for (size_t i = 1; i < args.size(); ++i) {
        const bool take_max = is_max || (node.function == Function::kClamp && i == 1);
        if (std::holds_alternative<double>(acc)) {
          // Arrow's element-wise min/max are fmin/fmax: a NaN loses to a number.
          const double x = std::get<double>(acc), y = std::get<double>(args[i]);
          acc = take_max ? std::fmax(x, y) : std::fmin(x, y);
        } else {
          const int64_t x = std::get<int64_t>(acc), y = std::get<int64_t>(args[i]);
          acc = take_max ? std::max(x, y) : std::min(x, y);
        }
      }
      return acc;
    }
    const double x = std::get<double>(args[0]);
    switch (node.function) {
      case Function::kLog:
        return x > 0 || std::isnan(x) ? Value(std::log(x)) : Value();
      case Function::kExp:
        return std::exp(x);
      case Function::kSqrt:
        return x >= 0 || std::isnan(x) ? Value(std::sqrt(x)) : Value();
      case Function::kPow: {
        const double y = std::get<double>(args[1]);
        if (x < 0 && std::floor(y) != y) return std::monostate{};
        if (x == 0 && y < 0) return std::monostate{};
        return std::pow(x, y);
      }
      default:
        return std::monostate{};
    }
  }

  static bool IsText(Function f) {
    return f == Function::kLength || f == Function::kLower || f == Function::kUpper ||
           f == Function::kContains || f == Function::kRegexMatch || f == Function::kTokenCount;
  }

  // Text functions, written out naively: characters decoded one UTF-8 sequence at a time,
  // tokens read by a C-locale stream, substrings compared at every position, the pattern
  // compiled again for every row.
  static Value Text(const Node& node, const std::vector<Value>& args) {
    const std::string& s = std::get<std::string>(args[0]);
    switch (node.function) {
      case Function::kLength: {
        int64_t n = 0;
        for (size_t i = 0; i < s.size(); ++n) {
          const auto lead = static_cast<unsigned char>(s[i]);
          i += lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        }
        return n;
      }
      case Function::kTokenCount: {
        std::istringstream in(s);
        in.imbue(std::locale::classic());
        int64_t n = 0;
        for (std::string token; in >> token;) ++n;
        return n;
      }
      case Function::kLower:
      case Function::kUpper: {
        const std::string_view from = node.function == Function::kLower
                                          ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          : "abcdefghijklmnopqrstuvwxyz";
        const std::string_view to = node.function == Function::kLower
                                        ? "abcdefghijklmnopqrstuvwxyz"
                                        : "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        std::string out;
        for (const char c : s) {
          const size_t k = from.find(c);
          out += k == std::string_view::npos ? c : to[k];
        }
        return out;
      }
      case Function::kContains: {
        const std::string& part = std::get<std::string>(args[1]);
        for (size_t i = 0; i + part.size() <= s.size(); ++i) {
          if (s.compare(i, part.size(), part) == 0) return true;
        }
        return false;
      }
      default: {
        auto pattern = internal::TextPattern::Compile(std::get<std::string>(args[1]));
        if (!pattern.ok()) return std::monostate{};
        const std::optional<bool> found = (*pattern)->Search(s);
        return found ? Value(*found) : Value();
      }
    }
  }

  // dot, cosine and norm by their definitions: sums of products in double, item by item.
  static Value VectorFunction(Function function, const std::vector<Value>& args) {
    using Items = std::vector<std::optional<float>>;
    const Items& a = std::get<Items>(args[0]);
    const Items& b = std::get<Items>(args.size() > 1 ? args[1] : args[0]);
    if (a.size() != b.size()) return std::monostate{};
    double ab = 0, aa = 0, bb = 0;
    for (size_t k = 0; k < a.size(); ++k) {
      if (!a[k] || !b[k]) return std::monostate{};
      const double x = *a[k], y = *b[k];
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    switch (function) {
      case Function::kDot:
        return ab;
      case Function::kNorm:
        return std::sqrt(aa);
      default:
        if (aa == 0 || bb == 0) return std::monostate{};
        return ab / (std::sqrt(aa) * std::sqrt(bb));
    }
  }

  Value DaysSince(const Node& node, int64_t row) const {
    const Value x = Eval(node.children[0], row);
    if (IsNull(x) || lookup_time_->IsNull(row)) return std::monostate{};
    const int64_t lookup = lookup_time_->data()->GetValues<int64_t>(1)[row];
    double micros = static_cast<double>(std::get<int64_t>(x));
    if (OperandType(node) == ValueType::kDate) micros *= static_cast<double>(core::kMicrosPerDay);
    return (static_cast<double>(lookup) - micros) / static_cast<double>(core::kMicrosPerDay);
  }

  const internal::Typing& typing_;
  const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs_;
  const std::shared_ptr<arrow::Array>& lookup_time_;
};

bool UsesDaysSince(const Node& node) {
  if (node.kind == NodeKind::kCall && node.function == Function::kDaysSince) return true;
  for (const Node& child : node.children) {
    if (UsesDaysSince(child)) return true;
  }
  return false;
}

}  // namespace

Result<std::shared_ptr<arrow::Array>> EvaluateReference(
    const Expression& expression,
    const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs,
    const std::shared_ptr<arrow::Array>& lookup_time, int64_t length) {
  const internal::Tree& tree = expression.tree();
  FST_ASSIGN_OR_RAISE(auto types, internal::InputTypes(tree, inputs, lookup_time, length));
  FST_ASSIGN_OR_RAISE(internal::Typing typing, internal::TypeTree(tree, types));
  if (lookup_time == nullptr && UsesDaysSince(tree.root)) {
    return Status::Invalid("days_since needs the lookup time");
  }
  const ValueType type = *typing.result[static_cast<size_t>(tree.root.id)];
  std::unique_ptr<arrow::ArrayBuilder> builder;
  FST_RETURN_NOT_OK(
      arrow::MakeBuilder(arrow::default_memory_pool(), core::ToArrowType(type), &builder));
  const RowEvaluator evaluator(typing, inputs, lookup_time);
  for (int64_t row = 0; row < length; ++row) {
    FST_RETURN_NOT_OK(Append(builder.get(), type, evaluator.Eval(tree.root, row)));
  }
  return builder->Finish();
}

}  // namespace fst::transform
