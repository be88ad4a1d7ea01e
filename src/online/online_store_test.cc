#include "featherstone/online/online_store.h"

#include <cstdlib>
#include <filesystem>
#include <limits>

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
  std::string rows;
  EncodeRow(RowStamp{42}, columns, types, 0, &rows);
  EncodeRow(RowStamp{43, 7, 9}, columns, types, 1, &rows);
  {
    std::string_view split = rows;
    RowStamp stamp;
    std::string_view bytes;
    ASSERT_TRUE(SplitRow(&split, types, &stamp, &bytes).ok());
    EXPECT_EQ(stamp.ts, 42);
    EXPECT_EQ(stamp.created, std::numeric_limits<int64_t>::min());
    ASSERT_TRUE(SplitRow(&split, types, &stamp, &bytes).ok());
    EXPECT_TRUE(split.empty());
    EXPECT_EQ(bytes, std::string_view(rows).substr(rows.size() - bytes.size()));
    EXPECT_EQ(stamp.created, 7);
    EXPECT_EQ(stamp.seq, 9);
  }
  auto decoder = RowDecoder::Make(types);
  ASSERT_TRUE(decoder.ok());
  std::string_view in = rows;
  ASSERT_TRUE(decoder->Append(&in).ok());
  ASSERT_TRUE(decoder->Append(&in).ok());
  EXPECT_TRUE(in.empty());
  std::vector<int64_t> event_ts;
  auto decoded = decoder->Finish(&event_ts);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(event_ts, (std::vector<int64_t>{42, 43}));
  for (size_t c = 0; c < columns.size(); ++c) {
    EXPECT_TRUE((*decoded)[c]->Equals(*columns[c])) << "column " << c << ": "
                                                    << (*decoded)[c]->ToString();
  }
  std::string_view truncated(rows.data(), 20);
  auto again = RowDecoder::Make(types);
  EXPECT_FALSE(again->Append(&truncated).ok());
}

TEST(RowCodec, DecodeRowRoundTripsValuesListsAndNulls) {
  using core::ValueType;
  const std::vector<ValueType> types = {ValueType::kBool,    ValueType::kInt32,
                                        ValueType::kFloat32, ValueType::kString,
                                        ValueType::kDate,    ValueType::kListFloat32,
                                        ValueType::kListString};
  arrow::BooleanBuilder b;
  arrow::Int32Builder i32;
  arrow::FloatBuilder f32;
  arrow::StringBuilder s;
  arrow::Date32Builder d;
  arrow::ListBuilder floats(arrow::default_memory_pool(), std::make_shared<arrow::FloatBuilder>());
  arrow::ListBuilder strings(arrow::default_memory_pool(), std::make_shared<arrow::StringBuilder>());
  ASSERT_TRUE(b.Append(false).ok() && b.AppendNull().ok());
  ASSERT_TRUE(i32.Append(-7).ok() && i32.AppendNull().ok());
  ASSERT_TRUE(f32.Append(0.1f).ok() && f32.AppendNull().ok());
  ASSERT_TRUE(s.Append("").ok() && s.AppendNull().ok());
  ASSERT_TRUE(d.Append(-3).ok() && d.AppendNull().ok());
  ASSERT_TRUE(floats.Append().ok());
  ASSERT_TRUE(static_cast<arrow::FloatBuilder*>(floats.value_builder())->AppendValues({1.5f, -2}).ok());
  ASSERT_TRUE(floats.AppendNull().ok());
  ASSERT_TRUE(strings.Append().ok());
  ASSERT_TRUE(static_cast<arrow::StringBuilder*>(strings.value_builder())->AppendValues({"a", ""}).ok());
  ASSERT_TRUE(strings.AppendNull().ok());
  std::vector<std::shared_ptr<arrow::Array>> columns = {*b.Finish(), *i32.Finish(), *f32.Finish(),
                                                        *s.Finish(), *d.Finish(), *floats.Finish(),
                                                        *strings.Finish()};
  std::string rows;
  EncodeRow(RowStamp{42}, columns, types, 0, &rows);
  EncodeRow(RowStamp{43}, columns, types, 1, &rows);
  std::string_view in = rows;
  int64_t ts = 0;
  std::vector<Value> values;
  ASSERT_TRUE(DecodeRow(&in, types, &ts, &values).ok());
  EXPECT_EQ(ts, 42);
  EXPECT_EQ(values, (std::vector<Value>{false, int64_t{-7}, double{0.1f}, std::string(), int64_t{-3},
                                        std::vector<float>{1.5f, -2}, std::vector<std::string>{"a", ""}}));
  ASSERT_TRUE(DecodeRow(&in, types, &ts, &values).ok());
  EXPECT_EQ(ts, 43);
  EXPECT_EQ(values, std::vector<Value>(types.size()));
  EXPECT_TRUE(in.empty());
  for (size_t cut = 0; cut + 1 < rows.size() / 2; ++cut) {
    std::string_view truncated(rows.data(), cut);
    EXPECT_FALSE(DecodeRow(&truncated, types, &ts, &values).ok()) << cut;
  }
}

// Rows written before the stamp (format 1: the event time only) still read, as the oldest
// row of their event time.
TEST(RowCodec, ReadsFormatOneRows) {
  const std::vector<core::ValueType> types = {core::ValueType::kInt64};
  std::string row(1, '\1');
  const int64_t ts = 42, value = -5;
  row.append(reinterpret_cast<const char*>(&ts), 8);
  row.push_back(1);
  row.append(reinterpret_cast<const char*>(&value), 8);
  std::string_view in = row;
  int64_t event_ts = 0;
  std::vector<Value> values;
  ASSERT_TRUE(DecodeRow(&in, types, &event_ts, &values).ok());
  EXPECT_EQ(event_ts, 42);
  EXPECT_EQ(values, std::vector<Value>{int64_t{-5}});
  in = row;
  RowStamp stamp{1, 2, 3};
  std::string_view bytes;
  ASSERT_TRUE(SplitRow(&in, types, &stamp, &bytes).ok());
  EXPECT_EQ(bytes, row);
  EXPECT_EQ(stamp.ts, 42);
  EXPECT_EQ(stamp.seq, 0);
  EXPECT_TRUE((RowStamp{42, std::numeric_limits<int64_t>::min(), 0} < RowStamp{42, 0, 0}));
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

TEST(RocksDbStore, RowsAndRecordWrittenTogether) {
  const std::string dir = TestDir("record");
  {
    auto store = OnlineStore::Open("rocksdb:" + dir, "");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto none = (*store)->ReadRecord("stream/orders");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    ASSERT_TRUE((*store)
                    ->WriteWithRecord({{"v", {"a"}, {"1"}}, {"w", {"a", "b"}, {"2", "3"}}},
                                      "stream/orders", "{\"0\": 10}")
                    .ok());
  }
  auto store = OnlineStore::Open("rocksdb:" + dir, "");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->ReadRecord("stream/orders"), std::optional<std::string>("{\"0\": 10}"));
  EXPECT_EQ((*(*store)->Read("w", {"b"}))[0], "3");
  // Records are out of every view's reach: dropping views leaves them.
  ASSERT_TRUE((*store)->DropView("v").ok());
  ASSERT_TRUE((*store)->DropView("stream/orders").ok());
  EXPECT_TRUE((*(*store)->ReadRecord("stream/orders")).has_value());
  EXPECT_FALSE((*(*store)->Read("stream/orders", {""}))[0].has_value());
}

}  // namespace
}  // namespace fst::online
