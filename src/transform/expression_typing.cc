// The type rules of docs/expressions.md: integers widen to int64, any float makes float64,
// booleans are not numbers, and the literal null fits any operand.
#include "expression_internal.h"

namespace fst::transform::internal {
namespace {

using core::ValueType;

bool IsNumeric(const Type& t) {
  return !t || *t == ValueType::kInt32 || *t == ValueType::kInt64 || *t == ValueType::kFloat32 ||
         *t == ValueType::kFloat64;
}

bool IsInteger(const Type& t) { return !t || *t == ValueType::kInt32 || *t == ValueType::kInt64; }

// The arithmetic type of numeric operands: int64 when all are integers (or null), else float64.
Type Arithmetic(const std::vector<Type>& types) {
  for (const Type& t : types) {
    if (!IsInteger(t)) return ValueType::kFloat64;
  }
  return ValueType::kInt64;
}

// The common type of if branches and coalesce arguments into `*out`: equal types stay,
// numbers of different types meet in their arithmetic type, null takes the other's type.
// False when there is none.
bool Unify(const Type& a, const Type& b, Type* out) {
  if (!a || !b || *a == *b) {
    *out = a ? a : b;
    return true;
  }
  if (IsNumeric(a) && IsNumeric(b)) {
    *out = Arithmetic({a, b});
    return true;
  }
  return false;
}

std::string Column(const Node& node) { return "column " + std::to_string(node.column) + ": "; }

class Typer {
 public:
  Typer(const Tree& tree, const std::map<std::string, ValueType>& types) : types_(types) {
    typing_.result.resize(static_cast<size_t>(tree.node_count));
    typing_.operand.resize(static_cast<size_t>(tree.node_count));
  }

  Result<Typing> Run(const Node& root) {
    FST_RETURN_NOT_OK(Visit(root));
    if (!Of(root)) return Status::Invalid(Column(root), "the expression is always null");
    if (Of(root) == ValueType::kListFloat32) return VectorMisuse(root);
    return std::move(typing_);
  }

 private:
  Type Of(const Node& node) const { return typing_.result[static_cast<size_t>(node.id)]; }

  void Set(const Node& node, Type result, Type operand) {
    typing_.result[static_cast<size_t>(node.id)] = result;
    typing_.operand[static_cast<size_t>(node.id)] = operand;
  }

  // A list<float32> value outside the vector functions and is_null.
  static Status VectorMisuse(const Node& node) {
    return Status::Invalid(Column(node), "'", node.text, "' is a list<float32>; vectors are "
                           "used only in dot, cosine, norm and is_null");
  }

  Status Visit(const Node& node) {
    for (const Node& child : node.children) FST_RETURN_NOT_OK(Visit(child));
    const bool takes_vectors = node.kind == NodeKind::kCall &&
                               (IsVectorFunction(node.function) ||
                                node.function == Function::kIsNull);
    for (const Node& child : node.children) {
      if (!takes_vectors && Of(child) == ValueType::kListFloat32) return VectorMisuse(child);
    }
    switch (node.kind) {
      case NodeKind::kLiteral:
        return VisitLiteral(node);
      case NodeKind::kName:
        return VisitName(node);
      case NodeKind::kGlued:
        if (types_.count(node.text) == 0) {
          return Status::Invalid(Column(node), "unknown name '", node.text, "'");
        }
        return Status::Invalid(Column(node), "missing operator between ", node.children[0].text,
                               " and '", node.text, "'");
      case NodeKind::kUnary:
        return VisitUnary(node);
      case NodeKind::kBinary:
        return VisitBinary(node);
      case NodeKind::kCall:
        return VisitCall(node);
    }
    return Status::OK();
  }

  Status VisitLiteral(const Node& node) {
    Type t;
    if (std::holds_alternative<bool>(node.literal)) t = ValueType::kBool;
    if (std::holds_alternative<int64_t>(node.literal)) t = ValueType::kInt64;
    if (std::holds_alternative<double>(node.literal)) t = ValueType::kFloat64;
    if (std::holds_alternative<std::string>(node.literal)) t = ValueType::kString;
    Set(node, t, t);
    return Status::OK();
  }

  Status VisitName(const Node& node) {
    const auto it = types_.find(node.text);
    if (it == types_.end()) {
      return Status::Invalid(Column(node), "unknown name '", node.text, "'");
    }
    if (it->second == ValueType::kListString) {
      return Status::Invalid(Column(node), "'", node.text, "' is a ",
                             core::ValueTypeName(it->second),
                             "; lists of strings cannot be used in expressions");
    }
    Set(node, it->second, it->second);
    return Status::OK();
  }

  Status VisitUnary(const Node& node) {
    const Type t = Of(node.children[0]);
    if (node.op == Op::kNot) {
      if (t && *t != ValueType::kBool) {
        return Status::Invalid(Column(node), "'not' needs a bool, found ", TypeName(t));
      }
      Set(node, ValueType::kBool, ValueType::kBool);
      return Status::OK();
    }
    if (!IsNumeric(t)) return Status::Invalid(Column(node), "cannot negate ", TypeName(t));
    const Type result = Arithmetic({t});
    Set(node, result, result);
    return Status::OK();
  }

