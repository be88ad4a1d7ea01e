#include "direct_parse.h"

#include <random>
#include <string>
#include <vector>

#include <arrow/array/builder_binary.h>
#include <arrow/compare.h>
#include <arrow/type.h>
#include <gtest/gtest.h>

#include "coerce.h"
#include "test_util.h"

namespace fst::connectors::internal {
namespace {

using core::ValueType;
using testing::Col;

constexpr ValueType kDirectTypes[] = {ValueType::kInt64, ValueType::kFloat64,
                                      ValueType::kTimestamp};

// Texts near the edges of what the text coercion accepts, for each direct type.
const std::vector<std::string> kPieces = {
    "0", "7", "-12", "+5", "+-5", "007", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "0x10", "0X1F", "1_000", "1.5", ".5", "1.", "-0", "1e5", "1E-3",
    "1e400", "-1e400", "1e-400", "4.9e-324", "nan", "NaN", "-inf", "+inf", "infinity", "1,5",
    "2026-01-02", "2026-01-02T03", "2026-01-02T03:04", "2026-01-02T03:04:05",
    "2026-01-02 03:04:05Z", "2026-01-02t03:04:05z", "2026-01-02T03:04:05.123456789Z",
    "2026-01-02T03:04:05.1234567Z", "2026-01-02T03:04:60Z", "2026-01-02T03:04:05+05",
    "2026-01-02T03:04:05+0530", "2026-01-02T03:04:05-05:30", "2026-02-29T00:00:00Z",
    "2024-02-29", "1767323045", "1767323045000", "1767323045000000", "abc", "", " ", "\t", "\r\n",
    "é"};

std::string RandomText(std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> piece(0, kPieces.size() - 1);
  std::uniform_int_distribution<int> blanks(0, 5);
  static const char* kBlanks[] = {"", "", "", " ", "\t", "\n"};
  return std::string(kBlanks[blanks(rng)]) + kPieces[piece(rng)] + kBlanks[blanks(rng)];
}

// The direct parser gives the value the text coercion gives, and refuses exactly the texts the
// coercion makes null or refuses.
TEST(DirectParse, AgreesWithTheTextCoercionOnRandomText) {
  std::mt19937_64 rng(20261208);
  const auto& parser = *DirectParser();
  for (ValueType type : kDirectTypes) {
    const auto read_type = DirectReadType(type);
    ASSERT_NE(read_type, nullptr);
    const auto unit = static_cast<const arrow::TimestampType&>(*read_type).unit();
    for (int i = 0; i < 20000; ++i) {
      const std::string text = RandomText(rng);
      arrow::StringBuilder builder;
      ASSERT_TRUE(builder.Append(text).ok());
      auto input = builder.Finish().ValueOrDie();
      auto coerced = CoerceColumn(*input, Col("c", type), "f.csv", 0);

      int64_t value = 0;
      bool zone = true;
      const bool parsed = parser(text.data(), text.size(), unit, &value, &zone);
      EXPECT_FALSE(zone);
      const bool has_value = coerced.ok() && (*coerced)->IsValid(0);
      ASSERT_EQ(parsed, has_value) << core::ValueTypeName(type) << " '" << text << "'";
      if (!parsed) continue;
      auto values = arrow::ArrayData::Make(read_type, 1, {nullptr, arrow::Buffer::FromString(
          std::string(reinterpret_cast<const char*>(&value), sizeof(value)))});
      auto relabelled = RelabelDirect(*arrow::MakeArray(values), type);
      ASSERT_TRUE(relabelled->Equals(**coerced, arrow::EqualOptions::Defaults().nans_equal(true)))
          << core::ValueTypeName(type) << " '" << text << "': " << relabelled->ToString()
          << " vs " << (*coerced)->ToString();
    }
  }
}

TEST(DirectParse, OtherTypesAreReadAsText) {
  for (ValueType type : {ValueType::kBool, ValueType::kInt32, ValueType::kFloat32,
                         ValueType::kString, ValueType::kBytes, ValueType::kDate,
                         ValueType::kListFloat32, ValueType::kListString}) {
    EXPECT_EQ(DirectReadType(type), nullptr) << core::ValueTypeName(type);
  }
}

}  // namespace
}  // namespace fst::connectors::internal
