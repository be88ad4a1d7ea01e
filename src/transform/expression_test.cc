// Parse and type errors with their exact columns, the result types, and evaluation rules (null
// on division by zero and overflow, null propagation, three-valued logic, days_since), each
// checked on the vectorized evaluator and on the reference.
#include "featherstone/transform/expression.h"

#include <cmath>
#include <limits>
#include <optional>

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "featherstone/core/time.h"
#include "featherstone/transform/expression_reference.h"

namespace fst::transform {
namespace {

using core::ValueType;

const std::map<std::string, ValueType> kTypes = {
    {"amount", ValueType::kFloat64}, {"qty", ValueType::kInt64},
    {"qty32", ValueType::kInt32},    {"f32", ValueType::kFloat32},
    {"status", ValueType::kString},  {"flag", ValueType::kBool},
    {"ts", ValueType::kTimestamp},   {"day", ValueType::kDate},
    {"payload", ValueType::kBytes},  {"emb", ValueType::kListFloat32},
};

std::string ParseError(const std::string& text) {
  auto parsed = Expression::Parse(text);
  return parsed.ok() ? "parsed" : parsed.status().message();
}

std::string CheckError(const std::string& text,
                       const std::map<std::string, ValueType>& types = kTypes) {
  auto parsed = Expression::Parse(text);
  if (!parsed.ok()) return "parse error: " + parsed.status().message();
  auto checked = parsed->Check(types);
  return checked.ok() ? "checked" : checked.status().message();
}

std::shared_ptr<arrow::Array> Json(ValueType type, const std::string& json) {
  auto array = arrow::json::ArrayFromJSONString(core::ToArrowType(type), json);
  EXPECT_TRUE(array.ok()) << array.status().ToString();
  return array.ok() ? *array : nullptr;
}

struct Input {
  std::string name;
  ValueType type;
  std::string json;
};

// Evaluates `text` with both evaluators, expects them equal, returns the vectorized result.
std::shared_ptr<arrow::Array> Eval(const std::string& text, const std::vector<Input>& columns,
                                   int64_t length,
                                   const std::shared_ptr<arrow::Array>& lookup = nullptr) {
  std::map<std::string, std::shared_ptr<arrow::Array>> inputs;
  for (const Input& c : columns) inputs[c.name] = Json(c.type, c.json);
  auto expression = Expression::Parse(text);
  EXPECT_TRUE(expression.ok()) << expression.status().ToString();
  if (!expression.ok()) return nullptr;
  auto fast = expression->Evaluate(inputs, lookup, length);
  auto slow = EvaluateReference(*expression, inputs, lookup, length);
  EXPECT_TRUE(fast.ok()) << text << ": " << fast.status().ToString();
  EXPECT_TRUE(slow.ok()) << text << ": " << slow.status().ToString();
  if (!fast.ok() || !slow.ok()) return nullptr;
  EXPECT_TRUE((*fast)->ApproxEquals(*slow, arrow::EqualOptions().nans_equal(true).atol(1e-12)))
      << text << "\nvectorized: " << (*fast)->ToString() << "\nreference: " << (*slow)->ToString();
  return *fast;
}

void ExpectEval(const std::string& text, const std::vector<Input>& columns, int64_t length,
                ValueType type, const std::string& expected_json,
                const std::shared_ptr<arrow::Array>& lookup = nullptr) {
  const auto actual = Eval(text, columns, length, lookup);
  const auto expected = Json(type, expected_json);
  ASSERT_NE(actual, nullptr);
  EXPECT_TRUE(actual->ApproxEquals(*expected, arrow::EqualOptions().atol(1e-12)))
      << text << "\nactual: " << actual->ToString() << "\nexpected: " << expected->ToString();
}

TEST(ExpressionParse, GluedNumberAndNameIsAnUnknownNameAtCheck) {
  auto parsed = Expression::Parse("amount * 1OO");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->Names(), (std::vector<std::string>{"amount", "OO"}));
  EXPECT_EQ(CheckError("amount * 1OO"), "column 10: unknown name 'OO'");
  std::map<std::string, ValueType> with_oo = kTypes;
  with_oo["OO"] = ValueType::kInt64;
  EXPECT_EQ(CheckError("amount * 1OO", with_oo), "column 10: missing operator between 1 and 'OO'");
}

TEST(ExpressionParse, ErrorsPointAtTheColumn) {
  EXPECT_EQ(ParseError("1 +"), "column 4: expected a value, found end of expression");
  EXPECT_EQ(ParseError(""), "column 1: expected a value, found end of expression");
  EXPECT_EQ(ParseError("(1 + 2"),
            "column 7: expected ')' to close '(' at column 1, found end of expression");
  EXPECT_EQ(ParseError("1 + 2)"), "column 6: unmatched ')'");
  EXPECT_EQ(ParseError(")"), "column 1: expected a value, found ')'");
  EXPECT_EQ(ParseError("amount amount"), "column 8: expected an operator, found name 'amount'");
  EXPECT_EQ(ParseError("1 < 2 < 3"),
            "column 7: comparisons cannot be chained; combine them with 'and'");
  EXPECT_EQ(ParseError("status == 'abc"), "column 11: unterminated string");
  EXPECT_EQ(ParseError("'abc\\"), "column 1: unterminated string");
  EXPECT_EQ(ParseError("'a\\q'"),
            "column 3: unknown escape '\\q' (use \\\\, \\', \\\", \\n or \\t)");
  EXPECT_EQ(ParseError("amount # 2"), "column 8: unexpected character '#'");
  EXPECT_EQ(ParseError("amount = 2"), "column 8: unexpected character '='; did you mean '=='?");
  EXPECT_EQ(ParseError("flag && flag"), "column 6: unexpected character '&'; did you mean 'and'?");
  EXPECT_EQ(ParseError("not"), "column 4: expected a value, found end of expression");
  EXPECT_EQ(ParseError("and"), "column 1: expected a value, found 'and'");
  EXPECT_EQ(ParseError("99999999999999999999"),
            "column 1: number 99999999999999999999 is out of range");
  EXPECT_EQ(ParseError("'é' + x y"), "column 9: expected an operator, found name 'y'");
}

TEST(ExpressionParse, FunctionsAreKnownWithTheirArity) {
  EXPECT_EQ(ParseError("lg(amount)"), "column 1: unknown function 'lg'; did you mean 'log'?");
  EXPECT_EQ(ParseError("2 * isnull(x)"),
            "column 5: unknown function 'isnull'; did you mean 'is_null'?");
  EXPECT_EQ(ParseError("frobnicate(x)"),
            "column 1: unknown function 'frobnicate'; the functions are if, coalesce, log, exp, "
            "sqrt, abs, pow, min, max, clamp, is_null, days_since, length, lower, upper, contains, "
            "regex_match, token_count, dot, cosine, norm");
  EXPECT_EQ(ParseError("log(amount, 2)"), "column 1: log takes 1 argument, found 2");
  EXPECT_EQ(ParseError("min(amount)"), "column 1: min takes at least 2 arguments, found 1");
  EXPECT_EQ(ParseError("1 + if(flag, 1)"), "column 5: if takes 3 arguments, found 2");
  EXPECT_EQ(ParseError("coalesce()"), "column 1: coalesce takes at least 1 argument, found 0");
  EXPECT_EQ(ParseError("log(amount"),
            "column 11: expected ',' or ')' in the call of log at column 4, found end of "
            "expression");
}

TEST(ExpressionParse, DeepInputIsAnErrorNotACrash) {
  EXPECT_EQ(ParseError(std::string(200, '(') + "1" + std::string(200, ')')),
            "column 65: expression nested too deeply (more than 64 levels)");
  std::string chain = "1";
  for (int i = 0; i < 2000; ++i) chain += "+1";
  EXPECT_EQ(ParseError(chain), "column 2048: expression too deep (more than 1024 levels)");
}

TEST(ExpressionParse, QualifiedNames) {
  auto parsed = Expression::Parse("amount / customer_features.average_order_value");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->Names(),
            (std::vector<std::string>{"amount", "customer_features.average_order_value"}));
  // A number after the dot is not a qualifier; only one qualifier is allowed.
  EXPECT_EQ(ParseError("v.1"), "column 2: expected an operator, found number .1");
  EXPECT_EQ(ParseError("a.b.c"), "column 4: unexpected character '.'");
  EXPECT_EQ(CheckError("v.x + 1"), "column 1: unknown name 'v.x'");
}

