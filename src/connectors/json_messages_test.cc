#include "featherstone/connectors/json_messages.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace fst::connectors {
namespace {

using core::ValueType;
using testing::ArrayOf;
using testing::Col;

core::Schema OrderSchema() {
  core::Schema schema = {Col("customer_id", ValueType::kInt64), Col("amount", ValueType::kFloat64),
                         Col("city", ValueType::kString), Col("ts", ValueType::kTimestamp)};
  schema[0].nullable = false;
  schema[3].nullable = false;
  schema[2].path = "address.city";
  return schema;
}

TEST(JsonMessageDecoder, DecodesObjectsByNameAndPath) {
  JsonMessageDecoder decoder(OrderSchema());
  ASSERT_TRUE(decoder.Add(R"({"customer_id": 1, "amount": 2.5, "address": {"city": "Oslo"},)"
                          R"( "ts": 1767323045})", [] { return std::string("m0"); }).ok());
  ASSERT_TRUE(decoder.Add(R"({"customer_id": "2", "ts": "2026-01-02T03:04:05Z", "x": 1})",
                          [] { return std::string("m1"); })
                  .ok());
  auto batch = decoder.Finish();
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ((*batch)->num_rows(), 2);
  EXPECT_EQ((*batch)->schema()->field(2)->name(), "address.city");
  EXPECT_TRUE((*batch)->column(0)->Equals(*ArrayOf(arrow::int64(), "[1, 2]")));
  EXPECT_TRUE((*batch)->column(1)->Equals(*ArrayOf(arrow::float64(), "[2.5, null]")));
  EXPECT_TRUE((*batch)->column(2)->Equals(*ArrayOf(arrow::utf8(), R"(["Oslo", null])")));
  EXPECT_EQ(decoder.rows(), 0);
}

TEST(JsonMessageDecoder, ErrorsNameTheMessage) {
  JsonMessageDecoder decoder(OrderSchema());
  Status bad = decoder.Add("{\"customer_id\": ",
                           [] { return std::string("topic 't' partition 1 offset 7"); });
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.message().starts_with("topic 't' partition 1 offset 7: ")) << bad.message();
  Status not_object = decoder.Add("[1]", [] { return std::string("m"); });
  EXPECT_NE(not_object.message().find("expected a JSON object"), std::string::npos);
  Status wrong = decoder.Add(R"({"customer_id": "x", "ts": 1})", [] { return std::string("m2"); });
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(wrong.message().starts_with("m2: column 'customer_id'")) << wrong.message();
  Status missing = decoder.Add(R"({"ts": 1})", [] { return std::string("m3"); });
  EXPECT_EQ(missing.message(), "m3: column 'customer_id': null in a non-nullable column");
}

}  // namespace
}  // namespace fst::connectors
