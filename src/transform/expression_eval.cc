// Vectorized evaluation: every node turns whole arrays (or literal scalars) into one array,
// with an Arrow compute kernel where its semantics are ours and a typed loop where they are
// not (integer overflow, division by zero and domain errors give null, not an error or inf).
#include <cstring>
#include <optional>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_ops.h>

#include "expression_internal.h"
#include "expression_ops.h"
#include "featherstone/core/arrow_init.h"

namespace fst::transform::internal {
namespace {

using arrow::Datum;
using core::ValueType;

// Calls `visit` with an accessor i -> value of C type T over a Datum holding an array (its
// values, offset applied) or a scalar (repeated), so that loops are compiled for each shape.
template <typename T, typename Visit>
void VisitValues(const Datum& datum, Visit visit) {
  if (datum.is_scalar()) {
    T value{};
    const arrow::Scalar& scalar = *datum.scalar();
    if (scalar.is_valid) {
      std::memcpy(&value, static_cast<const arrow::internal::PrimitiveScalarBase&>(scalar).data(),
                  sizeof(T));
    }
    visit([value](int64_t) { return value; });
  } else {
    const T* values = datum.array()->GetValues<T>(1);
    visit([values](int64_t i) { return values[i]; });
  }
}

// The rows where every operand is valid, as a bitmap of `length` bits.
Result<std::shared_ptr<arrow::Buffer>> CommonValidity(const std::vector<const Datum*>& operands,
                                                      int64_t length) {
  FST_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bits, arrow::AllocateBitmap(length));
  arrow::bit_util::SetBitsTo(bits->mutable_data(), 0, length, true);
  for (const Datum* d : operands) {
    if (d->is_scalar()) {
      if (!d->scalar()->is_valid)
        arrow::bit_util::SetBitsTo(bits->mutable_data(), 0, length, false);
      continue;
    }
    const arrow::ArrayData& array = *d->array();
    if (array.buffers[0] == nullptr) continue;
    FST_ASSIGN_OR_RAISE(
        bits, arrow::internal::BitmapAnd(arrow::default_memory_pool(), bits->data(), 0,
                                         array.buffers[0]->data(), array.offset, length, 0));
  }
  return bits;
}

// out[i] = f(operand values at i, &out[i]) over the rows where every operand is valid;
// null elsewhere and where f returns false. `apply(i, out)` is the bound loop body.
template <typename Out, typename Apply>
Result<Datum> MapRows(const std::vector<const Datum*>& operands, int64_t length, ValueType out_type,
                      Apply apply) {
  FST_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bits, CommonValidity(operands, length));
  FST_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> values,
                      arrow::AllocateBuffer(length * static_cast<int64_t>(sizeof(Out))));
  apply(bits->mutable_data(), reinterpret_cast<Out*>(values->mutable_data()));
  const int64_t nulls = length - arrow::internal::CountSetBits(bits->data(), 0, length);
  return Datum(arrow::ArrayData::Make(core::ToArrowType(out_type), length,
                                      {std::move(bits), std::move(values)}, nulls));
}

// out[i] = f(x[i]) over `length` rows; null where x is null or f returns false. f sees the
// values of null rows too (whatever the buffer holds) and must not fail on them.
template <typename In, typename Out, typename F>
Result<Datum> MapUnary(const Datum& x, int64_t length, ValueType out_type, F f) {
  return MapRows<Out>({&x}, length, out_type, [&](uint8_t* bits, Out* out) {
    VisitValues<In>(x, [&](auto xs) {
      for (int64_t i = 0; i < length; ++i) {
        if (!f(xs(i), &out[i])) arrow::bit_util::ClearBit(bits, i);
      }
    });
  });
}

// out[i] = f(a[i], b[i]) over `length` rows; the rules of MapUnary.
template <typename A, typename B, typename Out, typename F>
Result<Datum> MapBinary(const Datum& a, const Datum& b, int64_t length, ValueType out_type, F f) {
  return MapRows<Out>({&a, &b}, length, out_type, [&](uint8_t* bits, Out* out) {
    VisitValues<A>(a, [&](auto as) {
      VisitValues<B>(b, [&](auto bs) {
        for (int64_t i = 0; i < length; ++i) {
          if (!f(as(i), bs(i), &out[i])) arrow::bit_util::ClearBit(bits, i);
        }
      });
    });
  });
}

Result<Datum> Call(const std::string& function, const std::vector<Datum>& args,
                   const arrow::compute::FunctionOptions* options = nullptr) {
  return arrow::compute::CallFunction(function, args, options);
}

