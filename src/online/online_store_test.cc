#include "featherstone/online/online_store.h"

#include <cstdlib>
#include <filesystem>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "featherstone/online/key_codec.h"
#include "featherstone/online/row_codec.h"

namespace fst::online {
namespace {

std::string TestDir(const std::string& name) {
  const char* base = std::getenv("FST_TEST_TMP");
  auto dir = std::filesystem::path(base ? base : "/tmp") / ("online_" + name);
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(RowCodec, RoundTripsEveryTypeAndNulls) {
  using core::ValueType;
  const std::vector<ValueType> types = {ValueType::kBool,   ValueType::kInt32,
                                        ValueType::kInt64,  ValueType::kFloat32,
                                        ValueType::kFloat64, ValueType::kString,
                                        ValueType::kTimestamp, ValueType::kDate};
  arrow::BooleanBuilder b;
  arrow::Int32Builder i32;
  arrow::Int64Builder i64;
  arrow::FloatBuilder f32;
  arrow::DoubleBuilder f64;
  arrow::StringBuilder s;
  arrow::TimestampBuilder ts(core::ToArrowType(ValueType::kTimestamp), arrow::default_memory_pool());
  arrow::Date32Builder d;
  ASSERT_TRUE(b.Append(true).ok() && b.AppendNull().ok());
  ASSERT_TRUE(i32.Append(-7).ok() && i32.AppendNull().ok());
  ASSERT_TRUE(i64.Append(1LL << 40).ok() && i64.AppendNull().ok());
  ASSERT_TRUE(f32.Append(1.5f).ok() && f32.AppendNull().ok());
  ASSERT_TRUE(f64.Append(-2.25).ok() && f64.AppendNull().ok());
  ASSERT_TRUE(s.Append("héllo").ok() && s.AppendNull().ok());
  ASSERT_TRUE(ts.Append(1767323045000000LL).ok() && ts.AppendNull().ok());
  ASSERT_TRUE(d.Append(20455).ok() && d.AppendNull().ok());
  std::vector<std::shared_ptr<arrow::Array>> columns = {*b.Finish(), *i32.Finish(), *i64.Finish(),
                                                        *f32.Finish(), *f64.Finish(), *s.Finish(),
                                                        *ts.Finish(), *d.Finish()};
  std::string full, empty;
  EncodeRow(42, columns, types, 0, &full);
  EncodeRow(43, columns, types, 1, &empty);
  auto row = DecodeRow(full, types);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->event_ts, 42);
  EXPECT_EQ(row->values[0], true);
  EXPECT_EQ(row->values[1], -7);
  EXPECT_EQ(row->values[2], 1LL << 40);
  EXPECT_EQ(row->values[3], 1.5);
  EXPECT_EQ(row->values[4], -2.25);
  EXPECT_EQ(row->values[5], "héllo");
  EXPECT_EQ(row->values[6], "2026-01-02T03:04:05Z");
  EXPECT_EQ(row->values[7], "2026-01-02");
  auto nulls = DecodeRow(empty, types);
  ASSERT_TRUE(nulls.ok());
  for (const auto& v : nulls->values) EXPECT_TRUE(v.is_null());
  EXPECT_FALSE(DecodeRow(full.substr(0, full.size() - 3), types).ok());
}

TEST(KeyCodec, TextAndArrayEncodingsAgree) {
  arrow::Int64Builder ids;
  arrow::StringBuilder names;
  ASSERT_TRUE(ids.Append(-42).ok());
  ASSERT_TRUE(names.Append("eu").ok());
  std::string from_arrays;
  EncodeKey({*ids.Finish(), *names.Finish()}, 0, &from_arrays);
  auto from_text = EncodeKeyText({"id", "region"}, {core::ValueType::kInt64, core::ValueType::kString},
                                 {"-42", "eu"});
  ASSERT_TRUE(from_text.ok());
  EXPECT_EQ(*from_text, from_arrays);
  auto bad = EncodeKeyText({"id"}, {core::ValueType::kInt64}, {"4x2"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'4x2'"), std::string::npos);
}

TEST(RocksDbStore, WriteReadDropAndReopen) {
  const std::string dir = TestDir("rocks");
  {
    auto store = OnlineStore::Open("rocksdb:" + dir, "");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Write("v", {"a", "b"}, {"1", "2"}).ok());
    ASSERT_TRUE((*store)->Write("w", {"a"}, {"3"}).ok());
  }
  auto store = OnlineStore::Open("rocksdb:" + dir, "");
  ASSERT_TRUE(store.ok());
  auto got = (*store)->Read("v", {"a", "c", "b"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0], "1");
  EXPECT_FALSE((*got)[1].has_value());
  EXPECT_EQ((*got)[2], "2");
  ASSERT_TRUE((*store)->DropView("v").ok());
  EXPECT_FALSE((*(*store)->Read("v", {"a"}))[0].has_value());
  EXPECT_EQ((*(*store)->Read("w", {"a"}))[0], "3");
  EXPECT_FALSE(OnlineStore::Open("memcached", dir).ok());
}

}  // namespace
}  // namespace fst::online
