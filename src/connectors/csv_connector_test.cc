#include <random>
#include <string>
#include <vector>

#include <arrow/compare.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <gtest/gtest.h>

#include "connector_internal.h"
#include "featherstone/connectors/connector.h"
#include "test_util.h"

namespace fst::connectors {
namespace {

using core::ValueType;
using testing::Col;
using testing::Days;
using testing::ExpectColumn;
using testing::Micros;
using testing::ReadError;
using testing::ReadFile;
using testing::WriteFile;

auto kTs = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");

TEST(CsvConnector, ReadsEveryScalarType) {
  const std::string path =
      WriteFile("all.csv",
                "b,i32,i64,f32,f64,s,ts,d\n"
                "true,1,10000000000,1.5,0.1,\"hello, world\",2026-01-02T03:04:05Z,2026-01-02\n"
                "No,-2,-3,,2.5e3,\"say \"\"hi\"\"\",1767323045,2026-02-28\n"
                ",,,,,,,\n");
  auto table = ReadFile(path, testing::AllScalarTypes());
  ASSERT_NE(table, nullptr);
  ASSERT_EQ(table->num_rows(), 3);
  ExpectColumn(*table, "b", testing::ArrayOf(arrow::boolean(), "[true, false, null]"));
  ExpectColumn(*table, "i32", testing::ArrayOf(arrow::int32(), "[1, -2, null]"));
  ExpectColumn(*table, "i64", testing::ArrayOf(arrow::int64(), "[10000000000, -3, null]"));
  ExpectColumn(*table, "f32", testing::ArrayOf(arrow::float32(), "[1.5, null, null]"));
  ExpectColumn(*table, "f64", testing::ArrayOf(arrow::float64(), "[0.1, 2500, null]"));
  ExpectColumn(*table, "s",
               testing::ArrayOf(arrow::utf8(), R"(["hello, world", "say \"hi\"", null])"));
  ExpectColumn(*table, "ts",
               testing::ArrayOf(kTs, "[" + std::to_string(Micros("2026-01-02T03:04:05Z")) +
                                         ", 1767323045000000, null]"));
  ExpectColumn(
      *table, "d",
      testing::ArrayOf(arrow::date32(), "[" + std::to_string(Days("2026-01-02")) + ", " +
                                            std::to_string(Days("2026-02-28")) + ", null]"));
  EXPECT_TRUE(table->schema()->field(6)->type()->Equals(*kTs));
}

TEST(CsvConnector, TimestampForms) {
  const std::string path = WriteFile("ts.csv",
                                     "ts\n"
                                     "2026-01-02T04:04:05+01:00\n"
                                     "2026-01-02T03:04:05Z\n"
                                     "2026-01-02 03:04:05\n"
                                     "1767323045\n"
                                     "1767323045000\n"
                                     "1767323045000000\n");
  auto table = ReadFile(path, {Col("ts", ValueType::kTimestamp)});
  ASSERT_NE(table, nullptr);
  const std::string v = std::to_string(Micros("2026-01-02T03:04:05Z"));
  ExpectColumn(
      *table, "ts",
      testing::ArrayOf(kTs, "[" + v + "," + v + "," + v + "," + v + "," + v + "," + v + "]"));
}

TEST(CsvConnector, WrongTypeNamesFileRowColumnValueAndType) {
  const std::string path = WriteFile("orders.csv", "id,amount\n1,2.5\n2,abc\n");
  Status status =
      ReadError(path, {Col("id", ValueType::kInt64), Col("amount", ValueType::kFloat64)});
  ASSERT_TRUE(status.IsInvalid());
  EXPECT_EQ(status.message(),
            path + ": row 2, column 'amount': value 'abc' is not a valid float64");
}

TEST(CsvConnector, UnparseableTimestamp) {
  const std::string path = WriteFile("events.csv", "ts\n2026-01-02\nyesterday\n");
  Status status = ReadError(path, {Col("ts", ValueType::kTimestamp)});
  EXPECT_TRUE(
      testing::Contains(status.message(), path + ": row 2, column 'ts': value 'yesterday' is not "
                                                 "a valid timestamp (expected ISO-8601"));
}

TEST(CsvConnector, Int32OutOfRange) {
  const std::string path = WriteFile("n.csv", "n\n1\n3000000000\n");
  Status status = ReadError(path, {Col("n", ValueType::kInt32)});
  EXPECT_EQ(status.message(),
            path + ": row 2, column 'n': value '3000000000' is not a valid int32 (out of range)");
}

TEST(CsvConnector, MissingColumnListsTheHeader) {
  const std::string path = WriteFile("orders.csv", "a,b,c\n1,2,3\n");
  Status status =
      ReadError(path, {Col("a", ValueType::kInt64), Col("amount", ValueType::kFloat64)});
  EXPECT_EQ(status.message(), path + ": missing column 'amount'; the file has: a, b, c");
}

TEST(CsvConnector, NullInNonNullableColumn) {
  const std::string path = WriteFile("orders.csv", "id,name\n1,x\n2,\n");
  Status status =
      ReadError(path, {Col("id", ValueType::kInt64), Col("name", ValueType::kString, false)});
  EXPECT_EQ(status.message(), path + ": row 2, column 'name': null in a non-nullable column");
}

TEST(CsvConnector, WrongFieldCount) {
  const std::string path = WriteFile("orders.csv", "a,b,c,d\n1,2,3,4\n5,6,7,8\n9,10,11\n");
  Status status = ReadError(path, {Col("a", ValueType::kInt64)});
  EXPECT_EQ(status.message(), path + ": row 3: expected 4 fields, found 3: 9,10,11");
}

TEST(CsvConnector, UnbalancedQuoteNeverClosed) {
  const std::string path = WriteFile("orders.csv", "a,b,c\n1,x,3\n4,\"oops,6\n7,8,9\n");
  Status status = ReadError(path, {Col("a", ValueType::kInt64)});
  EXPECT_EQ(status.message(),
            path + ": row 2: unbalanced quote: the quoted field opened here is never closed");
}

TEST(CsvConnector, UnbalancedQuoteSwallowingRows) {
  // Arrow alone reads this as two rows, the second holding "oops,6\n7," in column b.
  const std::string path = WriteFile("orders.csv", "a,b,c\n1,x,3\n4,\"oops,6\n7,\"y\",9\n");
  Status status = ReadError(path, {Col("a", ValueType::kInt64)});
  EXPECT_EQ(status.message(), path +
                                  ": row 2: unbalanced quote: the quoted field opened here (line "
                                  "3) runs on to line 4");
}

TEST(CsvConnector, UnbalancedQuoteInALargeFile) {
  std::string csv = "a,b,c\n";
  for (int i = 0; i < 400000; ++i) {
    csv += std::to_string(i) + (i == 4 ? ",\"oops," : ",x,") + std::to_string(i) + "\n";
  }
  const std::string path = WriteFile("big.csv", csv);
  ReadOptions options;
  options.batch_rows = 2000;
  EXPECT_TRUE(testing::Contains(ReadError(path, {Col("a", ValueType::kInt64)}, options).message(),
                                path + ": row 5: unbalanced quote: the quoted field opened here"));
}

TEST(CsvConnector, UnbalancedQuoteInTheHeader) {
  const std::string path = WriteFile("orders.csv", "a,\"b\n1,2\n");
  EXPECT_EQ(ReadError(path, {Col("a", ValueType::kInt64)}).message(),
            path + ": header: unbalanced quote: the quoted field opened here is never closed");
}

TEST(CsvConnector, TextAfterClosingQuote) {
  const std::string path = WriteFile("orders.csv", "a,b\n1,\"ab\"c\n");
  Status status = ReadError(path, {Col("a", ValueType::kInt64)});
  EXPECT_TRUE(testing::Contains(status.message(),
                                path + ": row 1: unbalanced quote: 'c' follows the closing quote"));
}

TEST(CsvConnector, QuotedLineBreaksAndLiteralQuotes) {
  const std::string path =
      WriteFile("notes.csv", "id,note\r\n1,\"two\r\nlines\"\r\n2,27\" screen\r\n\r\n3,\"\"\r\n");
  auto table = ReadFile(path, {Col("id", ValueType::kInt64), Col("note", ValueType::kString)});
  ASSERT_NE(table, nullptr);
  ExpectColumn(*table, "id", testing::ArrayOf(arrow::int64(), "[1, 2, 3]"));
  ExpectColumn(*table, "note",
               testing::ArrayOf(arrow::utf8(), R"(["two\r\nlines", "27\" screen", null])"));
}

TEST(CsvConnector, ExtraColumnsKeptAfterDeclaredOnes) {
  const std::string path = WriteFile("x.csv", "extra_i,id,extra_s,extra_f\n1,a,x,1.5\n2,b,y,2\n");
  const core::Schema schema = {Col("id", ValueType::kString)};
  auto dropped = ReadFile(path, schema);
  ASSERT_NE(dropped, nullptr);
  EXPECT_EQ(dropped->schema()->ToString(), "id: string");

  ReadOptions keep;
  keep.keep_extra_columns = true;
  auto kept = ReadFile(path, schema, keep);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->schema()->ToString(),
            "id: string\nextra_i: int64\nextra_s: string\nextra_f: double");
  ExpectColumn(*kept, "extra_i", testing::ArrayOf(arrow::int64(), "[1, 2]"));
}

TEST(CsvConnector, ExtraColumnConversionErrorNamesTheColumn) {
  std::string csv = "id,n\n";
  for (int i = 0; i < 100000; ++i) csv += std::to_string(i) + "," + std::to_string(i) + "\n";
  csv += "100000,oops\n";
  const std::string path = WriteFile("x.csv", csv);
  ReadOptions options;
  options.keep_extra_columns = true;
  options.batch_rows = 1000;
  Status status = ReadError(path, {Col("id", ValueType::kInt64)}, options);
  EXPECT_EQ(status.message(), path + ": row 100001, column 'n': value 'oops' is not a valid int64");
}

TEST(CsvConnector, ColumnsInSchemaOrder) {
  const std::string path = WriteFile("x.csv", "b,city,a\n1,Paris,2\n");
  auto table = ReadFile(path, {Col("a", ValueType::kInt32), Col("city", ValueType::kString)});
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->schema()->ToString(), "a: int32\ncity: string");
}

