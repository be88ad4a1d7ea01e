#include "featherstone/connectors/table_writer.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <arrow/builder.h>
#include <arrow/type.h>
#include <gtest/gtest.h>

#include "featherstone/connectors/connector.h"
#include "featherstone/core/file_system.h"
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

// Random tables of every scalar type through each format and back.
TEST(TableWriter, RandomTablesRoundTrip) {
  std::mt19937_64 random(99);
  const core::Schema schema = testing::AllScalarTypes();
  for (const char* name : {"r.csv", "r.parquet", "r.jsonl"}) {
    const bool csv = std::string(name) == "r.csv";
    for (int round = 0; round < 5; ++round) {
      const int64_t rows = 1 + static_cast<int64_t>(random() % 500);
      arrow::BooleanBuilder b;
      arrow::Int32Builder i32;
      arrow::Int64Builder i64;
      arrow::FloatBuilder f32;
      arrow::DoubleBuilder f64;
      arrow::StringBuilder s;
      arrow::TimestampBuilder ts(core::ToArrowType(ValueType::kTimestamp),
                                 arrow::default_memory_pool());
      arrow::Date32Builder d;
      std::vector<arrow::ArrayBuilder*> builders = {&b, &i32, &i64, &f32, &f64, &s, &ts, &d};
      static const char* kPieces[] = {"a", ",", "\"", "\n", "\r\n", " ", "\xC3\xA9", "{", "\\"};
      for (int64_t r = 0; r < rows; ++r) {
        for (auto* builder : builders) {
          if (random() % 8 == 0) {
            ASSERT_TRUE(builder->AppendNull().ok());
            continue;
          }
          Status st;
          if (builder == &b) st = b.Append(random() % 2 == 0);
          if (builder == &i32) st = i32.Append(static_cast<int32_t>(random()));
          if (builder == &i64) st = i64.Append(static_cast<int64_t>(random()));
          if (builder == &f32) {
            float v;
            do {
              const uint32_t bits = static_cast<uint32_t>(random());
              std::memcpy(&v, &bits, sizeof(v));
            } while (!std::isfinite(v));
            st = f32.Append(v);
          }
          if (builder == &f64) {
            double v;
            do {
              const uint64_t bits = random();
              std::memcpy(&v, &bits, sizeof(v));
            } while (!std::isfinite(v));
            st = f64.Append(v);
          }
          if (builder == &s) {
            std::string text = csv ? "x" : "";  // CSV has one spelling for "" and null
            for (uint64_t k = random() % 6; k > 0; --k) text += kPieces[random() % 9];
            st = s.Append(text);
          }
          // 1900..2100, with microseconds.
          const int64_t micros =
              static_cast<int64_t>(random() % 6311433600000000ULL) - 2208988800000000LL;
          if (builder == &ts) st = ts.Append(micros);
          if (builder == &d) st = d.Append(static_cast<int32_t>(micros / core::kMicrosPerDay));
          ASSERT_TRUE(st.ok()) << st.ToString();
        }
      }
      arrow::FieldVector fields;
      arrow::ArrayVector columns;
      for (size_t c = 0; c < schema.size(); ++c) {
        fields.push_back(arrow::field(schema[c].name, core::ToArrowType(schema[c].type)));
        columns.push_back(builders[c]->Finish().ValueOrDie());
      }
      auto table = arrow::Table::Make(arrow::schema(fields), columns);
      const std::string path = testing::TestDir() + "/" + name;
      Status written = WriteTableFile(*table, path);
      ASSERT_TRUE(written.ok()) << written.ToString();
      auto read = testing::ReadFile(path, schema);
      ASSERT_NE(read, nullptr);
      ASSERT_EQ(read->num_rows(), rows) << name;
      for (size_t c = 0; c < schema.size(); ++c) {
        testing::ExpectColumn(*read, schema[c].name, columns[c]);
      }
    }
  }
}

TEST(TableWriter, ReplacesAnExistingFile) {
  const std::string path = testing::WriteFile("out.jsonl", "old contents\n");
  ASSERT_TRUE(WriteTableFile(*AllTypesTable(), path).ok());
  EXPECT_TRUE(testing::Contains(Slurp(path), "\"b\":true"));
}

// Chunks written one by one read back as the rows of all chunks, in order, in every format;
// nothing is visible before Finish, and a writer dropped unfinished leaves no file.
TEST(TableWriter, ChunksEqualTheWholeTable) {
  auto table = AllTypesTable();
  for (const std::string name : {"chunks.parquet", "chunks.csv", "chunks.jsonl"}) {
    const std::string path = testing::TestDir() + "/" + name;
    const std::string whole_path = testing::TestDir() + "/whole-" + name;
    ASSERT_TRUE(WriteTableFile(*table, whole_path).ok());
    auto writer = TableFileWriter::Open(*core::LocalFs(), path);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (int64_t row = 0; row < table->num_rows(); ++row) {
      ASSERT_TRUE((*writer)->Write(*table->Slice(row, 1)).ok());
      ASSERT_TRUE((*writer)->Write(*table->Slice(row, 0)).ok());
    }
    EXPECT_FALSE(std::filesystem::exists(path)) << "visible before Finish";
    ASSERT_TRUE((*writer)->Finish().ok());
    auto read = testing::ReadFile(path, testing::AllScalarTypes());
    auto whole = testing::ReadFile(whole_path, testing::AllScalarTypes());
    ASSERT_NE(read, nullptr);
    ASSERT_NE(whole, nullptr);
    EXPECT_TRUE(read->Equals(*whole)) << name << "\n" << read->ToString();
  }
  const std::string dropped = testing::TestDir() + "/dropped.csv";
  {
    auto writer = TableFileWriter::Open(*core::LocalFs(), dropped);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Write(*table).ok());
  }
  for (const auto& entry : std::filesystem::directory_iterator(testing::TestDir())) {
    EXPECT_FALSE(testing::Contains(entry.path().filename().string(), "dropped")) << "left behind";
  }
}

TEST(TableWriter, ChunkWithOtherColumnsIsRefused) {
  auto table = AllTypesTable();
  const std::string path = testing::TestDir() + "/mixed.parquet";
  auto writer = TableFileWriter::Open(*core::LocalFs(), path);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(*table).ok());
  auto other = table->RemoveColumn(0);
  ASSERT_TRUE(other.ok());
  Status status = (*writer)->Write(**other);
  EXPECT_TRUE(status.IsInvalid());
  EXPECT_TRUE(testing::Contains(status.message(), "mixed.parquet")) << status.ToString();
  EXPECT_TRUE((*writer)->Finish().IsInvalid());
  EXPECT_FALSE(std::filesystem::exists(path));
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
