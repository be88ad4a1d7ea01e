#include "coerce.h"

#include <limits>
#include <random>
#include <string>

#include <arrow/array/builder_binary.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <gtest/gtest.h>

#include "connector_internal.h"
#include "featherstone/core/time.h"
#include "test_util.h"

namespace fst::connectors::internal {
namespace {

using core::ValueType;
using testing::ArrayOf;
using testing::Col;
using testing::Contains;
using testing::Micros;

auto kTs = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");

std::shared_ptr<arrow::Array> Coerce(const std::shared_ptr<arrow::Array>& input,
                                     const core::ColumnSpec& spec, int64_t first_row = 0) {
  auto out = CoerceColumn(*input, spec, "f.csv", first_row);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : nullptr;
}

std::string CoerceError(const std::shared_ptr<arrow::Array>& input, const core::ColumnSpec& spec,
                        int64_t first_row = 0) {
  auto out = CoerceColumn(*input, spec, "f.csv", first_row);
  EXPECT_FALSE(out.ok());
  return out.ok() ? "" : out.status().message();
}

void ExpectEq(const std::shared_ptr<arrow::Array>& actual,
              const std::shared_ptr<arrow::Array>& expected) {
  ASSERT_NE(actual, nullptr);
  EXPECT_TRUE(actual->Equals(*expected))
      << "got " << actual->ToString() << "\nexpected " << expected->ToString();
}

TEST(Coerce, StringsToBool) {
  auto input = ArrayOf(arrow::utf8(), R"(["true", "FALSE", "1", "0", "Yes", " no ", "", null])");
  ExpectEq(Coerce(input, Col("b", ValueType::kBool)),
           ArrayOf(arrow::boolean(), "[true, false, true, false, true, false, null, null]"));
  EXPECT_EQ(CoerceError(ArrayOf(arrow::utf8(), R"(["true", "maybe"])"), Col("b", ValueType::kBool)),
            "f.csv: row 2, column 'b': value 'maybe' is not a valid bool (expected true/false, "
            "1/0 or yes/no)");
}

TEST(Coerce, StringsToIntegers) {
  auto input = ArrayOf(arrow::utf8(), R"(["1", "-2", "+3", " 4 ", "2147483647", null])");
  ExpectEq(Coerce(input, Col("i", ValueType::kInt32)),
           ArrayOf(arrow::int32(), "[1, -2, 3, 4, 2147483647, null]"));
  ExpectEq(Coerce(ArrayOf(arrow::utf8(), R"(["9223372036854775807", "-9"])"),
                  Col("i", ValueType::kInt64)),
           ArrayOf(arrow::int64(), "[9223372036854775807, -9]"));
  EXPECT_EQ(
      CoerceError(ArrayOf(arrow::utf8(), R"(["2147483648"])"), Col("i", ValueType::kInt32), 41),
      "f.csv: row 42, column 'i': value '2147483648' is not a valid int32 (out of range)");
  EXPECT_EQ(CoerceError(ArrayOf(arrow::utf8(), R"(["1.5"])"), Col("i", ValueType::kInt64)),
            "f.csv: row 1, column 'i': value '1.5' is not a valid int64");
  EXPECT_EQ(CoerceError(ArrayOf(arrow::utf8(), R"(["12abc"])"), Col("i", ValueType::kInt64)),
            "f.csv: row 1, column 'i': value '12abc' is not a valid int64");
}

TEST(Coerce, StringsToFloats) {
  auto input = ArrayOf(arrow::utf8(), R"(["0.1", "1e3", "-2.5", "+7", null])");
  ExpectEq(Coerce(input, Col("f", ValueType::kFloat64)),
           ArrayOf(arrow::float64(), "[0.1, 1000, -2.5, 7, null]"));
  ExpectEq(Coerce(input, Col("f", ValueType::kFloat32)),
           ArrayOf(arrow::float32(), "[0.1, 1000, -2.5, 7, null]"));
  EXPECT_TRUE(
      Contains(CoerceError(ArrayOf(arrow::utf8(), R"(["1,5"])"), Col("f", ValueType::kFloat64)),
               "value '1,5' is not a valid float64"));
}

TEST(Coerce, StringsToTimestampsAndDates) {
  const int64_t t = Micros("2026-01-02T03:04:05Z");
  auto input = ArrayOf(arrow::utf8(),
                       R"(["2026-01-02T03:04:05Z", "2026-01-02T05:04:05+02:00", "1767323045",
                           "1767323045000", "1767323045000000", "2026-01-02 03:04:05"])");
  const std::string v = std::to_string(t);
  ExpectEq(Coerce(input, Col("t", ValueType::kTimestamp)),
           ArrayOf(kTs, "[" + v + "," + v + "," + v + "," + v + "," + v + "," + v + "]"));
  ExpectEq(Coerce(ArrayOf(arrow::utf8(), R"(["2026-01-02", "2026-01-02T23:30:00-01:00"])"),
                  Col("d", ValueType::kDate)),
           ArrayOf(arrow::date32(), "[" + std::to_string(testing::Days("2026-01-02")) + "," +
                                        std::to_string(testing::Days("2026-01-03")) + "]"));
  EXPECT_TRUE(
      Contains(CoerceError(ArrayOf(arrow::utf8(), R"(["20260102"])"), Col("d", ValueType::kDate)),
               "value '20260102' is not a valid date"));
}

TEST(Coerce, StringPassesThroughWithoutCopy) {
  auto input = ArrayOf(arrow::utf8(), R"(["a", "", null])");
  auto out = Coerce(input, Col("s", ValueType::kString));
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->data()->buffers[2]->data(), input->data()->buffers[2]->data());
  ExpectEq(Coerce(ArrayOf(arrow::large_utf8(), R"(["a", null])"), Col("s", ValueType::kString)),
           ArrayOf(arrow::utf8(), R"(["a", null])"));
  ExpectEq(Coerce(input, Col("s", ValueType::kBytes)),
           ArrayOf(arrow::binary(), R"(["a", "", null])"));
}