// Paths reach into nested input; a CSV header names flat columns.
TEST(CsvConnector, APathIsRefused) {
  const std::string path = WriteFile("x.csv", "address.city\nParis\n");
  EXPECT_EQ(ReadError(path, {Col("city", ValueType::kString, true, "address.city")}).message(),
            path + ": column 'city' declares path 'address.city'; CSV columns are read by their "
                   "header name (paths reach into JSON and Parquet structs)");
}

TEST(CsvConnector, HeaderOnlyGivesNoBatches) {
  const std::string path = WriteFile("x.csv", "id,amount\n");
  const core::Schema schema = {Col("id", ValueType::kInt64), Col("amount", ValueType::kFloat64)};
  auto connector = OpenFile(path, "", schema, {});
  ASSERT_TRUE(connector.ok()) << connector.status().ToString();
  auto batch = (*connector)->Next();
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->batch, nullptr);
  auto table = ReadFile(path, schema);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->num_rows(), 0);
  EXPECT_EQ(table->schema()->ToString(), "id: int64\namount: double");
}

TEST(CsvConnector, EmptyFileNeedsAHeader) {
  const std::string path = WriteFile("x.csv", "");
  EXPECT_EQ(ReadError(path, {Col("id", ValueType::kInt64)}).message(),
            path + ": empty file; a CSV file needs a header row");
}

