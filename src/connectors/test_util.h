// Helpers for the connector tests: scratch files and expected arrays.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <arrow/array.h>
#include <arrow/array/concatenate.h>
#include <arrow/json/from_string.h>
#include <arrow/table.h>
#include <gtest/gtest.h>

#include "featherstone/connectors/connector.h"
#include "featherstone/core/time.h"
#include "featherstone/core/types.h"

namespace fst::connectors::testing {

// A fresh directory for the running test, under $FST_TEST_TMP or /tmp.
inline std::string TestDir() {
  const char* root = std::getenv("FST_TEST_TMP");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::path(root != nullptr ? root : "/tmp") /
                              ("connectors-" + std::to_string(::getpid())) /
                              (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Writes `content` to `name` in TestDir() and returns the path.
inline std::string WriteFile(const std::string& name, const std::string& content) {
  const std::string path = TestDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

inline std::shared_ptr<arrow::Array> ArrayOf(const std::shared_ptr<arrow::DataType>& type,
                                             const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

inline int64_t Micros(const std::string& iso) { return core::ParseTimestamp(iso).ValueOrDie(); }

inline core::ColumnSpec Col(std::string name, core::ValueType type, bool nullable = true,
                            std::string path = "") {
  return core::ColumnSpec{std::move(name), type, nullable, std::move(path)};
}

// One column of every scalar type.
inline core::Schema AllScalarTypes() {
  using core::ValueType;
  return {Col("b", ValueType::kBool),       Col("i32", ValueType::kInt32),
          Col("i64", ValueType::kInt64),    Col("f32", ValueType::kFloat32),
          Col("f64", ValueType::kFloat64),  Col("s", ValueType::kString),
          Col("ts", ValueType::kTimestamp), Col("d", ValueType::kDate)};
}

// Reads the whole file, failing the test on error.
inline std::shared_ptr<arrow::Table> ReadFile(const std::string& path, const core::Schema& schema,
                                              const ReadOptions& options = {}) {
  auto connector = OpenFile(path, "", schema, options);
  EXPECT_TRUE(connector.ok()) << connector.status().ToString();
  if (!connector.ok()) return nullptr;
  auto table = ReadAll(**connector, schema);
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  return table.ok() ? *table : nullptr;
}

// The error reading the file gives (opening or reading), or OK.
inline Status ReadError(const std::string& path, const core::Schema& schema,
                        const ReadOptions& options = {}) {
  auto connector = OpenFile(path, "", schema, options);
  if (!connector.ok()) return connector.status();
  return ReadAll(**connector, schema).status();
}

inline std::shared_ptr<arrow::Array> Column(const arrow::Table& table, const std::string& name) {
  auto column = table.GetColumnByName(name);
  EXPECT_NE(column, nullptr) << name;
  if (column == nullptr) return nullptr;
  return column->num_chunks() == 1 ? column->chunk(0)
                                   : arrow::Concatenate(column->chunks()).ValueOrDie();
}

// Whether `text` contains `part`, showing both when not.
inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

// Expects column `name` of `table` to equal `expected`.
inline void ExpectColumn(const arrow::Table& table, const std::string& name,
                         const std::shared_ptr<arrow::Array>& expected) {
  auto actual = Column(table, name);
  ASSERT_NE(actual, nullptr);
  EXPECT_TRUE(actual->Equals(*expected))
      << name << ": got " << actual->ToString() << "\nexpected " << expected->ToString();
}

inline int32_t Days(const std::string& iso) {
  return static_cast<int32_t>(Micros(iso) / core::kMicrosPerDay);
}

}  // namespace fst::connectors::testing
