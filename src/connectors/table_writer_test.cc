#include "featherstone/connectors/table_writer.h"

#include <filesystem>
#include <fstream>
#include <sstream>
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

std::shared_ptr<arrow::Table> AllTypesTable() {
  const core::Schema schema = testing::AllScalarTypes();
  arrow::FieldVector fields;
  for (const auto& spec : schema) {
    fields.push_back(arrow::field(spec.name, core::ToArrowType(spec.type)));
  }
  const std::string t = std::to_string(testing::Micros("2026-01-02T03:04:05Z"));
  const std::string t2 = std::to_string(testing::Micros("2026-01-02T03:04:05.25Z"));
  const std::string d = std::to_string(testing::Days("2026-01-02"));
  arrow::ArrayVector columns = {
      ArrayOf(arrow::boolean(), "[true, false, null]"),
      ArrayOf(arrow::int32(), "[1, -2147483648, null]"),
      ArrayOf(arrow::int64(), "[10000000000, -3, null]"),
      ArrayOf(arrow::float32(), "[0.1, -2.5, null]"),
      ArrayOf(arrow::float64(), "[0.1, 1e300, null]"),
      ArrayOf(arrow::utf8(), R"(["a, \"quoted\"\nline", "", null])"),
      ArrayOf(core::ToArrowType(ValueType::kTimestamp), "[" + t + ", " + t2 + ", null]"),
      ArrayOf(arrow::date32(), "[" + d + ", " + d + ", null]"),
  };
  return arrow::Table::Make(arrow::schema(fields), columns);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

void ExpectRoundTrip(const std::string& name) {
  auto table = AllTypesTable();
  const std::string path = testing::TestDir() + "/" + name;
  Status status = WriteTableFile(*table, path);
  ASSERT_TRUE(status.ok()) << status.ToString();
  auto read = testing::ReadFile(path, testing::AllScalarTypes());
  ASSERT_NE(read, nullptr);
  for (int c = 0; c < table->num_columns(); ++c) {
    auto expected = table->column(c)->chunk(0);
    // CSV has one spelling for an empty string and a null.
    if (name.ends_with(".csv") && expected->type_id() == arrow::Type::STRING) {
      expected = ArrayOf(arrow::utf8(), R"(["a, \"quoted\"\nline", null, null])");
    }
    testing::ExpectColumn(*read, table->schema()->field(c)->name(), expected);
  }
  for (const auto& entry : std::filesystem::directory_iterator(testing::TestDir())) {
    EXPECT_EQ(entry.path().filename().string(), name) << "left behind";
  }
}

TEST(TableWriter, ParquetRoundTrip) { ExpectRoundTrip("out.parquet"); }
TEST(TableWriter, CsvRoundTrip) { ExpectRoundTrip("out.csv"); }
TEST(TableWriter, JsonlRoundTrip) { ExpectRoundTrip("out.jsonl"); }

TEST(TableWriter, JsonlText) {
  const std::string path = testing::TestDir() + "/out.jsonl";
  ASSERT_TRUE(WriteTableFile(*AllTypesTable(), path).ok());
  EXPECT_EQ(Slurp(path),
            R"({"b":true,"i32":1,"i64":10000000000,"f32":0.1,"f64":0.1,"s":"a, \"quoted\"\nline",)"
            R"("ts":"2026-01-02T03:04:05Z","d":"2026-01-02"})"
            "\n"
            R"({"b":false,"i32":-2147483648,"i64":-3,"f32":-2.5,"f64":1e+300,"s":"",)"
            R"("ts":"2026-01-02T03:04:05.250000Z","d":"2026-01-02"})"
            "\n"
            R"({"b":null,"i32":null,"i64":null,"f32":null,"f64":null,"s":null,"ts":null,"d":null})"
            "\n");
}

TEST(TableWriter, CsvText) {
  const std::string path = testing::TestDir() + "/out.csv";
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("id", arrow::int64()),
                     arrow::field("ts", core::ToArrowType(ValueType::kTimestamp)),
                     arrow::field("x", arrow::float64())}),
      {ArrayOf(arrow::int64(), "[1, null]"),
       ArrayOf(core::ToArrowType(ValueType::kTimestamp),
               "[" + std::to_string(testing::Micros("2026-01-02T03:04:05Z")) + ", null]"),
       ArrayOf(arrow::float64(), "[0.1, null]")});
  ASSERT_TRUE(WriteTableFile(*table, path).ok());
  EXPECT_EQ(Slurp(path), "\"id\",\"ts\",\"x\"\n1,\"2026-01-02T03:04:05Z\",0.1\n,,\n");
}

TEST(TableWriter, ListsAsJsonInCsvAndJsonl) {
  auto table = arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64()),
                                                 arrow::field("v", arrow::list(arrow::float32()))}),
                                  {ArrayOf(arrow::int64(), "[1, 2]"),
                                   ArrayOf(arrow::list(arrow::float32()), "[[0.5, 1], null]")});
  const std::string jsonl = testing::TestDir() + "/v.jsonl";
  ASSERT_TRUE(WriteTableFile(*table, jsonl).ok());
  EXPECT_EQ(Slurp(jsonl), "{\"id\":1,\"v\":[0.5,1]}\n{\"id\":2,\"v\":null}\n");
  const std::string csv = testing::TestDir() + "/v.csv";
  Status written = WriteTableFile(*table, csv);
  ASSERT_TRUE(written.ok()) << written.ToString();
  EXPECT_EQ(Slurp(csv), "\"id\",\"v\"\n1,\"[0.5,1]\"\n2,\n");
  auto read = testing::ReadFile(csv, {Col("v", ValueType::kListFloat32)});
  ASSERT_NE(read, nullptr);
  testing::ExpectColumn(*read, "v", ArrayOf(arrow::list(arrow::float32()), "[[0.5, 1], null]"));
}

TEST(TableWriter, ReplacesAnExistingFile) {
  const std::string path = testing::WriteFile("out.jsonl", "old contents\n");
  ASSERT_TRUE(WriteTableFile(*AllTypesTable(), path).ok());
  EXPECT_TRUE(testing::Contains(Slurp(path), "\"b\":true"));
}

TEST(TableWriter, UnknownExtension) {
  Status status = WriteTableFile(*AllTypesTable(), testing::TestDir() + "/out.xlsx");
  EXPECT_TRUE(status.IsInvalid());
  EXPECT_TRUE(testing::Contains(status.message(), "out.xlsx"));
}

TEST(TableWriter, UnwritableDirectoryIsIOErrorNamingThePath) {
  Status status = WriteTableFile(*AllTypesTable(), "/nonexistent/dir/out.csv");
  EXPECT_TRUE(status.IsIOError());
  EXPECT_TRUE(testing::Contains(status.message(), "/nonexistent/dir/out.csv"));
}

}  // namespace
}  // namespace fst::connectors
