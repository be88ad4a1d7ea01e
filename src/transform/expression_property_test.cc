// Random well-typed expressions over random sliced columns with nulls, zeros, extremes, NaN
// and infinities, and strings that are empty, Unicode, mixed-case and spaced: the vectorized evaluator and the row evaluator (RowExpression) against the
// row-by-row reference.
#include <cmath>
#include <limits>
#include <random>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "featherstone/core/time.h"
#include "featherstone/transform/expression.h"
#include "featherstone/transform/expression_reference.h"

namespace fst::transform {
namespace {

using core::ValueType;

constexpr int64_t kT0 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  bool Chance(int percent) { return Pick(100) < percent; }
  template <typename T>
  T OneOf(const std::vector<T>& items) {
    return items[static_cast<size_t>(Pick(static_cast<int>(items.size())))];
  }

  // An expression of a random type.
  std::string Any(int depth) {
    switch (Pick(5)) {
      case 0:
        return Int(depth);
      case 1:
        return Float(depth);
      case 2:
        return Bool(depth);
      case 3:
        return Str(depth);
      default:
        return Time(depth);
    }
  }

  std::string Num(int depth) { return Chance(50) ? Int(depth) : Float(depth); }

  std::string Int(int depth) {
    if (depth == 0 || Chance(30)) {
      if (Chance(5)) return "null";
      return OneOf<std::string>({"0", "1", "-1", "2", "7", "100", "9223372036854775807",
                                 "4611686018427387904", "3037000500", "i32", "i64", "j64"});
    }
    const int d = depth - 1;
    switch (Pick(9)) {
      case 8:
        return OneOf<std::string>({"length(", "token_count("}) + Str(d) + ")";
      case 0:
      case 1:
        return "(" + Int(d) + OneOf<std::string>({" + ", " - ", " * ", " % "}) + Int(d) + ")";
      case 2:
        return "-" + Int(d);
      case 3:
        return "abs(" + Int(d) + ")";
      case 4:
      {
        // Two to five arguments: every one counts, online as offline.
        std::string call = OneOf<std::string>({"min(", "max("}) + Int(d);
        for (int n = OneOf<int>({1, 1, 2, 3, 4}); n > 0; --n) call += ", " + Int(d);
        return call + ")";
      }
      case 5:
        return "clamp(" + Int(d) + ", " + Int(d) + ", " + Int(d) + ")";
      case 6:
        return "if(" + Bool(d) + ", " + Int(d) + ", " + Int(d) + ")";
      default:
        return "coalesce(" + Int(d) + ", " + Int(d) + ")";
    }
  }

  std::string Float(int depth) {
    if (depth == 0 || Chance(30)) {
      if (Chance(5)) return "null";
      return OneOf<std::string>(
          {"0.0", "1.5", "0.1", "3.0", "1e300", "1e-300", "2.5e-3", "f32", "f64", "g64"});
    }
    const int d = depth - 1;
    const std::string arith = OneOf<std::string>({" + ", " - ", " * ", " % "});
    switch (Pick(14)) {
      case 0:
        return "(" + Num(d) + arith + Float(d) + ")";
      case 1:
        return "(" + Float(d) + arith + Num(d) + ")";
      case 2:
        return "(" + Num(d) + " / " + Num(d) + ")";
      case 3:
        return OneOf<std::string>({"log(", "exp(", "sqrt("}) + Num(d) + ")";
      case 4:
        return "pow(" + Num(d) + ", " + Num(d) + ")";
      case 5:
        return "-" + Float(d);
      case 6:
        return "abs(" + Float(d) + ")";
      case 7:
        return OneOf<std::string>({"min(", "max("}) + Float(d) + ", " + Num(d) + ")";
      case 8:
        return "clamp(" + Num(d) + ", " + Float(d) + ", " + Num(d) + ")";
      case 9:
        return "days_since(" + Time(d) + ")";
      case 10:
        return "days_since(day)";
      case 11:
        return "if(" + Bool(d) + ", " + Float(d) + ", " + Num(d) + ")";
      case 12:
        return "coalesce(" + Num(d) + ", " + Float(d) + ")";
      default:
        return "max(" + Num(d) + ", " + Float(d) + ", " + Num(d) + ")";
    }
  }