TEST(CsvConnector, MissingFileIsIOErrorNamingThePath) {
  Status status = ReadError("/nonexistent/orders.csv", {Col("id", ValueType::kInt64)});
  EXPECT_TRUE(status.IsIOError());
  EXPECT_TRUE(testing::Contains(status.message(), "/nonexistent/orders.csv"));
}

TEST(CsvConnector, LargeFileComesInNumberedBatches) {
  constexpr int kRows = 300000;
  std::string csv = "id,name,ts\n";
  csv.reserve(kRows * 40);
  for (int i = 0; i < kRows; ++i) {
    csv += std::to_string(i) + ",\"name " + std::to_string(i) + "\"," +
           std::to_string(1767323045 + i) + "\n";
  }
  const std::string path = WriteFile("big.csv", csv);
  const core::Schema schema = {Col("id", ValueType::kInt64), Col("name", ValueType::kString),
                               Col("ts", ValueType::kTimestamp)};
  auto connector = OpenFile(path, "", schema, {});
  ASSERT_TRUE(connector.ok()) << connector.status().ToString();
  int batches = 0;
  int64_t rows = 0;
  while (true) {
    auto batch = (*connector)->Next();
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    if (batch->batch == nullptr) {
      EXPECT_EQ(batch->first_row, kRows);
      break;
    }
    ++batches;
    EXPECT_EQ(batch->first_row, rows);
    EXPECT_LE(batch->batch->num_rows(), ReadOptions().batch_rows);
    const auto& ids = static_cast<const arrow::Int64Array&>(*batch->batch->column(0));
    for (int64_t i = 0; i < ids.length(); ++i) ASSERT_EQ(ids.Value(i), rows + i);
    rows += batch->batch->num_rows();
  }
  EXPECT_EQ(rows, kRows);
  EXPECT_GT(batches, 2);
}

