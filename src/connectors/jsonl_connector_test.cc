#include <string>

#include <arrow/type.h>
#include <gtest/gtest.h>

#include "featherstone/connectors/connector.h"
#include "test_util.h"

namespace fst::connectors {
namespace {

using core::ValueType;
using testing::ArrayOf;
using testing::Col;
using testing::Days;
using testing::ExpectColumn;
using testing::Micros;
using testing::ReadError;
using testing::ReadFile;
using testing::WriteFile;

auto kTs = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");

TEST(JsonlConnector, ReadsEveryScalarType) {
  const std::string path = WriteFile(
      "all.jsonl",
      R"({"b": true, "i32": 1, "i64": 10000000000, "f32": 1.5, "f64": 0.1, "s": "hi", )"
      R"("ts": "2026-01-02T03:04:05Z", "d": "2026-01-02"})"
      "\n"
      R"({"b": "no", "i32": "-2", "i64": -3, "f32": 2, "f64": "2.5e3", "s": "say \"hi\"", )"
      R"("ts": 1767323045, "d": "2026-02-28"})"
      "\n"
      R"({"b": null, "s": null})"
      "\n");
  auto table = ReadFile(path, testing::AllScalarTypes());
  ASSERT_NE(table, nullptr);
  ExpectColumn(*table, "b", ArrayOf(arrow::boolean(), "[true, false, null]"));
  ExpectColumn(*table, "i32", ArrayOf(arrow::int32(), "[1, -2, null]"));
  ExpectColumn(*table, "i64", ArrayOf(arrow::int64(), "[10000000000, -3, null]"));
  ExpectColumn(*table, "f32", ArrayOf(arrow::float32(), "[1.5, 2, null]"));
  ExpectColumn(*table, "f64", ArrayOf(arrow::float64(), "[0.1, 2500, null]"));
  ExpectColumn(*table, "s", ArrayOf(arrow::utf8(), R"(["hi", "say \"hi\"", null])"));
  ExpectColumn(*table, "ts",
               ArrayOf(kTs, "[" + std::to_string(Micros("2026-01-02T03:04:05Z")) +
                                ", 1767323045000000, null]"));
  ExpectColumn(*table, "d",
               ArrayOf(arrow::date32(), "[" + std::to_string(Days("2026-01-02")) + ", " +
                                            std::to_string(Days("2026-02-28")) + ", null]"));
}

TEST(JsonlConnector, TimestampForms) {
  const std::string path = WriteFile("ts.jsonl",
                                     "{\"ts\": \"2026-01-02T04:04:05+01:00\"}\n"
                                     "{\"ts\": \"2026-01-02T03:04:05Z\"}\n"
                                     "{\"ts\": \"2026-01-02T03:04:05\"}\n"
                                     "{\"ts\": 1767323045}\n"
                                     "{\"ts\": 1767323045000}\n"
                                     "{\"ts\": 1767323045000000}\n"
                                     "{\"ts\": \"1767323045\"}\n");
  auto table = ReadFile(path, {Col("ts", ValueType::kTimestamp)});
  ASSERT_NE(table, nullptr);
  const std::string v = std::to_string(Micros("2026-01-02T03:04:05Z"));
  ExpectColumn(
      *table, "ts",
      ArrayOf(kTs, "[" + v + "," + v + "," + v + "," + v + "," + v + "," + v + "," + v + "]"));
}

TEST(JsonlConnector, NestedPathsAndMissingKeys) {
  const std::string path =
      WriteFile("people.jsonl", R"({"id": 1, "address": {"city": "Paris", "geo": {"lat": 48.8}}})"
                                "\n"
                                R"({"id": 2, "address": {"zip": "0150"}})"
                                "\n"
                                R"({"id": 3, "address": "unknown"})"
                                "\n"
                                R"({"id": 4})"
                                "\n");
  auto table = ReadFile(
      path, {Col("id", ValueType::kInt64), Col("city", ValueType::kString, true, "address.city"),
             Col("lat", ValueType::kFloat64, true, "address.geo.lat")});
  ASSERT_NE(table, nullptr);
  ExpectColumn(*table, "city", ArrayOf(arrow::utf8(), R"(["Paris", null, null, null])"));
  ExpectColumn(*table, "lat", ArrayOf(arrow::float64(), "[48.8, null, null, null]"));
}

// Array elements by index, an object member named by digits, an index past the end, an
// index into an object without that member, and a whole object or array as JSON text.
TEST(JsonlConnector, ArrayIndexesAndJsonText) {
  const std::string path = WriteFile(
      "orders.jsonl",
      R"({"items": [{"sku": "A1", "qty": 2}, {"sku": "B2"}], "codes": {"0": "zero"}, "address": {"city": "Oslo", "tags": [1, "x"]}})"
      "\n"
      R"({"items": [{"sku": "C3"}], "codes": ["first"], "address": null})"
      "\n"
      R"({"items": [], "codes": {}})"
      "\n");
  auto table = ReadFile(path, {Col("first_sku", ValueType::kString, true, "items.0.sku"),
                               Col("second_sku", ValueType::kString, true, "items.1.sku"),
                               Col("qty", ValueType::kInt64, true, "items.0.qty"),
                               Col("code", ValueType::kString, true, "codes.0"),
                               Col("address", ValueType::kString, true, "address"),
                               Col("tags", ValueType::kString, true, "address.tags")});
  ASSERT_NE(table, nullptr);
  ExpectColumn(*table, "first_sku", ArrayOf(arrow::utf8(), R"(["A1", "C3", null])"));
  ExpectColumn(*table, "second_sku", ArrayOf(arrow::utf8(), R"(["B2", null, null])"));
  ExpectColumn(*table, "qty", ArrayOf(arrow::int64(), "[2, null, null]"));
  ExpectColumn(*table, "code", ArrayOf(arrow::utf8(), R"(["zero", "first", null])"));
  ExpectColumn(*table, "address",
               ArrayOf(arrow::utf8(), R"(["{\"city\":\"Oslo\",\"tags\":[1,\"x\"]}", null, null])"));
  ExpectColumn(*table, "tags", ArrayOf(arrow::utf8(), R"(["[1,\"x\"]", null, null])"));
}

TEST(JsonlConnector, ErrorsAtAPathNameIt) {
  const std::string path = WriteFile(
      "orders.jsonl", "{\"items\": [{\"qty\": 1}]}\n{\"items\": [{\"qty\": \"many\"}]}\n");
  EXPECT_EQ(ReadError(path, {Col("qty", ValueType::kInt64, true, "items.0.qty")}).message(),
            path + ": row 2, column 'qty' (path items.0.qty): value 'many' is not a valid int64");
  EXPECT_EQ(ReadError(path, {Col("sku", ValueType::kString, false, "items.0.sku")}).message(),
            path + ": row 1, column 'sku' (path items.0.sku): null in a non-nullable column");
}

TEST(JsonlConnector, WrongTypeNamesFileRowColumnValueAndType) {
  const std::string path =
      WriteFile("orders.jsonl", "{\"id\": 1, \"amount\": 2.5}\n{\"id\": 2, \"amount\": \"abc\"}\n");
  EXPECT_EQ(
      ReadError(path, {Col("id", ValueType::kInt64), Col("amount", ValueType::kFloat64)}).message(),
      path + ": row 2, column 'amount': value 'abc' is not a valid float64");
  const std::string ints = WriteFile("ints.jsonl", "{\"n\": 1}\n{\"n\": 2.5}\n{\"n\": 3e10}\n");
  EXPECT_EQ(ReadError(ints, {Col("n", ValueType::kInt64)}).message(),
            ints + ": row 2, column 'n': value '2.5' is not a valid int64");
  const std::string big = WriteFile("big.jsonl", "{\"n\": 1}\n{\"n\": 3000000000}\n");
  EXPECT_EQ(ReadError(big, {Col("n", ValueType::kInt32)}).message(),
            big + ": row 2, column 'n': value '3000000000' is not a valid int32 (out of range)");
}

TEST(JsonlConnector, UnparseableTimestamp) {
  const std::string path = WriteFile("e.jsonl", "{\"ts\": 1767323045}\n{\"ts\": \"soon\"}\n");
  EXPECT_TRUE(
      testing::Contains(ReadError(path, {Col("ts", ValueType::kTimestamp)}).message(),
                        path + ": row 2, column 'ts': value 'soon' is not a valid timestamp"));
}

TEST(JsonlConnector, SyntaxErrorNamesTheLine) {
  const std::string path = WriteFile("e.jsonl", "{\"a\": 1}\n\n{\"a\": 2,}\n");
  Status status = ReadError(path, {Col("a", ValueType::kInt64)});
  EXPECT_TRUE(testing::Contains(
      status.message(),
      path +
          ": line 3, column 9: expected a member name in double quotes, found '}': {\"a\": 2,}"));
  const std::string array = WriteFile("a.jsonl", "[1, 2]\n");
  EXPECT_EQ(ReadError(array, {Col("a", ValueType::kInt64)}).message(),
            array + ": line 1: expected a JSON object, found '[1,2]'");
}

TEST(JsonlConnector, BlankLinesAreSkippedAndReportedByLine) {
  const std::string path = WriteFile("e.jsonl", "{\"a\": 1}\n\n{\"a\": \"x\"}\n");
  EXPECT_EQ(ReadError(path, {Col("a", ValueType::kInt64)}).message(),
            path + ": row 2, column 'a': value 'x' is not a valid int64 (line 3)");
}

TEST(JsonlConnector, MissingKeyInNonNullableColumn) {
  const std::string path = WriteFile("e.jsonl", "{\"a\": 1}\n{\"b\": 1}\n");
  EXPECT_EQ(ReadError(path, {Col("a", ValueType::kInt64, false)}).message(),
            path + ": row 2, column 'a': null in a non-nullable column");
}

TEST(JsonlConnector, ExtraColumnsTypedByTheFirstBatch) {
  const std::string path = WriteFile(
      "x.jsonl",
      R"({"id": "a", "n": 1, "f": 1, "flag": true, "obj": {"k": [1, 2]}, "addr": {"city": "P"}})"
      "\n"
      R"({"id": "b", "n": 2, "f": 2.5, "mixed": "x", "addr": {"city": "Q"}})"
      "\n");
  const core::Schema schema = {Col("id", ValueType::kString),
                               Col("city", ValueType::kString, true, "addr.city")};
  auto dropped = ReadFile(path, schema);
  ASSERT_NE(dropped, nullptr);
  EXPECT_EQ(dropped->schema()->ToString(), "id: string\ncity: string");
  ReadOptions keep;
  keep.keep_extra_columns = true;
  auto kept = ReadFile(path, schema, keep);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->schema()->ToString(),
            "id: string\ncity: string\nn: int64\nf: double\nflag: bool\nobj: string\n"
            "mixed: string");
  ExpectColumn(*kept, "obj", ArrayOf(arrow::utf8(), R"(["{\"k\":[1,2]}", null])"));
  ExpectColumn(*kept, "flag", ArrayOf(arrow::boolean(), "[true, null]"));
  ExpectColumn(*kept, "f", ArrayOf(arrow::float64(), "[1, 2.5]"));
}

TEST(JsonlConnector, ListColumns) {
  const std::string path = WriteFile(
      "v.jsonl", "{\"v\": [0.5, 1, null], \"t\": [\"a\", 2]}\n{\"v\": [], \"t\": null}\n");
  auto table =
      ReadFile(path, {Col("v", ValueType::kListFloat32), Col("t", ValueType::kListString)});
  ASSERT_NE(table, nullptr);
  ExpectColumn(*table, "v", ArrayOf(arrow::list(arrow::float32()), "[[0.5, 1, null], []]"));
  ExpectColumn(*table, "t", ArrayOf(arrow::list(arrow::utf8()), R"([["a", "2"], null])"));
}

TEST(JsonlConnector, BatchesCarryTheirFirstRow) {
  std::string text;
  for (int i = 0; i < 2500; ++i) text += "{\"id\": " + std::to_string(i) + "}\n";
  text += "{\"id\": 2500}";  // no final line break
  const std::string path = WriteFile("big.jsonl", text);
  ReadOptions options;
  options.batch_rows = 1000;
  auto connector = OpenFile(path, "", {Col("id", ValueType::kInt64)}, options);
  ASSERT_TRUE(connector.ok()) << connector.status().ToString();
  std::vector<int64_t> first_rows;
  int64_t rows = 0;
  while (true) {
    auto batch = (*connector)->Next();
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    if (batch->batch == nullptr) break;
    first_rows.push_back(batch->first_row);
    const auto& ids = static_cast<const arrow::Int64Array&>(*batch->batch->column(0));
    for (int64_t i = 0; i < ids.length(); ++i) ASSERT_EQ(ids.Value(i), batch->first_row + i);
    rows += batch->batch->num_rows();
  }
  EXPECT_EQ(rows, 2501);
  EXPECT_EQ(first_rows, (std::vector<int64_t>{0, 1000, 2000}));
}

TEST(JsonlConnector, LongLinesAcrossReads) {
  const std::string long_text(9 << 20, 'x');
  const std::string path =
      WriteFile("long.jsonl", "{\"s\": \"a\"}\n{\"s\": \"" + long_text + "\"}\n{\"s\": \"b\"}\n");
  auto table = ReadFile(path, {Col("s", ValueType::kString)});
  ASSERT_NE(table, nullptr);
  ASSERT_EQ(table->num_rows(), 3);
  auto s = std::static_pointer_cast<arrow::StringArray>(testing::Column(*table, "s"));
  EXPECT_EQ(s->GetView(1).size(), long_text.size());
  EXPECT_EQ(s->GetView(2), "b");
}

TEST(JsonlConnector, EmptyFileGivesNoRows) {
  const std::string path = WriteFile("e.jsonl", "");
  auto table = ReadFile(path, {Col("a", ValueType::kInt64)});
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->num_rows(), 0);
}

}  // namespace
}  // namespace fst::connectors
