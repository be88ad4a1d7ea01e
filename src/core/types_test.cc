#include "featherstone/core/types.h"

#include <arrow/type.h>
#include <gtest/gtest.h>

namespace fst::core {

TEST(ValueType, NamesRoundTrip) {
  for (auto t : {ValueType::kBool, ValueType::kInt64, ValueType::kTimestamp, ValueType::kListFloat32}) {
    EXPECT_EQ(*ParseValueType(ValueTypeName(t)), t);
  }
  auto bad = ParseValueType("integer");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'integer'"), std::string::npos);
  EXPECT_TRUE(ToArrowType(ValueType::kTimestamp)->Equals(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
}

}  // namespace fst::core