  std::string Bool(int depth) {
    if (depth == 0 || Chance(25)) return OneOf<std::string>({"true", "false", "null", "b", "b"});
    const int d = depth - 1;
    const std::string cmp = OneOf<std::string>({" < ", " <= ", " > ", " >= ", " == ", " != "});
    switch (Pick(13)) {
      case 11:
        return "contains(" + Str(d) + ", " + Str(d) + ")";
      case 12:
        return "regex_match(" + Str(d) + ", " +
               OneOf<std::string>({"''", "'^a'", "'b$'", "'a|é'", "'[A-Z]'", "'[ \t]'", "'^$'",
                                   "'.'", "'(ab)+'", "'é+'", "'^[^ ]+ [^ ]+$'", "'日本'"}) +
               ")";
      case 0:
      case 1:
      case 4:
        return "(" + Num(d) + cmp + Num(d) + ")";
      case 2:
        return "(" + Str(d) + cmp + Str(d) + ")";
      case 3:
        return "(" + Time(d) + cmp + Time(d) + ")";
      case 5:
        return "(" + Bool(d) + OneOf<std::string>({" and ", " or "}) + Bool(d) + ")";
      case 6:
        return "not " + Bool(d);
      case 7:
        return "is_null(" + Any(d) + ")";
      case 8:
        return "if(" + Bool(d) + ", " + Bool(d) + ", " + Bool(d) + ")";
      case 9:
        return "coalesce(" + Bool(d) + ", " + Bool(d) + ")";
      default: {
        const std::string column = OneOf<std::string>({"by", "day", "b"});
        return "(" + column + cmp + (Chance(80) ? column : "null") + ")";
      }
    }
  }

  std::string Str(int depth) {
    if (depth == 0 || Chance(35)) {
      return OneOf<std::string>(
          {"''", "'a'", "\"b\"", "'it\\'s'", "'é'", "' '", "'Ab'", "s", "t", "u", "null"});
    }
    const int d = depth - 1;
    switch (Pick(4)) {
      case 3:
        return OneOf<std::string>({"lower(", "upper("}) + Str(d) + ")";
      case 0:
        return "(" + Str(d) + " + " + OneOf<std::string>({"s", "'x'"}) + ")";
      case 1:
        return "if(" + Bool(d) + ", " + Str(d) + ", " + Str(d) + ")";
      default:
        return "coalesce(" + Str(d) + ", " + Str(d) + ")";
    }
  }

  std::string Time(int depth) {
    if (depth == 0 || Chance(40)) return OneOf<std::string>({"ts", "ts2", "null"});
    const int d = depth - 1;
    if (Chance(50)) return "if(" + Bool(d) + ", " + Time(d) + ", " + Time(d) + ")";
    return "coalesce(" + Time(d) + ", " + Time(d) + ")";
  }

  // A column of `n` rows, built with `offset` extra leading rows and sliced, so that
  // evaluators must honour array offsets.
  std::shared_ptr<arrow::Array> Column(ValueType type, int64_t n) {
    const int64_t offset = Pick(3);
    std::unique_ptr<arrow::ArrayBuilder> builder;
    EXPECT_TRUE(
        arrow::MakeBuilder(arrow::default_memory_pool(), core::ToArrowType(type), &builder).ok());
    const bool has_nulls = Chance(70);
    for (int64_t i = 0; i < n + offset; ++i) {
      if (has_nulls && Chance(15)) {
        EXPECT_TRUE(builder->AppendNull().ok());
        continue;
      }
      EXPECT_TRUE(AppendRandom(builder.get(), type).ok());
    }
    std::shared_ptr<arrow::Array> array;
    EXPECT_TRUE(builder->Finish(&array).ok());
    return array->Slice(offset, n);
  }