class Evaluator {
 public:
  Evaluator(const Typing& typing,
            const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs,
            const std::shared_ptr<arrow::Array>& lookup_time, int64_t length)
      : typing_(typing), inputs_(inputs), lookup_time_(lookup_time), length_(length) {}

  Result<Datum> Eval(const Node& node) {
    if (!ResultType(node)) return Datum(arrow::MakeNullScalar(arrow::null()));
    switch (node.kind) {
      case NodeKind::kLiteral:
        return EvalLiteral(node);
      case NodeKind::kName:
        return Datum(inputs_.at(node.text));
      case NodeKind::kUnary:
        return EvalUnary(node);
      case NodeKind::kBinary:
        return EvalBinary(node);
      case NodeKind::kCall:
        return EvalCall(node);
      case NodeKind::kGlued:
        break;
    }
    return Status::Invalid("column ", node.column, ": cannot evaluate '", node.text, "'");
  }

 private:
  Type ResultType(const Node& node) const { return typing_.result[static_cast<size_t>(node.id)]; }
  Type OperandType(const Node& node) const { return typing_.operand[static_cast<size_t>(node.id)]; }

  // The child evaluated and converted to `to`.
  Result<Datum> EvalAs(const Node& child, const Type& to) {
    FST_ASSIGN_OR_RAISE(Datum value, Eval(child));
    const Type from = ResultType(child);
    if (from == to) return value;
    if (!from) return Datum(arrow::MakeNullScalar(core::ToArrowType(*to)));
    return arrow::compute::Cast(value, core::ToArrowType(*to),
                                arrow::compute::CastOptions::Unsafe());
  }

  // Every child converted to the node's operand type.
  Result<std::vector<Datum>> EvalOperands(const Node& node) {
    std::vector<Datum> values;
    for (const Node& child : node.children) {
      FST_ASSIGN_OR_RAISE(Datum value, EvalAs(child, OperandType(node)));
      values.push_back(std::move(value));
    }
    return values;
  }

  Result<Datum> EvalLiteral(const Node& node) const {
    const Literal& v = node.literal;
    if (const bool* b = std::get_if<bool>(&v)) return Datum(*b);
    if (const int64_t* i = std::get_if<int64_t>(&v)) return Datum(*i);
    if (const double* d = std::get_if<double>(&v)) return Datum(*d);
    return Datum(std::make_shared<arrow::StringScalar>(std::get<std::string>(v)));
  }

  Result<Datum> EvalUnary(const Node& node) {
    FST_ASSIGN_OR_RAISE(std::vector<Datum> x, EvalOperands(node));
    if (node.op == Op::kNot) return Call("invert", x);
    if (*OperandType(node) == ValueType::kFloat64) return Call("negate", x);
    return MapUnary<int64_t, int64_t>(x[0], length_, ValueType::kInt64, NegInt);
  }

  Result<Datum> EvalBinary(const Node& node) {
    FST_ASSIGN_OR_RAISE(std::vector<Datum> args, EvalOperands(node));
    const Datum& a = args[0];
    const Datum& b = args[1];
    const ValueType operand = *OperandType(node);
    const bool floats = operand == ValueType::kFloat64;
    switch (node.op) {
      case Op::kAnd:
        return Call("and_kleene", args);
      case Op::kOr:
        return Call("or_kleene", args);
      case Op::kEq:
        return Call("equal", args);
      case Op::kNe:
        return Call("not_equal", args);
      case Op::kLt:
        return Call("less", args);
      case Op::kLe:
        return Call("less_equal", args);
      case Op::kGt:
        return Call("greater", args);
      case Op::kGe:
        return Call("greater_equal", args);
      case Op::kAdd:
        if (operand == ValueType::kString) {
          return Call("binary_join_element_wise",
                      {a, b, Datum(std::make_shared<arrow::StringScalar>(""))});
        }
        if (floats) return Call("add", args);
        return IntOp(a, b, AddInt);
      case Op::kSub:
        if (floats) return Call("subtract", args);
        return IntOp(a, b, SubInt);
      case Op::kMul:
        if (floats) return Call("multiply", args);
        return IntOp(a, b, MulInt);
      case Op::kDiv:
        return FloatOp(a, b, DivFloat);
      case Op::kMod:
        if (floats) return FloatOp(a, b, ModFloat);
        return IntOp(a, b, ModInt);
      case Op::kNeg:
      case Op::kNot:
        break;
    }
    return Status::Invalid("column ", node.column, ": not a binary operator");
  }