TEST(CsvConnector, ErrorRowCountsAcrossBatches) {
  std::string csv = "id\n";
  for (int i = 0; i < 5000; ++i) csv += std::to_string(i) + "\n";
  csv += "x\n";
  const std::string path = WriteFile("x.csv", csv);
  ReadOptions options;
  options.batch_rows = 1000;
  EXPECT_EQ(ReadError(path, {Col("id", ValueType::kInt64)}, options).message(),
            path + ": row 5001, column 'id': value 'x' is not a valid int64");
}

TEST(CsvConnector, ErrorsAreSticky) {
  const std::string path = WriteFile("x.csv", "id\nx\n");
  auto connector = OpenFile(path, "", {Col("id", ValueType::kInt64)}, {});
  ASSERT_TRUE(connector.ok());
  EXPECT_FALSE((*connector)->Next().ok());
  EXPECT_FALSE((*connector)->Next().ok());
}

// A large file, read in parallel: the rows before the bad one are read as they are, and the
// message names the row as reading serially does.
std::string LargeCsv(int rows, int bad_row, const std::string& bad_line) {
  std::string csv = "id,amount,name,ts\n";
  csv.reserve(static_cast<size_t>(rows) * 48);
  for (int i = 0; i < rows; ++i) {
    if (i == bad_row) {
      csv += bad_line + "\n";
      continue;
    }
    csv += std::to_string(i) + "," + std::to_string(i) + ".25,\"n" + std::to_string(i % 97) +
           "\"," + std::to_string(1767323045 + i) + "\n";
  }
  return csv;
}

const core::Schema kLargeSchema = {Col("id", ValueType::kInt64), Col("amount", ValueType::kFloat64),
                                   Col("name", ValueType::kString, false),
                                   Col("ts", ValueType::kTimestamp)};

TEST(CsvConnector, BadValueDeepInALargeFileReadInParallel) {
  const std::string path =
      WriteFile("big.csv", LargeCsv(600000, 543210, "543210,12.5x,\"n\",1767323045"));
  EXPECT_EQ(ReadError(path, kLargeSchema).message(),
            path + ": row 543211, column 'amount': value '12.5x' is not a valid float64");
}

TEST(CsvConnector, WrongFieldCountDeepInALargeFileReadInParallel) {
  const std::string path = WriteFile("big.csv", LargeCsv(600000, 432109, "432109,1.5,\"n\""));
  EXPECT_EQ(ReadError(path, kLargeSchema).message(),
            path + ": row 432110: expected 4 fields, found 3: 432109,1.5,\"n\"");
}

TEST(CsvConnector, NullDeepInALargeFileReadInParallel) {
  const std::string path = WriteFile("big.csv", LargeCsv(600000, 321098, "321098,1.5,,1"));
  EXPECT_EQ(ReadError(path, kLargeSchema).message(),
            path + ": row 321099, column 'name': null in a non-nullable column");
}

// Blank text is null to the text coercion; the direct parsers leave it to the serial reader,
// which reads the rest of the file.
TEST(CsvConnector, BlankValueDeepInALargeFileIsNull) {
  constexpr int kRows = 400000;
  const std::string path =
      WriteFile("big.csv", LargeCsv(kRows, 300000, "300000,  ,\"n\",\t1767323045 "));
  auto table = ReadFile(path, kLargeSchema);
  ASSERT_NE(table, nullptr);
  ASSERT_EQ(table->num_rows(), kRows);
  auto amount = table->GetColumnByName("amount");
  EXPECT_EQ(amount->null_count(), 1);
  EXPECT_FALSE(amount->GetScalar(300000).ValueOrDie()->is_valid);
  auto ids = table->GetColumnByName("id");
  for (int64_t i : {int64_t{0}, int64_t{299999}, int64_t{300000}, int64_t{kRows - 1}}) {
    auto id = ids->GetScalar(i).ValueOrDie();
    EXPECT_EQ(id->ToString(), std::to_string(i));
  }
  auto ts = table->GetColumnByName("ts")->GetScalar(300000).ValueOrDie();
  EXPECT_EQ(static_cast<const arrow::TimestampScalar&>(*ts).value, 1767323045000000);
}