 private:
  Status AppendRandom(arrow::ArrayBuilder* builder, ValueType type) {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    const double kNan = std::numeric_limits<double>::quiet_NaN();
    const int64_t kMax = std::numeric_limits<int64_t>::max();
    const int64_t kMin = std::numeric_limits<int64_t>::min();
    const int64_t small = static_cast<int64_t>(Pick(2001)) - 1000;
    switch (type) {
      case ValueType::kBool:
        return static_cast<arrow::BooleanBuilder*>(builder)->Append(Chance(50));
      case ValueType::kInt32:
        return static_cast<arrow::Int32Builder*>(builder)->Append(
            OneOf<int32_t>({0, 1, -1, 7, std::numeric_limits<int32_t>::max(),
                            std::numeric_limits<int32_t>::min(), static_cast<int32_t>(small)}));
      case ValueType::kInt64:
        return static_cast<arrow::Int64Builder*>(builder)->Append(
            OneOf<int64_t>({0, 1, -1, 2, -7, kMax, kMin, 3037000500, -3037000500, small, small,
                            static_cast<int64_t>(rng_())}));
      case ValueType::kFloat32:
        return static_cast<arrow::FloatBuilder*>(builder)->Append(
            OneOf<float>({0.0f, -0.0f, 1.0f, -2.5f, 3.4e38f, 1e-38f, static_cast<float>(small) / 8,
                          static_cast<float>(small) / 3}));
      case ValueType::kFloat64:
        return static_cast<arrow::DoubleBuilder*>(builder)->Append(
            Chance(3)
                ? OneOf<double>({kNan, kInf, -kInf})
                : OneOf<double>({0.0, -0.0, 1.0, -1.0, 0.5, 1e300, -1e300, 1e-300,
                                 static_cast<double>(small) / 7, static_cast<double>(small)}));
      case ValueType::kString:
        return static_cast<arrow::StringBuilder*>(builder)->Append(OneOf<std::string>(
            {"", "a", "b", "ab", "B", "é", "it's", " ", "Ab  cD\té\n", "ÀÉ mixed Case",
             "日本語 テキスト", "😀 x", "  lead and trail  ", "ab ab", "\v\f\r"}));
      case ValueType::kBytes:
        return static_cast<arrow::BinaryBuilder*>(builder)->Append(
            OneOf<std::string>({"", "a", std::string(1, '\0'), "\xff", "ab"}));
      case ValueType::kTimestamp:
        return static_cast<arrow::TimestampBuilder*>(builder)->Append(
            kT0 + (Chance(20) ? 0 : (small * core::kMicrosPerDay / 3 + Pick(1000))));
      case ValueType::kDate:
        return static_cast<arrow::Date32Builder*>(builder)->Append(20454 + Pick(800) - 400);
      default:
        return Status::NotImplemented("no random ", core::ValueTypeName(type));
    }
  }

  std::mt19937_64 rng_;
};

// Equal types, lengths and nulls; floats equal within a relative 1e-9, NaN equal to NaN.
std::string Difference(const arrow::Array& fast, const arrow::Array& slow) {
  if (!fast.type()->Equals(*slow.type())) {
    return "types " + fast.type()->ToString() + " and " + slow.type()->ToString();
  }
  if (fast.length() != slow.length()) return "lengths differ";
  const bool floats = arrow::is_floating(fast.type_id());
  for (int64_t i = 0; i < fast.length(); ++i) {
    if (fast.IsNull(i) != slow.IsNull(i)) return "null at row " + std::to_string(i);
    if (fast.IsNull(i)) continue;
    if (!floats) {
      if (!fast.RangeEquals(slow, i, i + 1, i)) return "value at row " + std::to_string(i);
      continue;
    }
    auto value = [&](const arrow::Array& a) {
      return a.type_id() == arrow::Type::FLOAT
                 ? double{static_cast<const arrow::FloatArray&>(a).Value(i)}
                 : static_cast<const arrow::DoubleArray&>(a).Value(i);
    };
    const double x = value(fast), y = value(slow);
    if ((std::isnan(x) && std::isnan(y)) || x == y) continue;
    if (std::abs(x - y) <= 1e-9 * std::max(std::abs(x), std::abs(y))) continue;
    return "value at row " + std::to_string(i);
  }
  return "";
}

// RowExpression over every row of `inputs`, collected into an array of its type.
Result<std::shared_ptr<arrow::Array>> EvaluateRows(
    const Expression& expression, const std::map<std::string, ValueType>& types,
    const std::map<std::string, std::shared_ptr<arrow::Array>>& inputs,
    const arrow::Array& lookup, int64_t n) {
  FST_ASSIGN_OR_RAISE(auto row, RowExpression::Make(expression, types));
  std::unique_ptr<arrow::ArrayBuilder> builder;
  FST_RETURN_NOT_OK(
      arrow::MakeBuilder(arrow::default_memory_pool(), core::ToArrowType(row.type()), &builder));
  std::vector<RowValue> values(expression.Names().size());
  for (int64_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < values.size(); ++k) {
      values[k] = RowValueAt(*inputs.at(expression.Names()[k]), i);
    }
    std::optional<int64_t> t;
    if (!lookup.IsNull(i)) t = std::get<int64_t>(RowValueAt(lookup, i));
    const RowValue v = row.Evaluate(values, t);
    if (std::holds_alternative<std::monostate>(v)) {
      FST_RETURN_NOT_OK(builder->AppendNull());
      continue;
    }
    std::shared_ptr<arrow::Scalar> scalar;
    if (const auto* b = std::get_if<bool>(&v)) scalar = arrow::MakeScalar(*b);
    if (const auto* x = std::get_if<int64_t>(&v)) scalar = arrow::MakeScalar(*x);
    if (const auto* d = std::get_if<double>(&v)) scalar = arrow::MakeScalar(*d);
    if (const auto* s = std::get_if<std::string>(&v)) scalar = arrow::MakeScalar(*s);
    FST_ASSIGN_OR_RAISE(scalar, scalar->CastTo(core::ToArrowType(row.type())));
    FST_RETURN_NOT_OK(builder->AppendScalar(*scalar));
  }
  return builder->Finish();
}

