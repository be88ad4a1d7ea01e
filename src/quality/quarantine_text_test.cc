#include "featherstone/quality/quarantine_text.h"

#include <random>

#include <arrow/array/builder_nested.h>
#include <arrow/builder.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "featherstone/core/arrow_init.h"

namespace fst::quality {
namespace {

std::shared_ptr<arrow::Array> Of(core::ValueType type, const std::string& json) {
  return arrow::json::ArrayFromJSONString(core::ToArrowType(type), json).ValueOrDie();
}

void ExpectRoundTrip(core::ValueType type, const std::shared_ptr<arrow::Array>& values) {
  SCOPED_TRACE(std::string(core::ValueTypeName(type)));
  auto text = ToText(values);
  ASSERT_TRUE(text.ok()) << text.status();
  const auto want_text = type == core::ValueType::kBytes ? arrow::binary() : arrow::utf8();
  EXPECT_TRUE((*text)->type()->Equals(want_text)) << (*text)->type()->ToString();
  auto back = FromText(*text, core::ColumnSpec{"c", type, true, ""});
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE((*back)->Equals(*values)) << (*text)->ToString() << "\n" << (*back)->ToString();
}

TEST(QuarantineText, EveryTypeRoundTrips) {
  ASSERT_TRUE(core::EnsureArrowCompute().ok());
  using T = core::ValueType;
  ExpectRoundTrip(T::kBool, Of(T::kBool, "[true, false, null]"));
  ExpectRoundTrip(T::kInt32, Of(T::kInt32, "[-2147483648, 0, 7, null]"));
  ExpectRoundTrip(T::kInt64, Of(T::kInt64, "[-9223372036854775808, 9223372036854775807, null]"));
  ExpectRoundTrip(T::kFloat32, Of(T::kFloat32, "[0.1, -3.5e30, null, 1e-40]"));
  ExpectRoundTrip(T::kFloat64,
                  Of(T::kFloat64, "[0.1, 1e308, -2.2250738585072014e-308, null, 12345678.9]"));
  ExpectRoundTrip(T::kString, Of(T::kString, R"(["a", "", "a,b\"c", null])"));
  ExpectRoundTrip(T::kBytes, Of(T::kBytes, R"(["\u0000x", null])"));
  ExpectRoundTrip(T::kTimestamp, Of(T::kTimestamp, "[0, 1767225600123456, -1000001, null]"));
  ExpectRoundTrip(T::kDate, Of(T::kDate, "[0, 20454, -1, null]"));
  ExpectRoundTrip(T::kListFloat32, Of(T::kListFloat32, "[[0.5, null, 2], [], null]"));
  ExpectRoundTrip(T::kListString, Of(T::kListString, R"([["a", "b\"", null], [], null])"));
}

TEST(QuarantineText, RandomDoublesRoundTripExactly) {
  ASSERT_TRUE(core::EnsureArrowCompute().ok());
  std::mt19937_64 rng(11);
  arrow::DoubleBuilder builder;
  for (int i = 0; i < 2000; ++i) {
    double v;
    const uint64_t bits = rng();
    std::memcpy(&v, &bits, sizeof(v));
    if (std::isnan(v)) continue;
    ASSERT_TRUE(builder.Append(v).ok());
  }
  ExpectRoundTrip(core::ValueType::kFloat64, builder.Finish().ValueOrDie());
}

TEST(QuarantineText, WideningReadsAndNarrowingFailsNamingTheValue) {
  ASSERT_TRUE(core::EnsureArrowCompute().ok());
  auto text = ToText(Of(core::ValueType::kInt32, "[1, 2]")).ValueOrDie();
  auto wide = FromText(text, core::ColumnSpec{"n", core::ValueType::kFloat64, true, ""});
  ASSERT_TRUE(wide.ok());
  EXPECT_TRUE((*wide)->Equals(*Of(core::ValueType::kFloat64, "[1, 2]")));
  auto fraction = ToText(Of(core::ValueType::kFloat64, "[1.5]")).ValueOrDie();
  auto narrow = FromText(fraction, core::ColumnSpec{"n", core::ValueType::kInt64, true, ""});
  ASSERT_FALSE(narrow.ok());
  EXPECT_EQ(narrow.status().message(), "column 'n': value '1.5' is not a valid int64");
}

}  // namespace
}  // namespace fst::quality
