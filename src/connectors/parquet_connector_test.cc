#include <string>

#include <arrow/array/array_nested.h>
#include <arrow/builder.h>
#include <arrow/io/file.h>
#include <arrow/type.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

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

auto kTs = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");

std::string WriteParquet(const std::string& name, const arrow::Table& table,
                         int64_t row_group_rows = 1 << 20) {
  const std::string path = testing::TestDir() + "/" + name;
  auto sink = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  EXPECT_TRUE(
      parquet::arrow::WriteTable(table, arrow::default_memory_pool(), sink, row_group_rows).ok());
  EXPECT_TRUE(sink->Close().ok());
  return path;
}

std::shared_ptr<arrow::Table> MakeTable(
    const std::vector<std::pair<std::string, std::shared_ptr<arrow::Array>>>& columns) {
  arrow::FieldVector fields;
  arrow::ArrayVector arrays;
  for (const auto& [name, array] : columns) {
    fields.push_back(arrow::field(name, array->type()));
    arrays.push_back(array);
  }
  return arrow::Table::Make(arrow::schema(fields), arrays);
}

TEST(ParquetConnector, CoercesEveryScalarType) {
  const int64_t t = Micros("2026-01-02T03:04:05.123456Z");
  const std::string d = std::to_string(Days("2026-01-02"));
  auto table = MakeTable({
      {"b", ArrayOf(arrow::boolean(), "[true, null]")},
      {"i32", ArrayOf(arrow::int64(), "[7, null]")},
      {"i64", ArrayOf(arrow::int32(), "[-3, null]")},
      {"f32", ArrayOf(arrow::float64(), "[1.5, null]")},
      {"f64", ArrayOf(arrow::float32(), "[0.25, null]")},
      {"s", ArrayOf(arrow::utf8(), R"(["x", null])")},
      {"ts", ArrayOf(arrow::timestamp(arrow::TimeUnit::NANO, "America/New_York"),
                     "[" + std::to_string(t * 1000) + ", null]")},
      {"d", ArrayOf(arrow::date32(), "[" + d + ", null]")},
  });
  auto read = ReadFile(WriteParquet("all.parquet", *table), testing::AllScalarTypes());
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->schema()->ToString(),
            "b: bool\ni32: int32\ni64: int64\nf32: float\nf64: double\ns: string\n"
            "ts: timestamp[us, tz=UTC]\nd: date32[day]");
  ExpectColumn(*read, "i32", ArrayOf(arrow::int32(), "[7, null]"));
  ExpectColumn(*read, "i64", ArrayOf(arrow::int64(), "[-3, null]"));
  ExpectColumn(*read, "f32", ArrayOf(arrow::float32(), "[1.5, null]"));
  ExpectColumn(*read, "f64", ArrayOf(arrow::float64(), "[0.25, null]"));
  ExpectColumn(*read, "ts", ArrayOf(kTs, "[" + std::to_string(t) + ", null]"));
  ExpectColumn(*read, "d", ArrayOf(arrow::date32(), "[" + d + ", null]"));
}

TEST(ParquetConnector, TimestampUnitsAndStrings) {
  const int64_t t = Micros("2026-01-02T03:04:05Z");
  auto table = MakeTable({
      {"ms",
       ArrayOf(arrow::timestamp(arrow::TimeUnit::MILLI), "[" + std::to_string(t / 1000) + "]")},
      {"us",
       ArrayOf(arrow::timestamp(arrow::TimeUnit::MICRO, "+05:00"), "[" + std::to_string(t) + "]")},
      {"text", ArrayOf(arrow::utf8(), R"(["2026-01-02T04:04:05+01:00"])")},
      {"epoch", ArrayOf(arrow::int64(), "[1767323045000]")},
  });
  const core::Schema schema = {Col("ms", ValueType::kTimestamp), Col("us", ValueType::kTimestamp),
                               Col("text", ValueType::kTimestamp),
                               Col("epoch", ValueType::kTimestamp)};
  auto read = ReadFile(WriteParquet("ts.parquet", *table), schema);
  ASSERT_NE(read, nullptr);
  for (const char* name : {"ms", "us", "text", "epoch"}) {
    ExpectColumn(*read, name, ArrayOf(kTs, "[" + std::to_string(t) + "]"));
  }
}

TEST(ParquetConnector, WrongTypeNamesFileRowColumnValueAndType) {
  auto table = MakeTable({{"amount", ArrayOf(arrow::utf8(), R"(["1.5", "abc"])")}});
  const std::string path = WriteParquet("orders.parquet", *table);
  EXPECT_EQ(ReadError(path, {Col("amount", ValueType::kFloat64)}).message(),
            path + ": row 2, column 'amount': value 'abc' is not a valid float64");
}

TEST(ParquetConnector, MissingColumnListsTheFileColumns) {
  auto table = MakeTable({{"a", ArrayOf(arrow::int64(), "[1]")},
                          {"b", ArrayOf(arrow::int64(), "[1]")},
                          {"c", ArrayOf(arrow::int64(), "[1]")}});
  const std::string path = WriteParquet("orders.parquet", *table);
  EXPECT_EQ(ReadError(path, {Col("amount", ValueType::kFloat64)}).message(),
            path + ": missing column 'amount'; the file has: a, b, c");
}