  Status VisitBinary(const Node& node) {
    const Type a = Of(node.children[0]);
    const Type b = Of(node.children[1]);
    const std::string_view an = TypeName(a);
    const std::string_view bn = TypeName(b);
    switch (node.op) {
      case Op::kAnd:
      case Op::kOr:
        for (const Type& t : {a, b}) {
          if (t && *t != ValueType::kBool) {
            return Status::Invalid(Column(node), "'", node.op == Op::kAnd ? "and" : "or",
                                   "' needs bool operands, found ", TypeName(t));
          }
        }
        Set(node, ValueType::kBool, ValueType::kBool);
        return Status::OK();
      case Op::kEq:
      case Op::kNe:
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe: {
        Type operand;
        if (IsNumeric(a) && IsNumeric(b)) {
          operand = a || b ? Arithmetic({a, b}) : Type(ValueType::kBool);
        } else if (!a || !b || *a == *b) {
          operand = a ? a : b;
        } else {
          return Status::Invalid(Column(node), "cannot compare ", an, " with ", bn);
        }
        Set(node, ValueType::kBool, operand);
        return Status::OK();
      }
      case Op::kAdd: {
        const bool strings = (!a || *a == ValueType::kString) && (!b || *b == ValueType::kString);
        if (strings && (a || b)) {
          Set(node, ValueType::kString, ValueType::kString);
          return Status::OK();
        }
        if (!IsNumeric(a) || !IsNumeric(b)) {
          return Status::Invalid(Column(node), "cannot add ", an, " and ", bn);
        }
        break;
      }
      case Op::kSub:
        if (!IsNumeric(a) || !IsNumeric(b)) {
          return Status::Invalid(Column(node), "cannot subtract ", bn, " from ", an);
        }
        break;
      case Op::kMul:
        if (!IsNumeric(a) || !IsNumeric(b)) {
          return Status::Invalid(Column(node), "cannot multiply ", an, " by ", bn);
        }
        break;
      case Op::kDiv:
        if (!IsNumeric(a) || !IsNumeric(b)) {
          return Status::Invalid(Column(node), "cannot divide ", an, " by ", bn);
        }
        Set(node, ValueType::kFloat64, ValueType::kFloat64);
        return Status::OK();
      case Op::kMod:
        if (!IsNumeric(a) || !IsNumeric(b)) {
          return Status::Invalid(Column(node), "cannot compute ", an, " % ", bn);
        }
        break;
      case Op::kNeg:
      case Op::kNot:
        break;
    }
    const Type result = Arithmetic({a, b});
    Set(node, result, result);
    return Status::OK();
  }

  Status VisitCall(const Node& node) {
    std::vector<Type> args;
    for (const Node& child : node.children) args.push_back(Of(child));
    const std::string prefix = Column(node) + node.text;
    switch (node.function) {
      case Function::kIf: {
        if (args[0] && *args[0] != ValueType::kBool) {
          return Status::Invalid(prefix, " needs a bool condition, found ", TypeName(args[0]));
        }
        Type t;
        if (!Unify(args[1], args[2], &t)) {
          return Status::Invalid(prefix, " branches have different types: ", TypeName(args[1]),
                                 " and ", TypeName(args[2]));
        }
        Set(node, t, t);
        return Status::OK();
      }
      case Function::kCoalesce: {
        Type t;
        for (const Type& arg : args) {
          const Type previous = t;
          if (!Unify(previous, arg, &t)) {
            return Status::Invalid(prefix, " arguments have different types: ", TypeName(previous),
                                   " and ", TypeName(arg));
          }
        }
        Set(node, t, t);
        return Status::OK();
      }
      case Function::kIsNull:
        Set(node, ValueType::kBool, args[0] ? args[0] : Type(ValueType::kBool));
        return Status::OK();
      case Function::kDot:
      case Function::kCosine:
      case Function::kNorm:
        for (const Type& arg : args) {
          if (arg && *arg != ValueType::kListFloat32) {
            return Status::Invalid(prefix, " needs list<float32> vectors, found ",
                                   TypeName(arg));
          }
        }
        Set(node, ValueType::kFloat64, ValueType::kListFloat32);
        return Status::OK();
      case Function::kDaysSince:
        if (args[0] && *args[0] != ValueType::kTimestamp && *args[0] != ValueType::kDate) {
          return Status::Invalid(prefix, " needs a timestamp or date, found ", TypeName(args[0]));
        }
        Set(node, ValueType::kFloat64, args[0] ? args[0] : Type(ValueType::kTimestamp));
        return Status::OK();
      // Text functions: string arguments; null in, null out.
      case Function::kLength:
      case Function::kTokenCount:
        return TextCall(node, args, ValueType::kInt64);
      case Function::kLower:
      case Function::kUpper:
        return TextCall(node, args, ValueType::kString);
      case Function::kContains:
      case Function::kRegexMatch:
        return TextCall(node, args, ValueType::kBool);
      default:
        break;
    }
    for (const Type& arg : args) {
      if (!IsNumeric(arg)) {
        return Status::Invalid(prefix, " needs numbers, found ", TypeName(arg));
      }
    }
    switch (node.function) {
      case Function::kLog:
      case Function::kExp:
      case Function::kSqrt:
      case Function::kPow:
        Set(node, ValueType::kFloat64, ValueType::kFloat64);
        break;
      default: {
        const Type t = Arithmetic(args);
        Set(node, t, t);
        break;
      }
    }
    return Status::OK();
  }

  Status TextCall(const Node& node, const std::vector<Type>& args, ValueType result) {
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] && *args[i] != ValueType::kString) {
        return Status::Invalid(Column(node), node.text, " needs a string",
                               args.size() > 1 ? (i == 0 ? " first argument" : " second argument")
                                               : "",
                               ", found ", TypeName(args[i]));
      }
    }
    Set(node, result, ValueType::kString);
    return Status::OK();
  }

  const std::map<std::string, ValueType>& types_;
  Typing typing_;
};

}  // namespace

Result<Typing> TypeTree(const Tree& tree, const std::map<std::string, ValueType>& types) {
  return Typer(tree, types).Run(tree.root);
}

std::string_view TypeName(const Type& type) {
  return type ? core::ValueTypeName(*type) : std::string_view("null");
}

}  // namespace fst::transform::internal