TEST(Coerce, IntegersWidenAndNarrowWithRangeChecks) {
  ExpectEq(Coerce(ArrayOf(arrow::int32(), "[1, null, -3]"), Col("i", ValueType::kInt64)),
           ArrayOf(arrow::int64(), "[1, null, -3]"));
  ExpectEq(Coerce(ArrayOf(arrow::int64(), "[1, -3]"), Col("i", ValueType::kInt32)),
           ArrayOf(arrow::int32(), "[1, -3]"));
  ExpectEq(Coerce(ArrayOf(arrow::uint8(), "[255]"), Col("i", ValueType::kInt32)),
           ArrayOf(arrow::int32(), "[255]"));
  EXPECT_EQ(CoerceError(ArrayOf(arrow::int64(), "[1, -2147483649]"), Col("i", ValueType::kInt32)),
            "f.csv: row 2, column 'i': value '-2147483649' is not a valid int32 (out of range)");
  EXPECT_TRUE(Contains(
      CoerceError(ArrayOf(arrow::uint64(), "[18446744073709551615]"), Col("i", ValueType::kInt64)),
      "value '18446744073709551615' is not a valid int64 (out of range)"));
  ExpectEq(Coerce(ArrayOf(arrow::int16(), "[1, 0]"), Col("b", ValueType::kBool)),
           ArrayOf(arrow::boolean(), "[true, false]"));
  ExpectEq(Coerce(ArrayOf(arrow::int64(), "[3]"), Col("f", ValueType::kFloat64)),
           ArrayOf(arrow::float64(), "[3]"));
  ExpectEq(Coerce(ArrayOf(arrow::int64(), "[-5, 12]"), Col("s", ValueType::kString)),
           ArrayOf(arrow::utf8(), R"(["-5", "12"])"));
}

TEST(Coerce, IntegersAsEpochTimestamps) {
  const std::string t = std::to_string(Micros("2026-01-02T03:04:05Z"));
  ExpectEq(Coerce(ArrayOf(arrow::int64(), "[1767323045, 1767323045000, 1767323045000000]"),
                  Col("t", ValueType::kTimestamp)),
           ArrayOf(kTs, "[" + t + "," + t + "," + t + "]"));
}