TEST(ExpressionParse, NamesInOrderOfFirstUse) {
  auto parsed = Expression::Parse("b + a * b + days_since(c) + log(a) + if(d, 'x', \"y\")");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->Names(), (std::vector<std::string>{"b", "a", "c", "d"}));
  EXPECT_EQ(parsed->text(), "b + a * b + days_since(c) + log(a) + if(d, 'x', \"y\")");
}

TEST(ExpressionCheck, TypeErrorsPointAtTheOperator) {
  EXPECT_EQ(CheckError("status * 2.5"), "column 8: cannot multiply string by float64");
  EXPECT_EQ(CheckError("amount * status"), "column 8: cannot multiply float64 by string");
  EXPECT_EQ(CheckError("'a' + 1"), "column 5: cannot add string and int64");
  EXPECT_EQ(CheckError("flag + 1"), "column 6: cannot add bool and int64");
  EXPECT_EQ(CheckError("ts - ts"), "column 4: cannot subtract timestamp from timestamp");
  EXPECT_EQ(CheckError("payload + payload"), "column 9: cannot add bytes and bytes");
  EXPECT_EQ(CheckError("1 / status"), "column 3: cannot divide int64 by string");
  EXPECT_EQ(CheckError("flag % 2"), "column 6: cannot compute bool % int64");
  EXPECT_EQ(CheckError("-status"), "column 1: cannot negate string");
  EXPECT_EQ(CheckError("not amount"), "column 1: 'not' needs a bool, found float64");
  EXPECT_EQ(CheckError("flag and qty"), "column 6: 'and' needs bool operands, found int64");
  EXPECT_EQ(CheckError("ts < amount"), "column 4: cannot compare timestamp with float64");
  EXPECT_EQ(CheckError("flag == 1"), "column 6: cannot compare bool with int64");
  EXPECT_EQ(CheckError("if(qty, 1, 2)"), "column 1: if needs a bool condition, found int64");
  EXPECT_EQ(CheckError("if(flag, 'a', 1)"),
            "column 1: if branches have different types: string and int64");
  EXPECT_EQ(CheckError("coalesce(qty, status)"),
            "column 1: coalesce arguments have different types: int64 and string");
  EXPECT_EQ(CheckError("days_since(amount)"),
            "column 1: days_since needs a timestamp or date, found float64");
  EXPECT_EQ(CheckError("1 + log(status)"), "column 5: log needs numbers, found string");
  EXPECT_EQ(CheckError("max(1, flag)"), "column 1: max needs numbers, found bool");
  EXPECT_EQ(CheckError("null"), "column 1: the expression is always null");
  EXPECT_EQ(CheckError("if(flag, null, null)"), "column 1: the expression is always null");
  EXPECT_EQ(CheckError("amount + amont"), "column 10: unknown name 'amont'");
}