TEST(ExpressionProperty, VectorizedAndRowEqualReference) {
  const std::vector<std::pair<std::string, ValueType>> columns = {
      {"i32", ValueType::kInt32},    {"i64", ValueType::kInt64},     {"j64", ValueType::kInt64},
      {"f32", ValueType::kFloat32},  {"f64", ValueType::kFloat64},   {"g64", ValueType::kFloat64},
      {"s", ValueType::kString},     {"t", ValueType::kString},      {"u", ValueType::kString},
      {"b", ValueType::kBool},
      {"ts", ValueType::kTimestamp}, {"ts2", ValueType::kTimestamp}, {"day", ValueType::kDate},
      {"by", ValueType::kBytes}};
  int evaluated = 0;
  for (uint64_t seed = 1; seed <= 4000; ++seed) {
    Generator gen(seed);
    const std::string text = gen.Any(1 + gen.Pick(5));
    auto expression = Expression::Parse(text);
    ASSERT_TRUE(expression.ok()) << "seed " << seed << ": " << text << ": "
                                 << expression.status().ToString();
    const int64_t n = gen.Chance(5) ? 0 : 1 + gen.Pick(40);
    std::map<std::string, std::shared_ptr<arrow::Array>> inputs;
    std::map<std::string, ValueType> types;
    for (const auto& [name, type] : columns) {
      inputs[name] = gen.Column(type, n);
      types[name] = type;
    }
    auto checked = expression->Check(types);
    if (!checked.ok()) {
      ASSERT_NE(checked.status().message().find("always null"), std::string::npos)
          << "seed " << seed << ": " << text << ": " << checked.status().ToString();
      continue;
    }
    const auto lookup = gen.Column(ValueType::kTimestamp, n);
    auto fast = expression->Evaluate(inputs, lookup, n);
    auto slow = EvaluateReference(*expression, inputs, lookup, n);
    ASSERT_TRUE(fast.ok()) << "seed " << seed << ": " << text << ": " << fast.status().ToString();
    ASSERT_TRUE(slow.ok()) << "seed " << seed << ": " << text << ": " << slow.status().ToString();
    auto rows = EvaluateRows(*expression, types, inputs, *lookup, n);
    ASSERT_TRUE(rows.ok()) << "seed " << seed << ": " << text << ": " << rows.status().ToString();
    const std::string row_difference = Difference(**rows, **slow);
    ASSERT_TRUE(row_difference.empty())
        << "seed " << seed << ": " << text << "\n" << row_difference << "\nrow evaluator: "
        << (*rows)->ToString() << "\nreference: " << (*slow)->ToString();
    const std::string difference = Difference(**fast, **slow);
    if (!difference.empty()) {
      std::string dump;
      for (const std::string& name : expression->Names()) {
        dump += name + " = " + inputs[name]->ToString() + "\n";
      }
      FAIL() << "seed " << seed << ": " << text << "\n"
             << difference << "\n"
             << dump << "lookup = " << lookup->ToString() << "\nvectorized: " << (*fast)->ToString()
             << "\nreference: " << (*slow)->ToString();
    }
    ++evaluated;
  }
  EXPECT_GT(evaluated, 3500);
}

}  // namespace
}  // namespace fst::transform