TEST(Coerce, FloatsDoNotNarrowToIntegers) {
  EXPECT_EQ(CoerceError(ArrayOf(arrow::float64(), "[1.0]"), Col("i", ValueType::kInt64)),
            "f.csv: column 'i': cannot read double values as int64");
  ExpectEq(Coerce(ArrayOf(arrow::float64(), "[0.5, null]"), Col("f", ValueType::kFloat32)),
           ArrayOf(arrow::float32(), "[0.5, null]"));
  ExpectEq(Coerce(ArrayOf(arrow::float64(), "[0.1]"), Col("s", ValueType::kString)),
           ArrayOf(arrow::utf8(), R"(["0.1"])"));
}

TEST(Coerce, TimestampsOfAnyUnitAndZoneBecomeUtcMicros) {
  const int64_t t = Micros("2026-01-02T03:04:05.123456Z");
  const std::string expected = "[" + std::to_string(t / 1000000 * 1000000) + "]";
  ExpectEq(Coerce(ArrayOf(arrow::timestamp(arrow::TimeUnit::SECOND),
                          "[" + std::to_string(t / 1000000) + "]"),
                  Col("t", ValueType::kTimestamp)),
           ArrayOf(kTs, expected));
  ExpectEq(Coerce(ArrayOf(arrow::timestamp(arrow::TimeUnit::MILLI, "Europe/Paris"),
                          "[" + std::to_string(t / 1000) + "]"),
                  Col("t", ValueType::kTimestamp)),
           ArrayOf(kTs, "[" + std::to_string(t / 1000 * 1000) + "]"));
  ExpectEq(Coerce(ArrayOf(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                          "[" + std::to_string(t * 1000 + 999) + ", -1]"),
                  Col("t", ValueType::kTimestamp)),
           ArrayOf(kTs, "[" + std::to_string(t) + ", -1]"));
  ExpectEq(Coerce(ArrayOf(arrow::timestamp(arrow::TimeUnit::MICRO), "[" + std::to_string(t) + "]"),
                  Col("t", ValueType::kTimestamp)),
           ArrayOf(kTs, "[" + std::to_string(t) + "]"));
  ExpectEq(Coerce(ArrayOf(arrow::timestamp(arrow::TimeUnit::MICRO), "[" + std::to_string(t) + "]"),
                  Col("d", ValueType::kDate)),
           ArrayOf(arrow::date32(), "[" + std::to_string(testing::Days("2026-01-02")) + "]"));
  ExpectEq(Coerce(ArrayOf(kTs, "[" + std::to_string(t) + "]"), Col("s", ValueType::kString)),
           ArrayOf(arrow::utf8(), R"(["2026-01-02T03:04:05.123456Z"])"));
}

TEST(Coerce, DatesToTimestampsAndText) {
  const int32_t d = testing::Days("2026-01-02");
  ExpectEq(Coerce(ArrayOf(arrow::date32(), "[" + std::to_string(d) + "]"),
                  Col("t", ValueType::kTimestamp)),
           ArrayOf(kTs, "[" + std::to_string(Micros("2026-01-02")) + "]"));
  ExpectEq(Coerce(ArrayOf(arrow::date64(), "[" + std::to_string(int64_t{d} * 86400000) + "]"),
                  Col("d", ValueType::kDate)),
           ArrayOf(arrow::date32(), "[" + std::to_string(d) + "]"));
  ExpectEq(
      Coerce(ArrayOf(arrow::date32(), "[" + std::to_string(d) + "]"), Col("s", ValueType::kString)),
      ArrayOf(arrow::utf8(), R"(["2026-01-02"])"));
}