// Values for the random files: valid and invalid text of each type, blanks, quotes.
const std::vector<std::vector<std::string>> kRandomValues = {
    // int64
    {"1", "-42", "+7", " 8 ", "007", "9223372036854775807", "", "\"\"", "\"12\""},
    // float64
    {"1.5", "-0.25", "1e5", ".5", "nan", "-inf", " 2.5", "", "\"3.75\""},
    // timestamp
    {"2026-01-02T03:04:05Z", "2026-01-02 03:04:05", "2026-01-02T04:04:05+01:00", "1767323045",
     "1767323045000", "2026-01-02", "", "\"2026-01-02T03:04:05.5Z\""},
    // string
    {"a", "\"b, c\"", "\"say \"\"hi\"\"\"", "\"two\nlines\"", "", "\"\"", " x "},
    // bool
    {"true", "False", "1", "0", "yes", " NO ", ""},
};
const std::vector<std::vector<std::string>> kRandomBad = {
    {"0x10", "1.5", "abc", "99999999999999999999", "  ", "+-1"},
    {"1e400", "1e-400", "1,5", "abc", "\t"},
    {"2026-01-02T03", "2026-13-01", "yesterday", "2026-01-02T03:04:05.1234567890Z", " "},
    {},
    {"maybe", "2", " "},
};
const core::Schema kRandomSchema = {Col("i", ValueType::kInt64), Col("f", ValueType::kFloat64),
                                    Col("t", ValueType::kTimestamp), Col("s", ValueType::kString),
                                    Col("b", ValueType::kBool)};

std::string RandomCsv(std::mt19937_64& rng, int rows, int bad_values) {
  std::string csv = "s,i,t,f,b\n";
  std::uniform_int_distribution<int> row_of(0, rows - 1);
  std::vector<std::pair<int, size_t>> bad;  // (row, column)
  for (int k = 0; k < bad_values; ++k) {
    size_t column = std::uniform_int_distribution<size_t>(0, 4)(rng);
    if (!kRandomBad[column].empty()) bad.emplace_back(row_of(rng), column);
  }
  static const size_t kOrder[] = {3, 0, 2, 1, 4};  // file column -> value list
  for (int r = 0; r < rows; ++r) {
    for (size_t c = 0; c < 5; ++c) {
      const size_t column = kOrder[c];
      const std::vector<std::string>* values = &kRandomValues[column];
      for (const auto& [row, col] : bad) {
        if (row == r && col == column) values = &kRandomBad[column];
      }
      if (c > 0) csv += ",";
      csv += (*values)[std::uniform_int_distribution<size_t>(0, values->size() - 1)(rng)];
    }
    csv += "\n";
  }
  return csv;
}

Result<std::shared_ptr<arrow::Table>> ReadWith(const std::string& path, internal::CsvRead mode,
                                               const ReadOptions& options) {
  FST_ASSIGN_OR_RAISE(auto connector, internal::OpenCsv(path, kRandomSchema, options, mode));
  return ReadAll(*connector, kRandomSchema);
}

// Random text (nulls, empty strings, quoted fields, blanks, invalid values) read in parallel
// gives the columns, or the error, that reading serially gives.
TEST(CsvConnector, ParallelReadingMatchesSerialOnRandomFiles) {
  std::mt19937_64 rng(1208);
  int failed = 0;
  for (int round = 0; round < 60; ++round) {
    const int rows = std::uniform_int_distribution<int>(1, 6000)(rng);
    const int bad_values = std::uniform_int_distribution<int>(0, 3)(rng) == 0
                               ? 0
                               : std::uniform_int_distribution<int>(1, 3)(rng);
    const std::string path = WriteFile("r" + std::to_string(round) + ".csv",
                                       RandomCsv(rng, rows, bad_values));
    ReadOptions options;
    options.batch_rows = std::uniform_int_distribution<int>(100, 5000)(rng);
    auto parallel = ReadWith(path, internal::CsvRead::kParallel, options);
    auto serial = ReadWith(path, internal::CsvRead::kSerial, options);
    ASSERT_EQ(parallel.ok(), serial.ok())
        << path << "\nparallel: " << parallel.status().ToString()
        << "\nserial: " << serial.status().ToString();
    if (!serial.ok()) {
      ++failed;
      EXPECT_EQ(parallel.status().ToString(), serial.status().ToString()) << path;
      continue;
    }
    ASSERT_EQ((*parallel)->num_rows(), rows);
    EXPECT_TRUE((*parallel)->schema()->Equals(*(*serial)->schema())) << path;
    for (int c = 0; c < (*serial)->num_columns(); ++c) {
      EXPECT_TRUE((*parallel)->column(c)->Equals(
          *(*serial)->column(c), arrow::EqualOptions::Defaults().nans_equal(true)))
          << path << " column " << (*serial)->field(c)->name();
    }
  }
  // Both outcomes occur.
  EXPECT_GT(failed, 5);
  EXPECT_LT(failed, 55);
}

}  // namespace
}  // namespace fst::connectors