TEST(ParquetConnector, NullInNonNullableColumn) {
  auto table = MakeTable({{"a", ArrayOf(arrow::int64(), "[1, 2, null]")}});
  const std::string path = WriteParquet("x.parquet", *table);
  EXPECT_EQ(ReadError(path, {Col("a", ValueType::kInt64, false)}).message(),
            path + ": row 3, column 'a': null in a non-nullable column");
}

TEST(ParquetConnector, KeepsOrDropsExtraColumns) {
  auto table = MakeTable({{"x", ArrayOf(arrow::float32(), "[1.5]")},
                          {"id", ArrayOf(arrow::int32(), "[1]")},
                          {"y", ArrayOf(arrow::utf8(), R"(["y"])")}});
  const std::string path = WriteParquet("x.parquet", *table);
  const core::Schema schema = {Col("id", ValueType::kInt64)};
  auto dropped = ReadFile(path, schema);
  ASSERT_NE(dropped, nullptr);
  EXPECT_EQ(dropped->schema()->ToString(), "id: int64");
  ReadOptions keep;
  keep.keep_extra_columns = true;
  auto kept = ReadFile(path, schema, keep);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->schema()->ToString(), "id: int64\nx: float\ny: string");
}

TEST(ParquetConnector, DottedPathReachesIntoStructs) {
  auto city = ArrayOf(arrow::utf8(), R"(["Paris", "Oslo", null])");
  auto zip = ArrayOf(arrow::int32(), "[75001, 150, 1]");
  auto address =
      arrow::StructArray::Make({city, zip}, std::vector<std::string>{"city", "zip"},
                               ArrayOf(arrow::boolean(), "[true, true, false]")->data()->buffers[1])
          .ValueOrDie();
  auto table = MakeTable({{"id", ArrayOf(arrow::int64(), "[1, 2, 3]")}, {"address", address}});
  const std::string path = WriteParquet("nested.parquet", *table);
  auto read = ReadFile(
      path, {Col("id", ValueType::kInt64), Col("city", ValueType::kString, true, "address.city")});
  ASSERT_NE(read, nullptr);
  ExpectColumn(*read, "city", ArrayOf(arrow::utf8(), R"(["Paris", "Oslo", null])"));
  EXPECT_TRUE(testing::Contains(
      ReadError(path, {Col("c", ValueType::kString, true, "address.country")}).message(),
      "missing column 'address.country'; the file has: id, address"));
}

// Array elements by index are read from JSON input only: a Parquet file and an in-memory
// table refuse an index step on a list column, naming the column and its path.
TEST(ParquetConnector, AnIndexIntoAListIsRefused) {
  auto skus = ArrayOf(arrow::list(arrow::utf8()), R"([["A1", "B2"], []])");
  auto table = MakeTable({{"items", skus}});
  const std::string path = WriteParquet("lists.parquet", *table);
  const core::Schema schema = {Col("sku", ValueType::kString, true, "items.0")};
  EXPECT_EQ(ReadError(path, schema).message(),
            path + ": column 'sku' (path items.0): 'items' is a list; array elements by index "
                   "are read from JSON input only, Parquet paths reach struct fields");
  auto reader = arrow::RecordBatchReader::Make({table->CombineChunksToBatch().ValueOrDie()});
  ASSERT_TRUE(reader.ok());
  auto connector = OpenReader(*reader, schema, "rows", {});
  ASSERT_TRUE(connector.ok()) << connector.status().ToString();
  auto batch = (*connector)->Next();
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().message(),
            "rows: cannot read column 'sku' (path items.0); a path reaches fields of struct "
            "columns, not list elements");
}

TEST(ParquetConnector, BatchesCarryTheirFirstRow) {
  arrow::Int64Builder ids;
  for (int64_t i = 0; i < 10000; ++i) ASSERT_TRUE(ids.Append(i).ok());
  auto table = MakeTable({{"id", ids.Finish().ValueOrDie()}});
  const std::string path = WriteParquet("big.parquet", *table, 3000);
  ReadOptions options;
  options.batch_rows = 1000;
  auto connector = OpenFile(path, "", {Col("id", ValueType::kInt64)}, options);
  ASSERT_TRUE(connector.ok()) << connector.status().ToString();
  int64_t rows = 0;
  int batches = 0;
  while (true) {
    auto batch = (*connector)->Next();
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    if (batch->batch == nullptr) break;
    EXPECT_EQ(batch->first_row, rows);
    EXPECT_LE(batch->batch->num_rows(), 1000);
    const auto& column = static_cast<const arrow::Int64Array&>(*batch->batch->column(0));
    EXPECT_EQ(column.Value(0), rows);
    rows += batch->batch->num_rows();
    ++batches;
  }
  EXPECT_EQ(rows, 10000);
  EXPECT_GE(batches, 10);
}

TEST(ParquetConnector, NotParquetIsAnErrorNamingTheFile) {
  const std::string path = testing::WriteFile("fake.parquet", "a,b\n1,2\n");
  Status status = ReadError(path, {Col("a", ValueType::kInt64)});
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(testing::Contains(status.message(), path));
}

}  // namespace
}  // namespace fst::connectors