TEST(Coerce, NullsInNonNullableColumns) {
  EXPECT_EQ(
      CoerceError(ArrayOf(arrow::utf8(), R"(["1", null])"), Col("i", ValueType::kInt64, false), 10),
      "f.csv: row 12, column 'i': null in a non-nullable column");
  EXPECT_EQ(
      CoerceError(ArrayOf(arrow::utf8(), R"(["1", " "])"), Col("i", ValueType::kInt64, false)),
      "f.csv: row 2, column 'i': null in a non-nullable column");
  EXPECT_EQ(CoerceError(ArrayOf(arrow::null(), "[null]"), Col("s", ValueType::kString, false)),
            "f.csv: row 1, column 's': null in a non-nullable column");
  ExpectEq(Coerce(ArrayOf(arrow::null(), "[null, null]"), Col("s", ValueType::kFloat64)),
           ArrayOf(arrow::float64(), "[null, null]"));
}

TEST(Coerce, DictionaryValuesAreDecoded) {
  auto dictionary =
      arrow::DictionaryArray::FromArrays(arrow::dictionary(arrow::int8(), arrow::utf8()),
                                         ArrayOf(arrow::int8(), "[1, 0, null, 1]"),
                                         ArrayOf(arrow::utf8(), R"(["5", "7"])"))
          .ValueOrDie();
  ExpectEq(Coerce(dictionary, Col("i", ValueType::kInt64)),
           ArrayOf(arrow::int64(), "[7, 5, null, 7]"));
}

TEST(Coerce, DecimalsThroughArrowCasts) {
  auto decimals = ArrayOf(arrow::decimal128(10, 2), R"(["12.50", null, "-0.25"])");
  ExpectEq(Coerce(decimals, Col("f", ValueType::kFloat64)),
           ArrayOf(arrow::float64(), "[12.5, null, -0.25]"));
  ExpectEq(Coerce(decimals, Col("s", ValueType::kString)),
           ArrayOf(arrow::utf8(), R"(["12.50", null, "-0.25"])"));
  EXPECT_EQ(CoerceError(decimals, Col("i", ValueType::kInt64)),
            "f.csv: column 'i': cannot read decimal128(10, 2) values as int64");
}