TEST(ExpressionCheck, ResultTypes) {
  const std::pair<std::string, ValueType> cases[] = {
      {"amount * 100", ValueType::kFloat64},
      {"qty + 1", ValueType::kInt64},
      {"qty32 + qty32", ValueType::kInt64},
      {"-qty32", ValueType::kInt64},
      {"qty / 2", ValueType::kFloat64},
      {"qty % 7", ValueType::kInt64},
      {"amount % 2", ValueType::kFloat64},
      {"qty32", ValueType::kInt32},
      {"f32", ValueType::kFloat32},
      {"f32 * 2", ValueType::kFloat64},
      {"status + 'x'", ValueType::kString},
      {"ts", ValueType::kTimestamp},
      {"qty > amount", ValueType::kBool},
      {"payload == payload", ValueType::kBool},
      {"if(flag, qty32, qty32)", ValueType::kInt32},
      {"if(flag, qty32, 1)", ValueType::kInt64},
      {"if(flag, null, amount)", ValueType::kFloat64},
      {"if(flag, ts, null)", ValueType::kTimestamp},
      {"coalesce(null, status)", ValueType::kString},
      {"coalesce(qty, amount)", ValueType::kFloat64},
      {"is_null(null)", ValueType::kBool},
      {"days_since(ts)", ValueType::kFloat64},
      {"days_since(day)", ValueType::kFloat64},
      {"abs(qty32)", ValueType::kInt64},
      {"pow(2, 3)", ValueType::kFloat64},
      {"min(qty, 2, qty32)", ValueType::kInt64},
      {"clamp(amount, 0, 1)", ValueType::kFloat64},
      {"null + 1", ValueType::kInt64},
      {"null == null", ValueType::kBool},
  };
  for (const auto& [text, type] : cases) {
    auto parsed = Expression::Parse(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
    auto checked = parsed->Check(kTypes);
    ASSERT_TRUE(checked.ok()) << text << ": " << checked.status().ToString();
    EXPECT_EQ(*checked, type) << text;
  }
}

TEST(ExpressionEval, PrecedenceAndLiterals) {
  ExpectEval("1 + 2 * 3", {}, 2, ValueType::kInt64, "[7, 7]");
  ExpectEval("10 - 4 - 3", {}, 1, ValueType::kInt64, "[3]");
  ExpectEval("-2 * 3 + 1", {}, 1, ValueType::kInt64, "[-5]");
  ExpectEval("2 * 3 % 4", {}, 1, ValueType::kInt64, "[2]");
  ExpectEval("-7 % 3", {}, 1, ValueType::kInt64, "[-1]");
  ExpectEval("7 / 2", {}, 1, ValueType::kFloat64, "[3.5]");
  ExpectEval("7.5 % 2", {}, 1, ValueType::kFloat64, "[1.5]");
  ExpectEval("1.5e2 + .5 + 1. + 2E-1", {}, 1, ValueType::kFloat64, "[151.7]");
  ExpectEval("not false or true and false", {}, 1, ValueType::kBool, "[true]");
  ExpectEval("not (false or true) and false", {}, 1, ValueType::kBool, "[false]");
  ExpectEval("1 + 2 < 4 and 3 >= 2", {}, 1, ValueType::kBool, "[true]");
  ExpectEval("'it\\'s' + \"!\"", {}, 1, ValueType::kString, R"(["it's!"])");
  ExpectEval("qty32", {{"qty32", ValueType::kInt32, "[1, null]"}}, 2, ValueType::kInt32,
             "[1, null]");
}

TEST(ExpressionEval, DivisionAndModuloByZeroAreNull) {
  const std::vector<Input> in = {{"a", ValueType::kInt64, "[6, 1, null, 0, -7]"},
                                 {"b", ValueType::kInt64, "[3, 0, 1, 0, 2]"},
                                 {"x", ValueType::kFloat64, "[1.5, 2.0, -1.0, 0.0, 5.0]"},
                                 {"y", ValueType::kFloat64, "[0.0, -0.0, 2.0, 0.0, null]"}};
  ExpectEval("a / b", in, 5, ValueType::kFloat64, "[2.0, null, null, null, -3.5]");
  ExpectEval("a % b", in, 5, ValueType::kInt64, "[0, null, null, null, -1]");
  ExpectEval("x / y", in, 5, ValueType::kFloat64, "[null, null, -0.5, null, null]");
  ExpectEval("x % y", in, 5, ValueType::kFloat64, "[null, null, -1.0, null, null]");
  ExpectEval("a / 0.0", in, 5, ValueType::kFloat64, "[null, null, null, null, null]");
}

TEST(ExpressionEval, IntegerOverflowIsNull) {
  const std::vector<Input> in = {
      {"q", ValueType::kInt64, "[9223372036854775807, -9223372036854775808, 5]"}};
  ExpectEval("q + 1", in, 3, ValueType::kInt64, "[null, -9223372036854775807, 6]");
  ExpectEval("q - 1", in, 3, ValueType::kInt64, "[9223372036854775806, null, 4]");
  ExpectEval("q * 2", in, 3, ValueType::kInt64, "[null, null, 10]");
  ExpectEval("-q", in, 3, ValueType::kInt64, "[-9223372036854775807, null, -5]");
  ExpectEval("abs(q)", in, 3, ValueType::kInt64, "[9223372036854775807, null, 5]");
  ExpectEval("q % -1", in, 3, ValueType::kInt64, "[0, 0, 0]");
  ExpectEval("q * 1.0", in, 3, ValueType::kFloat64,
             "[9223372036854775807.0, -9223372036854775808.0, 5.0]");
  ExpectEval("qty32 * qty32", {{"qty32", ValueType::kInt32, "[2147483647]"}}, 1, ValueType::kInt64,
             "[4611686014132420609]");
}

TEST(ExpressionEval, NullsPropagate) {
  const std::vector<Input> in = {{"amount", ValueType::kFloat64, "[1.0, null, 3.0]"},
                                 {"qty", ValueType::kInt64, "[null, 2, 3]"},
                                 {"status", ValueType::kString, R"(["a", null, "c"])"}};
  ExpectEval("amount * 2 + qty", in, 3, ValueType::kFloat64, "[null, null, 9.0]");
  ExpectEval("log(amount)", in, 3, ValueType::kFloat64, "[0.0, null, 1.0986122886681098]");
  ExpectEval("status + '!'", in, 3, ValueType::kString, R"(["a!", null, "c!"])");
  ExpectEval("qty > 1", in, 3, ValueType::kBool, "[null, true, true]");
  ExpectEval("min(qty, 2)", in, 3, ValueType::kInt64, "[null, 2, 2]");
  ExpectEval("clamp(amount, 2, qty)", in, 3, ValueType::kFloat64, "[null, null, 3.0]");
  ExpectEval("if(qty > 2, 'big', status)", in, 3, ValueType::kString, R"([null, null, "big"])");
  ExpectEval("qty + null", in, 3, ValueType::kInt64, "[null, null, null]");
  ExpectEval("coalesce(qty, amount, -1)", in, 3, ValueType::kFloat64, "[1.0, 2.0, 3.0]");
  ExpectEval("coalesce(status, 'none')", in, 3, ValueType::kString, R"(["a", "none", "c"])");
  ExpectEval("is_null(qty)", in, 3, ValueType::kBool, "[true, false, false]");
  ExpectEval("is_null(null)", in, 3, ValueType::kBool, "[true, true, true]");
}

TEST(ExpressionEval, DomainErrorsAreNull) {
  const std::vector<Input> in = {{"x", ValueType::kFloat64, "[0.0, -1.0, 4.0, -8.0]"}};
  ExpectEval("log(x)", in, 4, ValueType::kFloat64, "[null, null, 1.3862943611198906, null]");
  ExpectEval("sqrt(x)", in, 4, ValueType::kFloat64, "[0.0, null, 2.0, null]");
  ExpectEval("pow(x, 0.5)", in, 4, ValueType::kFloat64, "[0.0, null, 2.0, null]");
  ExpectEval("pow(x, 2)", in, 4, ValueType::kFloat64, "[0.0, 1.0, 16.0, 64.0]");
  ExpectEval("pow(x, -1)", in, 4, ValueType::kFloat64, "[null, -1.0, 0.25, -0.125]");
  ExpectEval("exp(x * 0)", in, 4, ValueType::kFloat64, "[1.0, 1.0, 1.0, 1.0]");
}

TEST(ExpressionEval, ThreeValuedLogic) {
  const std::vector<Input> in = {
      {"a", ValueType::kBool, "[true, true, true, false, false, false, null, null, null]"},
      {"b", ValueType::kBool, "[true, false, null, true, false, null, true, false, null]"}};
  ExpectEval("a and b", in, 9, ValueType::kBool,
             "[true, false, null, false, false, false, null, false, null]");
  ExpectEval("a or b", in, 9, ValueType::kBool,
             "[true, true, true, true, false, null, true, null, null]");
  ExpectEval("not a", in, 9, ValueType::kBool,
             "[false, false, false, true, true, true, null, null, null]");
  ExpectEval("a and null", in, 9, ValueType::kBool,
             "[null, null, null, false, false, false, null, null, null]");
  ExpectEval("if(b, 1, 2)", in, 9, ValueType::kInt64, "[1, 2, null, 1, 2, null, 1, 2, null]");
}

TEST(ExpressionEval, ComparisonsAndStrings) {
  const std::vector<Input> in = {{"s", ValueType::kString, R"(["a", "b", null, "ab"])"},
                                 {"p", ValueType::kBytes, R"(["a", "b", "c", null])"},
                                 {"i", ValueType::kInt32, "[1, 2, 3, 4]"},
                                 {"f", ValueType::kFloat32, "[1.5, 2.0, 2.5, null]"}};
  ExpectEval("s < 'b'", in, 4, ValueType::kBool, "[true, false, null, true]");
  ExpectEval("s + '-' + s", in, 4, ValueType::kString, R"(["a-a", "b-b", null, "ab-ab"])");
  ExpectEval("p != p", in, 4, ValueType::kBool, "[false, false, false, null]");
  ExpectEval("i == f", in, 4, ValueType::kBool, "[false, true, false, null]");
  ExpectEval("i <= 2", in, 4, ValueType::kBool, "[true, true, false, false]");
  ExpectEval("coalesce(f, f)", in, 4, ValueType::kFloat32, "[1.5, 2.0, 2.5, null]");
}

// Text functions: characters counted as code points, ASCII-only case mapping, whitespace
// tokens, substring and regular-expression search; null in, null out.
TEST(ExpressionEval, TextFunctions) {
  const std::vector<Input> in = {
      {"s", ValueType::kString, R"(["Hello World", "", null, "  Ünïcode  Straße\tx ", "日本語"])"},
      {"q", ValueType::kString, R"(["World", "", "a", "ß", null])"}};
  ExpectEval("length(s)", in, 5, ValueType::kInt64, "[11, 0, null, 20, 3]");
  ExpectEval("token_count(s)", in, 5, ValueType::kInt64, "[2, 0, null, 3, 1]");
  ExpectEval("lower(s)", in, 5, ValueType::kString,
             R"(["hello world", "", null, "  Ünïcode  straße\tx ", "日本語"])");
  ExpectEval("upper(s)", in, 5, ValueType::kString,
             R"(["HELLO WORLD", "", null, "  ÜNïCODE  STRAßE\tX ", "日本語"])");
  ExpectEval("contains(s, 'o W')", in, 5, ValueType::kBool, "[true, false, null, false, false]");
  ExpectEval("contains(s, q)", in, 5, ValueType::kBool, "[true, true, null, true, null]");
  ExpectEval("contains(s, '')", in, 5, ValueType::kBool, "[true, true, null, true, true]");
  ExpectEval("regex_match(s, '^[A-Z][a-z]+ ')", in, 5, ValueType::kBool,
             "[true, false, null, false, false]");
  ExpectEval("regex_match(s, '')", in, 5, ValueType::kBool, "[true, true, null, true, true]");
  ExpectEval("regex_match(lower(s), 'straße')", in, 5, ValueType::kBool,
             "[false, false, null, true, false]");
  ExpectEval("length(null)", in, 5, ValueType::kInt64, "[null, null, null, null, null]");
  ExpectEval("if(length(s) > 3, upper(q), lower(q))", in, 5, ValueType::kString,
             R"(["WORLD", "", null, "ß", null])");
  // Characters, not bytes, in patterns.
  ExpectEval("regex_match(s, '^.{3}$')", in, 5, ValueType::kBool,
             "[false, false, null, false, true]");
}

// A long string is matched without deep recursion (std::regex overflows the stack here), and
// a pattern that backtracks without end gives null at the match limit instead of hanging.
TEST(ExpressionEval, RegexOnLongStrings) {
  const std::string long_text(1 << 20, 'a');
  const std::vector<Input> in = {
      {"s", ValueType::kString, "[\"" + long_text + "\", \"" + long_text + "x\"]"}};
  ExpectEval("regex_match(s, '(a|b)*x')", in, 2, ValueType::kBool, "[false, true]");
  ExpectEval("regex_match(s, '.*x')", in, 2, ValueType::kBool, "[false, true]");
  const std::vector<Input> hard = {{"s", ValueType::kString, R"(["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"])"}};
  ExpectEval("regex_match(s, '^(a+)+$')", hard, 1, ValueType::kBool, "[true]");
  ExpectEval("regex_match(s + 'b', '^(a|a)+$')", hard, 1, ValueType::kBool, "[null]");
}

TEST(ExpressionCheck, TextFunctionTypesAndPatterns) {
  EXPECT_EQ(CheckError("length(qty)"), "column 1: length needs a string, found int64");
  EXPECT_EQ(CheckError("lower(payload)"), "column 1: lower needs a string, found bytes");
  EXPECT_EQ(CheckError("1 + contains(status, amount)"),
            "column 5: contains needs a string second argument, found float64");
  EXPECT_EQ(CheckError("regex_match(flag, 'a')"),
            "column 1: regex_match needs a string first argument, found bool");
  EXPECT_EQ(CheckError("token_count(status) + length(status) * 2"), "checked");
  EXPECT_EQ(ParseError("regex_match(status, status)"),
            "column 21: regex_match needs its pattern as a string literal, such as "
            "regex_match(s, \"^[a-z]+$\")");
  EXPECT_EQ(ParseError("status == 'a' or regex_match(status, 'a(b')"),
            "column 38: invalid regular expression \"a(b\" at character 4 of the pattern: "
            "missing closing parenthesis");
  EXPECT_EQ(ParseError("regex_match(status, 'é[')"),
            "column 21: invalid regular expression \"é[\" at character 3 of the pattern: "
            "missing terminating ] for character class");
  auto types = [](const std::string& text) {
    return *Expression::Parse(text)->Check(kTypes);
  };
  EXPECT_EQ(types("length(status)"), ValueType::kInt64);
  EXPECT_EQ(types("token_count(status)"), ValueType::kInt64);
  EXPECT_EQ(types("upper(status)"), ValueType::kString);
  EXPECT_EQ(types("contains(status, 'x')"), ValueType::kBool);
  EXPECT_EQ(types("regex_match(status, 'x')"), ValueType::kBool);
}

// A JSON list of integers; nullopt is null.
std::string JsonInts(std::initializer_list<std::optional<int64_t>> values) {
  std::string json = "[";
  for (const auto& v : values) {
    if (json.size() > 1) json += ", ";
    json += v ? std::to_string(*v) : "null";
  }
  return json + "]";
}

constexpr int64_t kT0 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z, day 20454
constexpr int64_t kDay = core::kMicrosPerDay;

TEST(ExpressionEval, DaysSinceTheLookupTime) {
  const std::vector<Input> in = {
      {"ts", ValueType::kTimestamp, JsonInts({kT0, kT0 - kDay * 3 / 2, {}, kT0, kT0 + kDay})},
      {"day", ValueType::kDate, "[20454, 20453, 0, null, 20454]"}};
  const auto lookup = Json(ValueType::kInt64, JsonInts({kT0 + 2 * kDay, kT0, kT0, {}, kT0}));
  ExpectEval("days_since(ts)", in, 5, ValueType::kFloat64, "[2.0, 1.5, null, null, -1.0]", lookup);
  ExpectEval("days_since(day)", in, 5, ValueType::kFloat64, "[2.0, 1.0, 20454.0, null, 0.0]",
             lookup);
  const auto as_timestamps = lookup->View(core::ToArrowType(ValueType::kTimestamp));
  ASSERT_TRUE(as_timestamps.ok());
  ExpectEval("days_since(ts)", in, 5, ValueType::kFloat64, "[2.0, 1.5, null, null, -1.0]",
             *as_timestamps);
}

TEST(ExpressionEval, ChurnRiskScoreOfTheDesign) {
  const std::vector<Input> in = {
      {"purchase_frequency_30d", ValueType::kInt64, "[3, 0, 10, null, 1]"},
      {"last_order_ts", ValueType::kTimestamp,
       JsonInts({kT0 - 10 * kDay, kT0 - 30 * kDay, kT0, kT0, {}})}};
  const auto lookup = Json(ValueType::kInt64, JsonInts({kT0, kT0, kT0, kT0, kT0}));
  auto score = [](double frequency, double days) {
    return 1 / (1 + std::exp(0.9 * frequency - 0.02 * days - 0.5));
  };
  const auto actual =
      Eval("1/(1+exp(0.9*purchase_frequency_30d - 0.02*days_since(last_order_ts) - 0.5))", in, 5,
           lookup);
  ASSERT_NE(actual, nullptr);
  ASSERT_EQ(actual->type_id(), arrow::Type::DOUBLE);
  const auto& values = static_cast<const arrow::DoubleArray&>(*actual);
  EXPECT_NEAR(values.Value(0), 0.11920292202211755, 1e-15);  // 1 / (1 + e^2)
  EXPECT_NEAR(values.Value(1), score(0, 30), 1e-15);
  EXPECT_NEAR(values.Value(2), score(10, 0), 1e-15);
  EXPECT_TRUE(values.IsNull(3));
  EXPECT_TRUE(values.IsNull(4));
}

TEST(ExpressionEval, InputErrors) {
  auto e = Expression::Parse("qty + days_since(ts)");
  ASSERT_TRUE(e.ok());
  const auto qty = Json(ValueType::kInt64, "[1, 2]");
  const auto ts = Json(ValueType::kTimestamp, "[1, 2]");
  EXPECT_EQ(e->Evaluate({{"qty", qty}}, nullptr, 2).status().message(), "no input for 'ts'");
  EXPECT_EQ(e->Evaluate({{"qty", qty}, {"ts", ts}}, nullptr, 3).status().message(),
            "input 'qty' has 2 rows; expected 3");
  EXPECT_EQ(e->Evaluate({{"qty", qty}, {"ts", ts}}, nullptr, 2).status().message(),
            "column 7: days_since needs the lookup time");
  EXPECT_EQ(e->Evaluate({{"qty", qty}, {"ts", ts}}, Json(ValueType::kFloat64, "[1, 2]"), 2)
                .status()
                .message(),
            "the lookup time has Arrow type double; expected int64 or timestamp[us]");
  const auto small = *arrow::json::ArrayFromJSONString(arrow::uint8(), "[1, 2]");
  EXPECT_EQ(e->Evaluate({{"qty", small}, {"ts", ts}}, qty, 2).status().message(),
            "input 'qty' has Arrow type uint8, which is not the Arrow type of a value type");
  auto typed = Expression::Parse("status * 2.5");
  ASSERT_TRUE(typed.ok());
  EXPECT_EQ(typed->Evaluate({{"status", Json(ValueType::kString, R"(["a"])")}}, nullptr, 1)
                .status()
                .message(),
            "column 8: cannot multiply string by float64");
}

// --- Vector functions (dot, cosine, norm over list<float32>)

TEST(ExpressionVectors, TypesAndMisuse) {
  const std::map<std::string, ValueType> types = {{"a", ValueType::kListFloat32},
                                                  {"b", ValueType::kListFloat32},
                                                  {"x", ValueType::kFloat64},
                                                  {"tags", ValueType::kListString}};
  EXPECT_EQ(CheckError("cosine(a, b) * 2 + norm(a) - dot(a, null)", types), "checked");
  EXPECT_EQ(CheckError("is_null(a)", types), "checked");
  EXPECT_EQ(CheckError("a", types),
            "column 1: 'a' is a list<float32>; vectors are used only in dot, cosine, norm and "
            "is_null");
  EXPECT_EQ(CheckError("x + a", types),
            "column 5: 'a' is a list<float32>; vectors are used only in dot, cosine, norm and "
            "is_null");
  EXPECT_EQ(CheckError("a == b", types).substr(0, 13), "column 1: 'a'");
  EXPECT_EQ(CheckError("dot(a, x)", types),
            "column 1: dot needs list<float32> vectors, found float64");
  EXPECT_EQ(CheckError("norm(tags)", types),
            "column 6: 'tags' is a list<string>; lists of strings cannot be used in expressions");
  EXPECT_EQ(ParseError("dot(a)"), "column 1: dot takes 2 arguments, found 1");
}

// Every vector case on the vectorized evaluator, the reference and the row evaluator.
void ExpectVector(const std::string& text, const std::string& a, const std::string& b,
                  const std::string& expected) {
  const std::vector<Input> inputs = {{"a", ValueType::kListFloat32, a},
                                     {"b", ValueType::kListFloat32, b}};
  const auto length = Json(ValueType::kListFloat32, a)->length();
  ExpectEval(text, inputs, length, ValueType::kFloat64, expected);
  const auto fast = Eval(text, inputs, length);
  ASSERT_NE(fast, nullptr);
  auto expression = Expression::Parse(text);
  ASSERT_TRUE(expression.ok());
  auto row = RowExpression::Make(
      *expression, {{"a", ValueType::kListFloat32}, {"b", ValueType::kListFloat32}});
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  const auto& want = static_cast<const arrow::DoubleArray&>(*fast);  // the row path: same bits
  const auto as = Json(ValueType::kListFloat32, a), bs = Json(ValueType::kListFloat32, b);
  for (int64_t i = 0; i < length; ++i) {
    std::vector<RowValue> values;
    for (const auto& name : expression->Names()) {
      values.push_back(RowValueAt(name == "a" ? *as : *bs, i));
    }
    const RowValue got = row->Evaluate(values, std::nullopt);
    if (want.IsNull(i)) {
      EXPECT_TRUE(std::holds_alternative<std::monostate>(got)) << text << " row " << i;
    } else {
      ASSERT_TRUE(std::holds_alternative<double>(got)) << text << " row " << i;
      EXPECT_EQ(std::get<double>(got), want.Value(i)) << text << " row " << i;
    }
  }
}

TEST(ExpressionVectors, Values) {
  const std::string a = "[[1, 2, 2], [0, 0, 0], null, [3, 4, 0], [1, 0, 0], [1, 2]]";
  const std::string b = "[[2, 0, 1], [1, 1, 1], [1, 1, 1], null, [-1, 0, 0], [1, 2, 3]]";
  ExpectVector("dot(a, b)", a, b, "[4, 0, null, null, -1, null]");
  ExpectVector("norm(a)", a, b, "[3, 0, null, 5, 1, 2.23606797749979]");
  // A zero vector has no direction: its cosine is null; different lengths are null too.
  ExpectVector("cosine(a, b)", a, b, "[0.5962847939999439, null, null, null, -1, null]");
  ExpectVector("cosine(a, a)", a, b, "[1, null, null, 1, 1, 1]");
  ExpectVector("dot(a, null)", a, b, "[null, null, null, null, null, null]");
}

}  // namespace
}  // namespace fst::transform
