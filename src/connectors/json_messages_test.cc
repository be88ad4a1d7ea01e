#include "featherstone/connectors/json_messages.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

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

// Wide messages: members in any order, some missing, a name given twice (the first counts), and
// a column read by path beside the top-level ones.
TEST(JsonMessageDecoder, WideMessagesMatchEveryColumnByItsFirstMember) {
  constexpr int kColumns = 300;
  core::Schema schema;
  for (int c = 0; c < kColumns; ++c) {
    schema.push_back(Col("c" + std::to_string(c), ValueType::kInt64));
  }
  schema.push_back(Col("inner", ValueType::kInt64));
  schema.back().path = "n.inner";
  std::mt19937 rng(5);
  JsonMessageDecoder decoder(schema);
  std::vector<std::string> expected(kColumns + 1, "[");
  for (int m = 0; m < 20; ++m) {
    std::vector<int> order(kColumns + 1);  // kColumns: the nested member
    for (int c = 0; c <= kColumns; ++c) order[c] = c;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<std::string> row(kColumns + 1, "null");
    std::string text = "{";
    for (int c : order) {
      if (rng() % 5 == 0) continue;  // missing: null
      const std::string value = std::to_string(m * 1000 + c);
      row[c] = value;
      if (c == kColumns) {
        text += R"("n": {"inner": )" + value + "},";
        continue;
      }
      text += "\"c" + std::to_string(c) + "\": " + value + ",";
      if (rng() % 7 == 0) text += "\"c" + std::to_string(c) + "\": -1,";  // a later duplicate
    }
    text += R"("unknown": [1, 2]})";
    ASSERT_TRUE(decoder.Add(text, [] { return std::string("m"); }).ok()) << text;
    for (int c = 0; c <= kColumns; ++c) expected[c] += (m > 0 ? "," : "") + row[c];
  }
  auto batch = decoder.Finish();
  ASSERT_TRUE(batch.ok()) << batch.status();
  for (int c = 0; c <= kColumns; ++c) {
    EXPECT_TRUE((*batch)->column(c)->Equals(*ArrayOf(arrow::int64(), expected[c] + "]")))
        << "column " << c;
  }
}