  template <typename F>
  Result<Datum> IntOp(const Datum& a, const Datum& b, F f) const {
    return MapBinary<int64_t, int64_t, int64_t>(a, b, length_, ValueType::kInt64, f);
  }
  template <typename F>
  Result<Datum> FloatOp(const Datum& a, const Datum& b, F f) const {
    return MapBinary<double, double, double>(a, b, length_, ValueType::kFloat64, f);
  }

  Result<Datum> EvalCall(const Node& node) {
    if (node.function == Function::kIf) {
      FST_ASSIGN_OR_RAISE(Datum condition, EvalAs(node.children[0], ValueType::kBool));
      FST_ASSIGN_OR_RAISE(Datum then, EvalAs(node.children[1], OperandType(node)));
      FST_ASSIGN_OR_RAISE(Datum otherwise, EvalAs(node.children[2], OperandType(node)));
      return Call("if_else", {condition, then, otherwise});
    }
    FST_ASSIGN_OR_RAISE(std::vector<Datum> args, EvalOperands(node));
    const bool floats = OperandType(node) == ValueType::kFloat64;
    const arrow::compute::ElementWiseAggregateOptions propagate_nulls(/*skip_nulls=*/false);
    switch (node.function) {
      case Function::kIf:
        break;
      case Function::kCoalesce:
        return Call("coalesce", args);
      case Function::kIsNull:
        return Call("is_null", args);
      case Function::kLog:
        return MapUnary<double, double>(args[0], length_, ValueType::kFloat64, LogFloat);
      case Function::kSqrt:
        return MapUnary<double, double>(args[0], length_, ValueType::kFloat64, SqrtFloat);
      case Function::kExp:
        return Call("exp", args);
      case Function::kPow:
        return FloatOp(args[0], args[1], PowFloat);
      case Function::kAbs:
        if (floats) return Call("abs", args);
        return MapUnary<int64_t, int64_t>(args[0], length_, ValueType::kInt64, AbsInt);
      case Function::kMin:
        return Call("min_element_wise", args, &propagate_nulls);
      case Function::kMax:
        return Call("max_element_wise", args, &propagate_nulls);
      case Function::kClamp: {
        FST_ASSIGN_OR_RAISE(Datum low,
                            Call("max_element_wise", {args[0], args[1]}, &propagate_nulls));
        return Call("min_element_wise", {low, args[2]}, &propagate_nulls);
      }
      case Function::kDaysSince:
        return DaysSince(node, args[0]);
      case Function::kLength:
      case Function::kLower:
      case Function::kUpper:
      case Function::kContains:
      case Function::kRegexMatch:
      case Function::kTokenCount:
        return Text(node, args);
      case Function::kDot:
      case Function::kCosine:
      case Function::kNorm:
        return VectorCall(node.function, args);
    }
    return Status::Invalid("column ", node.column, ": unknown function");
  }

  Result<Datum> DaysSince(const Node& node, const Datum& x) const {
    if (lookup_time_ == nullptr) {
      return Status::Invalid("column ", node.column, ": days_since needs the lookup time");
    }
    const Datum lookup(lookup_time_);
    if (*OperandType(node) == ValueType::kDate) {
      return MapBinary<int64_t, int32_t, double>(
          lookup, x, length_, ValueType::kFloat64, [](int64_t t, int32_t days, double* out) {
            *out = DaysSinceDate(t, days);
            return true;
          });
    }
    return MapBinary<int64_t, int64_t, double>(
        lookup, x, length_, ValueType::kFloat64, [](int64_t t, int64_t ts, double* out) {
          *out = DaysSinceTimestamp(t, ts);
          return true;
        });
  }

  // One string argument of a text function: an array, or a literal repeated.
  struct TextArg {
    std::shared_ptr<arrow::StringArray> array;  // null for a scalar
    std::string_view scalar;
    bool scalar_valid = false;

    explicit TextArg(const Datum& d) {
      if (d.is_scalar()) {
        const auto& value = static_cast<const arrow::StringScalar&>(*d.scalar());
        scalar_valid = value.is_valid;
        if (scalar_valid) scalar = value.view();
      } else {
        array = std::static_pointer_cast<arrow::StringArray>(d.make_array());
      }
    }
    bool IsNull(int64_t i) const { return array ? array->IsNull(i) : !scalar_valid; }
    std::string_view View(int64_t i) const { return array ? array->GetView(i) : scalar; }
  };