TEST(Coerce, ListsFromJsonTextAndFromLists) {
  ExpectEq(Coerce(ArrayOf(arrow::utf8(), R"(["[0.5, 1, null]", "[]", null])"),
                  Col("v", ValueType::kListFloat32)),
           ArrayOf(arrow::list(arrow::float32()), "[[0.5, 1, null], [], null]"));
  ExpectEq(
      Coerce(ArrayOf(arrow::utf8(), R"(["[\"a\", \"b\"]"])"), Col("v", ValueType::kListString)),
      ArrayOf(arrow::list(arrow::utf8()), R"([["a", "b"]])"));
  ExpectEq(Coerce(ArrayOf(arrow::list(arrow::float64()), "[[0.5], null]"),
                  Col("v", ValueType::kListFloat32)),
           ArrayOf(arrow::list(arrow::float32()), "[[0.5], null]"));
  EXPECT_TRUE(
      Contains(CoerceError(ArrayOf(arrow::utf8(), R"(["0.5"])"), Col("v", ValueType::kListFloat32)),
               "row 1, column 'v': value '0.5' is not a valid list<float32>"));
}

core::ColumnSpec Vector(int32_t dim) {
  core::ColumnSpec spec = Col("embedding", ValueType::kListFloat32);
  spec.dim = dim;
  return spec;
}

TEST(Coerce, VectorsOfTheDeclaredDimension) {
  ExpectEq(Coerce(ArrayOf(arrow::utf8(), R"(["[0.5, 1, 2]", "", null])"), Vector(3)),
           ArrayOf(arrow::list(arrow::float32()), "[[0.5, 1, 2], null, null]"));
  // Parquet gives lists and fixed-size lists, of float or double.
  ExpectEq(Coerce(ArrayOf(arrow::fixed_size_list(arrow::float32(), 2), "[[0.5, 1], null]"),
                  Vector(2)),
           ArrayOf(arrow::list(arrow::float32()), "[[0.5, 1], null]"));
  ExpectEq(Coerce(ArrayOf(arrow::list(arrow::float64()), "[[0.5, 1]]"), Vector(2)),
           ArrayOf(arrow::list(arrow::float32()), "[[0.5, 1]]"));
  EXPECT_EQ(CoerceError(ArrayOf(arrow::utf8(), R"(["[1, 2, 3]", "[1, 2]"])"), Vector(3)),
            "f.csv: row 2, column 'embedding': value '[1,2]' is not a valid list<float32> "
            "(expected 3 values, got 2)");
  EXPECT_EQ(CoerceError(ArrayOf(arrow::list(arrow::float32()), "[[1, 2, 3], [1, 2, 3, 4]]"),
                        Vector(3), 10),
            "f.csv: row 12, column 'embedding': value '[1, 2, 3, 4]' is not a valid "
            "list<float32> (expected 3 values, got 4)");
  EXPECT_EQ(CoerceError(ArrayOf(arrow::list(arrow::float32()), "[[1, null]]"), Vector(2)),
            "f.csv: row 1, column 'embedding': value '[1, null]' is not a valid list<float32> "
            "(a vector holds numbers only, not null)");
  EXPECT_EQ(CoerceError(ArrayOf(arrow::utf8(), R"(["[1, \"x\"]"])"), Vector(2)),
            "f.csv: row 1, column 'embedding': value '[1,\"x\"]' is not a valid list<float32> "
            "(expected an array of numbers)");
}

TEST(Coerce, LongValuesAreShortenedInMessages) {
  const std::string long_value(500, 'x');
  const std::string message =
      CoerceError(ArrayOf(arrow::utf8(), "[\"" + long_value + "\"]"), Col("i", ValueType::kInt64));
  EXPECT_LT(message.size(), 200u);
  EXPECT_TRUE(Contains(message, "xxx...' is not a valid int64"));
}

// The column loops against a one-value-at-a-time reference on random text.
TEST(Coerce, MatchesScalarParsersOnRandomText) {
  std::mt19937_64 random(7);
  const std::vector<std::string> pieces = {"0",          "1",          "-",    "+",  "9",
                                           ".",          "e",          " ",    "x",  "5",
                                           "2147483647", "2147483648", "true", "no", "1e400"};
  for (ValueType type : {ValueType::kBool, ValueType::kInt32, ValueType::kInt64,
                         ValueType::kFloat32, ValueType::kFloat64}) {
    for (int round = 0; round < 300; ++round) {
      std::string text;
      const int n = 1 + static_cast<int>(random() % 3);
      for (int k = 0; k < n; ++k) text += pieces[random() % pieces.size()];
      arrow::StringBuilder builder;
      ASSERT_TRUE(builder.Append(text).ok());
      auto input = builder.Finish().ValueOrDie();
      auto out = CoerceColumn(*input, Col("c", type), "f", 0);
      const std::string_view trimmed = TrimBlanks(text);
      bool valid = trimmed.empty();
      std::string expected;
      if (!trimmed.empty()) {
        bool b;
        int64_t i;
        double d;
        float f;
        switch (type) {
          case ValueType::kBool:
            valid = ParseBoolText(text, &b);
            expected = b ? "true" : "false";
            break;
          case ValueType::kInt32:
            valid = ParseInt64Text(text, &i) && i >= std::numeric_limits<int32_t>::min() &&
                    i <= std::numeric_limits<int32_t>::max();
            expected = std::to_string(i);
            break;
          case ValueType::kInt64:
            valid = ParseInt64Text(text, &i);
            expected = std::to_string(i);
            break;
          case ValueType::kFloat32:
            valid = ParseFloatText(text, &f);
            break;
          default:
            valid = ParseDoubleText(text, &d);
            break;
        }
      }
      ASSERT_EQ(out.ok(), valid) << "'" << text << "' as " << core::ValueTypeName(type) << ": "
                                 << out.status().ToString();
      if (valid && !trimmed.empty() && !expected.empty() &&
          (type == ValueType::kBool || type == ValueType::kInt32 || type == ValueType::kInt64)) {
        EXPECT_EQ((*out)->GetScalar(0).ValueOrDie()->ToString(), expected) << text;
      }
    }
  }
}

}  // namespace
}  // namespace fst::connectors::internal