TEST(JsonMessageDecoder, ArrayIndexesAndErrorsNamingThePath) {
  core::Schema schema = {Col("sku", ValueType::kString), Col("qty", ValueType::kInt64),
                         Col("customer", ValueType::kString)};
  schema[0].path = "items.0.sku";
  schema[1].path = "items.0.qty";
  schema[2].path = "customer";
  JsonMessageDecoder decoder(schema);
  ASSERT_TRUE(decoder.Add(R"({"items": [{"sku": "A1", "qty": 2}], "customer": {"id": 7}})",
                          [] { return std::string("m0"); }).ok());
  ASSERT_TRUE(decoder.Add(R"({"items": []})", [] { return std::string("m1"); }).ok());
  Status wrong = decoder.Add(R"({"items": [{"qty": [3]}]})", [] { return std::string("m2"); });
  EXPECT_EQ(wrong.message(),
            "m2: column 'qty' (path items.0.qty): value '[3]' is not a valid int64");
  auto batch = decoder.Finish();
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ((*batch)->schema()->field(0)->name(), "items.0.sku");
  EXPECT_TRUE((*batch)->column(0)->Equals(*ArrayOf(arrow::utf8(), R"(["A1", null])")));
  EXPECT_TRUE((*batch)->column(1)->Equals(*ArrayOf(arrow::int64(), "[2, null]")));
  EXPECT_TRUE((*batch)->column(2)->Equals(*ArrayOf(arrow::utf8(), R"(["{\"id\":7}", null])")));
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

TEST(JsonMessageDecoder, AFailedMessageIsSkippedAndTheRowsAroundItStay) {
  JsonMessageDecoder decoder(OrderSchema());
  auto where = [] { return std::string("m"); };
  ASSERT_TRUE(decoder.Add(R"({"customer_id": 1, "amount": 1.5, "ts": 1})", where).ok());
  // Fails at the second column, after the first was appended.
  EXPECT_FALSE(decoder.Add(R"({"customer_id": 2, "amount": "lots", "ts": 2})", where).ok());
  ASSERT_TRUE(decoder.Add(R"({"customer_id": 3, "ts": 3})", where).ok());
  // Fails at the last column, after the others were appended (a null among them).
  EXPECT_FALSE(decoder.Add(R"({"customer_id": 4, "ts": null})", where).ok());
  EXPECT_FALSE(decoder.Add("not json", where).ok());
  ASSERT_TRUE(decoder.Add(R"({"customer_id": 5, "amount": 2, "ts": 5})", where).ok());
  EXPECT_EQ(decoder.rows(), 3);
  auto batch = decoder.Finish();
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_TRUE((*batch)->ValidateFull().ok());
  EXPECT_TRUE((*batch)->column(0)->Equals(*ArrayOf(arrow::int64(), "[1, 3, 5]")));
  EXPECT_TRUE((*batch)->column(1)->Equals(*ArrayOf(arrow::float64(), "[1.5, null, 2]")));
  EXPECT_EQ((*batch)->column(3)->length(), 3);
  // The next batch starts empty.
  ASSERT_TRUE(decoder.Add(R"({"customer_id": 6, "ts": 6})", where).ok());
  auto next = decoder.Finish();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_TRUE((*next)->column(0)->Equals(*ArrayOf(arrow::int64(), "[6]")));
}

// Random runs of good and bad messages (failing at each column) against the good ones alone.
TEST(JsonMessageDecoder, RandomFailuresLeaveExactlyTheGoodRows) {
  std::mt19937 rng(13);
  JsonMessageDecoder decoder(OrderSchema());
  auto where = [] { return std::string("m"); };
  for (int round = 0; round < 20; ++round) {
    std::string want_ids = "[";
    std::string want_amounts = "[";
    int64_t good = 0;
    const int messages = static_cast<int>(rng() % 40);
    for (int i = 0; i < messages; ++i) {
      const int id = round * 100 + i;
      const std::string amount = std::to_string(i) + ".5";
      switch (rng() % 5) {
        case 0:  // bad amount (second column)
          EXPECT_FALSE(decoder.Add(R"({"customer_id": )" + std::to_string(id) +
                                       R"(, "amount": "x", "ts": 1})", where).ok());
          break;
        case 1:  // bad ts (last column)
          EXPECT_FALSE(decoder.Add(R"({"customer_id": )" + std::to_string(id) +
                                       R"(, "address": {"city": "Oslo"}, "ts": [1]})", where)
                           .ok());
          break;
        case 2:  // bad customer_id (first column)
          EXPECT_FALSE(decoder.Add(R"({"customer_id": "y", "ts": 1})", where).ok());
          break;
        default:
          ASSERT_TRUE(decoder.Add(R"({"customer_id": )" + std::to_string(id) +
                                      R"(, "amount": )" + amount + R"(, "ts": 1})", where)
                          .ok());
          want_ids += (good > 0 ? ", " : "") + std::to_string(id);
          want_amounts += (good > 0 ? ", " : "") + amount;
          ++good;
      }
    }
    auto batch = decoder.Finish();
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_TRUE((*batch)->ValidateFull().ok());
    ASSERT_EQ((*batch)->num_rows(), good);
    EXPECT_TRUE((*batch)->column(0)->Equals(*ArrayOf(arrow::int64(), want_ids + "]")));
    EXPECT_TRUE((*batch)->column(1)->Equals(*ArrayOf(arrow::float64(), want_amounts + "]")));
    EXPECT_EQ((*batch)->column(2)->null_count(), good);
  }
}

}  // namespace
}  // namespace fst::connectors