  // Text functions: one typed loop over the strings, null where any argument is null.
  Result<Datum> Text(const Node& node, const std::vector<Datum>& args) const {
    std::vector<TextArg> strings(args.begin(), args.end());
    auto valid = [&](int64_t i) {
      for (const auto& s : strings) {
        if (s.IsNull(i)) return false;
      }
      return true;
    };
    const TextArg& s = strings[0];
    switch (node.function) {
      case Function::kLength:
      case Function::kTokenCount: {
        const bool tokens = node.function == Function::kTokenCount;
        arrow::Int64Builder out;
        FST_RETURN_NOT_OK(out.Reserve(length_));
        for (int64_t i = 0; i < length_; ++i) {
          if (!valid(i)) {
            out.UnsafeAppendNull();
          } else {
            out.UnsafeAppend(tokens ? TokenCount(s.View(i)) : TextLength(s.View(i)));
          }
        }
        return Finish(&out);
      }
      case Function::kLower:
      case Function::kUpper: {
        arrow::StringBuilder out;
        FST_RETURN_NOT_OK(out.Reserve(length_));
        std::string value;
        for (int64_t i = 0; i < length_; ++i) {
          if (!valid(i)) {
            FST_RETURN_NOT_OK(out.AppendNull());
            continue;
          }
          TextCase(s.View(i), node.function == Function::kUpper, &value);
          FST_RETURN_NOT_OK(out.Append(value));
        }
        return Finish(&out);
      }
      default: {
        arrow::BooleanBuilder out;
        FST_RETURN_NOT_OK(out.Reserve(length_));
        for (int64_t i = 0; i < length_; ++i) {
          if (!valid(i)) {
            out.UnsafeAppendNull();
          } else if (node.function == Function::kContains) {
            out.UnsafeAppend(TextContains(s.View(i), strings[1].View(i)));
          } else if (const std::optional<bool> found = node.pattern->Search(s.View(i))) {
            out.UnsafeAppend(*found);
          } else {
            out.UnsafeAppendNull();
          }
        }
        return Finish(&out);
      }
    }
  }

  static Result<Datum> Finish(arrow::ArrayBuilder* builder) {
    std::shared_ptr<arrow::Array> array;
    FST_RETURN_NOT_OK(builder->Finish(&array));
    return Datum(std::move(array));
  }

  // --- Vector functions: a loop over the rows of list<float32> arrays.
  Result<Datum> VectorCall(Function function, const std::vector<Datum>& args) const {
    std::vector<std::shared_ptr<arrow::ListArray>> lists;
    for (const Datum& arg : args) {
      if (arg.is_scalar()) return Datum(arrow::MakeNullScalar(arrow::float64()));  // null literal
      lists.push_back(std::static_pointer_cast<arrow::ListArray>(arg.make_array()));
    }
    auto vector = [&lists](size_t a, int64_t i) {
      const arrow::ListArray& list = *lists[a];
      const auto& items = static_cast<const arrow::FloatArray&>(*list.values());
      const int64_t begin = list.value_offset(i), end = list.value_offset(i + 1);
      VectorRef v{items.raw_values() + begin, end - begin, false};
      for (int64_t k = begin; k < end && !v.null_item; ++k) v.null_item = items.IsNull(k);
      return v;
    };
    arrow::DoubleBuilder out;
    FST_RETURN_NOT_OK(out.Reserve(length_));
    for (int64_t i = 0; i < length_; ++i) {
      double value = 0;
      bool valid = true;
      for (const auto& list : lists) valid = valid && !list->IsNull(i);
      if (valid) {
        switch (function) {
          case Function::kDot: valid = DotVector(vector(0, i), vector(1, i), &value); break;
          case Function::kCosine: valid = CosineVector(vector(0, i), vector(1, i), &value); break;
          default: valid = NormVector(vector(0, i), &value); break;
        }
      }
      if (valid) {
        out.UnsafeAppend(value);
      } else {
        out.UnsafeAppendNull();
      }
    }
    FST_ASSIGN_OR_RAISE(auto array, out.Finish());
    return Datum(std::move(array));
  }

  const Typing& typing_;
  const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs_;
  const std::shared_ptr<arrow::Array>& lookup_time_;
  int64_t length_;
};

}  // namespace

Result<std::shared_ptr<arrow::Array>> EvaluateTree(
    const Tree& tree, const Typing& typing,
    const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs,
    const std::shared_ptr<arrow::Array>& lookup_time, int64_t length) {
  FST_RETURN_NOT_OK(core::EnsureArrowCompute());
  FST_ASSIGN_OR_RAISE(Datum result, Evaluator(typing, inputs, lookup_time, length).Eval(tree.root));
  if (result.is_scalar()) return arrow::MakeArrayFromScalar(*result.scalar(), length);
  return result.make_array();
}

}  // namespace fst::transform::internal
