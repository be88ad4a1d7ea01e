#include "featherstone/online/online_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arrow/api.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "featherstone/online/key_codec.h"
#include "featherstone/online/row_codec.h"
#include "crc16.h"
#include "redis_cluster.h"
#include "redis_test_cluster.h"

namespace fst::online {
namespace {

std::string TestDir(const std::string& name) {
  const char* base = std::getenv("FST_TEST_TMP");
  std::string file = name;
  std::replace(file.begin(), file.end(), '/', '_');
  auto dir = std::filesystem::path(base ? base : "/tmp") / ("online_" + file);
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

// AppendRows (builders reserved first) decodes what Append row by row does, on random rows of
// every type with nulls, empty strings and lists; a count the bytes cannot hold is an error.
TEST(RowCodec, AppendRowsEqualsAppendRowByRow) {
  using core::ValueType;
  const std::vector<ValueType> types = {ValueType::kBool,     ValueType::kInt32,
                                        ValueType::kInt64,    ValueType::kFloat32,
                                        ValueType::kFloat64,  ValueType::kString,
                                        ValueType::kBytes,    ValueType::kTimestamp,
                                        ValueType::kDate,     ValueType::kListFloat32,
                                        ValueType::kListString};
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const int64_t n = static_cast<int64_t>(rng() % 40);
    std::vector<std::shared_ptr<arrow::Array>> columns;
    for (ValueType type : types) {
      std::unique_ptr<arrow::ArrayBuilder> builder;
      ASSERT_TRUE(arrow::MakeBuilder(arrow::default_memory_pool(), core::ToArrowType(type),
                                     &builder)
                      .ok());
      for (int64_t i = 0; i < n; ++i) {
        const uint64_t r = rng();
        if (r % 5 == 0) {
          ASSERT_TRUE(builder->AppendNull().ok());
          continue;
        }
        const std::string text(r % 7, static_cast<char>('a' + r % 26));
        const auto v = static_cast<int32_t>(r >> 40);
        arrow::Status appended;
        switch (type) {
          case ValueType::kBool:
            appended = static_cast<arrow::BooleanBuilder*>(builder.get())->Append(r % 3 == 0);
            break;
          case ValueType::kInt32:
            appended = static_cast<arrow::Int32Builder*>(builder.get())->Append(-v);
            break;
          case ValueType::kInt64:
            appended = static_cast<arrow::Int64Builder*>(builder.get())->Append(int64_t{v} << 20);
            break;
          case ValueType::kTimestamp:
            appended =
                static_cast<arrow::TimestampBuilder*>(builder.get())->Append(int64_t{v} << 20);
            break;
          case ValueType::kDate:
            appended = static_cast<arrow::Date32Builder*>(builder.get())->Append(v);
            break;
          case ValueType::kFloat32:
            appended = static_cast<arrow::FloatBuilder*>(builder.get())->Append(v * 0.25f);
            break;
          case ValueType::kFloat64:
            appended = static_cast<arrow::DoubleBuilder*>(builder.get())->Append(v * -0.125);
            break;
          case ValueType::kString:
          case ValueType::kBytes:
            appended = static_cast<arrow::BinaryBuilder*>(builder.get())->Append(text);
            break;
          case ValueType::kListFloat32: {
            auto* list = static_cast<arrow::ListBuilder*>(builder.get());
            appended = list->Append();
            for (uint64_t k = 0; k < r % 4; ++k) {
              ASSERT_TRUE(static_cast<arrow::FloatBuilder*>(list->value_builder())
                              ->Append(static_cast<float>(k) * 0.5f)
                              .ok());
            }
            break;
          }
          case ValueType::kListString: {
            auto* list = static_cast<arrow::ListBuilder*>(builder.get());
            appended = list->Append();
            for (uint64_t k = 0; k < r % 4; ++k) {
              ASSERT_TRUE(
                  static_cast<arrow::StringBuilder*>(list->value_builder())->Append(text).ok());
            }
            break;
          }
        }
        ASSERT_TRUE(appended.ok()) << appended.ToString();
      }
      std::shared_ptr<arrow::Array> column;
      ASSERT_TRUE(builder->Finish(&column).ok());
      columns.push_back(column);
    }
    std::vector<RowStamp> stamps;
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < n; ++i) {
      stamps.push_back(RowStamp{static_cast<int64_t>(rng() % 1000), 0, i});
      rows.push_back(i);
    }
    std::string encoded;
    EncodeRows(stamps, columns, types, rows, &encoded);
    std::string_view bulk_in = encoded;
    std::string_view one_in = encoded;
    const uint64_t count = *DecodeRowCount(&bulk_in);
    ASSERT_EQ(*DecodeRowCount(&one_in), count);
    auto bulk = RowDecoder::Make(types);
    auto one = RowDecoder::Make(types);
    ASSERT_TRUE(bulk->AppendRows(&bulk_in, count).ok());
    for (uint64_t k = 0; k < count; ++k) ASSERT_TRUE(one->Append(&one_in).ok());
    EXPECT_TRUE(bulk_in.empty());
    std::vector<int64_t> bulk_ts, one_ts;
    auto bulk_columns = bulk->Finish(&bulk_ts);
    auto one_columns = one->Finish(&one_ts);
    ASSERT_TRUE(bulk_columns.ok() && one_columns.ok());
    EXPECT_EQ(bulk_ts, one_ts);
    for (size_t c = 0; c < types.size(); ++c) {
      EXPECT_TRUE((*bulk_columns)[c]->Equals(*columns[c])) << "trial " << trial << ", " << c;
      EXPECT_TRUE((*one_columns)[c]->Equals(*columns[c])) << "trial " << trial << ", " << c;
    }
    std::string_view short_in = std::string_view(encoded).substr(encoded.size() / 2);
    EXPECT_FALSE(RowDecoder::Make(types)->AppendRows(&short_in, count + 1).ok()) << trial;
  }
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

// The Redis Cluster every Redis test uses: started once for the test binary, stopped at its
// end (and killed with it should it die).
RedisTestCluster* g_redis = nullptr;

class RedisClusterEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto cluster = RedisTestCluster::Start(TestDir("redis_cluster"));
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = std::move(*cluster);
    g_redis = cluster_.get();
  }
  void TearDown() override {
    g_redis = nullptr;
    cluster_.reset();
  }

 private:
  std::unique_ptr<RedisTestCluster> cluster_;
};

[[maybe_unused]] const auto* const kRedisEnvironment =
    ::testing::AddGlobalTestEnvironment(new RedisClusterEnvironment);

// One suite, every backend: each test starts from an empty store.
class OnlineStoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "redis") {
      ASSERT_NE(g_redis, nullptr) << "the Redis test cluster did not start";
      ASSERT_TRUE(g_redis->Clear().ok());
      spec_ = g_redis->Spec();
    } else {
      spec_ = "rocksdb:" + TestDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    }
  }

  std::unique_ptr<OnlineStore> Open() {
    auto store = OnlineStore::Open(spec_, "", "shop");
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string spec_;
};

INSTANTIATE_TEST_SUITE_P(Stores, OnlineStoreConformance, ::testing::Values("rocksdb", "redis"),
                         [](const auto& info) { return info.param; });

TEST_P(OnlineStoreConformance, WriteReadDropAndReopen) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Write("v", {"a", "b"}, {"1", "2"}).ok());
    ASSERT_TRUE(store->Write("w", {"a"}, {"3"}).ok());
  }
  auto store = Open();
  ASSERT_TRUE(store);
  auto got = store->Read("v", {"a", "c", "b"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0], "1");
  EXPECT_FALSE((*got)[1].has_value());
  EXPECT_EQ((*got)[2], "2");
  ASSERT_TRUE(store->DropView("v").ok());
  EXPECT_FALSE((*store->Read("v", {"a"}))[0].has_value());
  EXPECT_EQ((*store->Read("w", {"a"}))[0], "3");
  EXPECT_TRUE(store->Flush().ok());
  EXPECT_FALSE(OnlineStore::Open("memcached", "/tmp", "shop").ok());
}

TEST_P(OnlineStoreConformance, RowsAndRecordWrittenTogether) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    auto none = store->ReadRecord("stream/orders");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    ASSERT_TRUE(store
                    ->WriteWithRecord({{"v", {"a"}, {"1"}}, {"w", {"a", "b"}, {"2", "3"}}},
                                      "stream/orders", "{\"0\": 10}")
                    .ok());
    ASSERT_TRUE(store->WriteWithRecord({}, "stream/other", "{}").ok());
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->ReadRecord("stream/orders"), std::optional<std::string>("{\"0\": 10}"));
  EXPECT_EQ(*store->ReadRecord("stream/other"), std::optional<std::string>("{}"));
  EXPECT_EQ((*store->Read("w", {"b"}))[0], "3");
  EXPECT_EQ((*store->Read("v", {"a"}))[0], "1");
  // Records are out of every view's reach: dropping views leaves them.
  ASSERT_TRUE(store->DropView("v").ok());
  ASSERT_TRUE(store->DropView("stream/orders").ok());
  EXPECT_TRUE((*store->ReadRecord("stream/orders")).has_value());
  EXPECT_FALSE((*store->Read("stream/orders", {""}))[0].has_value());
}

// Encoded keys and rows hold any byte; view names with glob characters drop only their rows.
TEST_P(OnlineStoreConformance, BinaryKeysValuesAndViewNames) {
  auto store = Open();
  ASSERT_TRUE(store);
  const std::vector<std::string> keys = {std::string("\0\1{}", 4), "{", "}", "}{", "\xff\x01",
                                         std::string(1, '\0'), "a{b}c"};
  std::vector<std::string> values;
  for (size_t i = 0; i < keys.size(); ++i) values.push_back(std::string("\0v", 2) + keys[i]);
  for (const std::string view : {"v*", "vx", "v", "v\\", "v[a]"}) {
    ASSERT_TRUE(store->Write(view, keys, values).ok()) << view;
  }
  ASSERT_TRUE(store->DropView("v*").ok());
  ASSERT_TRUE(store->DropView("v[a]").ok());
  for (const std::string view : {"vx", "v", "v\\"}) {
    auto got = store->Read(view, keys);
    ASSERT_TRUE(got.ok());
    for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ((*got)[i], values[i]) << view << " " << i;
  }
  for (const std::string view : {"v*", "v[a]"}) {
    auto got = store->Read(view, keys);
    ASSERT_TRUE(got.ok());
    for (const auto& value : *got) EXPECT_FALSE(value.has_value()) << view;
  }
}

TEST_P(OnlineStoreConformance, ManyRowsLaterWritesWinAndEmptyCalls) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::vector<std::string> keys, values;
  for (int i = 0; i < 10000; ++i) {
    keys.push_back("k" + std::to_string(i));
    values.push_back("v" + std::to_string(i));
  }
  ASSERT_TRUE(store->Write("big", keys, values).ok());
  ASSERT_TRUE(store->Write("big", {"k7"}, {"seven"}).ok());
  std::vector<std::string> wanted = {"k7", "missing"};
  for (int i = 0; i < 10000; i += 97) wanted.push_back(keys[i]);
  auto got = store->Read("big", wanted);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0], "seven");
  EXPECT_FALSE((*got)[1].has_value());
  for (size_t i = 2; i < wanted.size(); ++i) EXPECT_EQ((*got)[i], "v" + wanted[i].substr(1));
  EXPECT_TRUE(store->Read("big", {})->empty());
  EXPECT_TRUE(store->Write("big", {}, {}).ok());
  ASSERT_TRUE(store->DropView("big").ok());
  EXPECT_FALSE((*store->Read("big", {"k1"}))[0].has_value());
}

// ReadEach visits what Read returns, in key order, and stops at the visitor's first error.
TEST_P(OnlineStoreConformance, ReadEachVisitsWhatReadReturns) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::vector<std::string> keys, values;
  for (int i = 0; i < 300; ++i) {
    keys.push_back("k" + std::to_string(i));
    values.push_back(std::string(static_cast<size_t>(i % 50), 'x') + std::to_string(i));
  }
  ASSERT_TRUE(store->Write("v", keys, values).ok());
  std::vector<std::string> wanted = {"missing"};
  for (int i = 299; i >= 0; i -= 7) wanted.push_back(keys[static_cast<size_t>(i)]);
  wanted.push_back("k3");
  wanted.push_back("k3");
  auto read = store->Read("v", wanted);
  ASSERT_TRUE(read.ok());
  std::vector<std::optional<std::string>> visited;
  ASSERT_TRUE(store
                  ->ReadEach("v", wanted,
                             [&](size_t i, std::optional<std::string_view> row) {
                               EXPECT_EQ(i, visited.size());
                               visited.emplace_back(row ? std::optional<std::string>(*row)
                                                        : std::nullopt);
                               return Status::OK();
                             })
                  .ok());
  EXPECT_EQ(visited, *read);
  EXPECT_FALSE(visited[0].has_value());
  EXPECT_EQ(visited[1], values[299]);
  size_t calls = 0;
  const Status stopped = store->ReadEach("v", wanted, [&](size_t i, auto) {
    ++calls;
    return i == 2 ? Status::Invalid("stop") : Status::OK();
  });
  EXPECT_TRUE(stopped.IsInvalid());
  EXPECT_EQ(calls, 3u);
  EXPECT_TRUE(
      store->ReadEach("v", {}, [](size_t, auto) { return Status::Invalid("none"); }).ok());
}

// Stores written before files were uncompressed (Snappy blocks) open and read, beside rows
// written now.
TEST(RocksDbStore, ReadsFilesWrittenCompressed) {
  const std::string dir = TestDir("rocksdb_compressed");
  std::filesystem::remove_all(dir);
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.compression = rocksdb::kSnappyCompression;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), std::string("v\0k", 3) + std::to_string(i),
                          std::string(100, 'a') + std::to_string(i))
                      .ok());
    }
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  }
  auto store = OnlineStore::Open("rocksdb:" + dir, "", "shop");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Write("v", {"k1", "new"}, {"one", "fresh"}).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  auto got = (*store)->Read("v", {"k0", "k1", "k999", "new", "k1000"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)[0], std::string(100, 'a') + "0");
  EXPECT_EQ((*got)[1], "one");
  EXPECT_EQ((*got)[2], std::string(100, 'a') + "999");
  EXPECT_EQ((*got)[3], "fresh");
  EXPECT_FALSE((*got)[4].has_value());
}

// One entity's rows of every view share a slot, so a request's reads of one entity go to one
// node.
TEST(RedisClusterStore, AnEntitysRowsShareASlot) {
  ASSERT_NE(g_redis, nullptr);
  ASSERT_TRUE(g_redis->Clear().ok());
  auto store = OnlineStore::Open(g_redis->Spec(), "", "shop");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (const std::string view : {"a", "b", "c"}) {
    ASSERT_TRUE((*store)->Write(view, {"user1000"}, {"x"}).ok());
  }
  auto cluster = RedisCluster::Connect({g_redis->Spec().substr(8, g_redis->Spec().find(',') - 8)});
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  const int slot = KeySlot("user1000");
  auto count = (*cluster)->Run(
      {RedisCommand{slot, {{"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}}}}, false);
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ((*count)[0].integer, 3);
}

// Two projects sharing a cluster never see each other's rows or records, even for equally
// named views and keys.
TEST(RedisClusterStore, ProjectsSharingAClusterStayApart) {
  ASSERT_NE(g_redis, nullptr);
  ASSERT_TRUE(g_redis->Clear().ok());
  auto shop = OnlineStore::Open(g_redis->Spec(), "", "shop");
  auto bank = OnlineStore::Open(g_redis->Spec(), "", "bank");
  ASSERT_TRUE(shop.ok() && bank.ok());
  ASSERT_TRUE((*shop)->Write("v", {"a"}, {"shop"}).ok());
  ASSERT_TRUE((*bank)->Write("v", {"a", "b"}, {"bank", "bank-b"}).ok());
  ASSERT_TRUE((*shop)->WriteWithRecord({}, "stream", "shop-offsets").ok());
  auto rows = (*shop)->Read("v", {"a", "b"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0], std::optional<std::string>("shop"));
  EXPECT_EQ((*rows)[1], std::nullopt);
  auto record = (*bank)->ReadRecord("stream");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(*record, std::nullopt);
  ASSERT_TRUE((*bank)->DropView("v").ok());
  rows = (*shop)->Read("v", {"a"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0], std::optional<std::string>("shop"));
}

TEST(RedisClusterStore, UnreachableAndMalformedSpecs) {
  auto gone = OnlineStore::Open("redis://127.0.0.1:1", "", "shop");
  ASSERT_FALSE(gone.ok());
  EXPECT_NE(gone.status().message().find("127.0.0.1:1"), std::string::npos)
      << gone.status().ToString();
  for (const std::string spec : {"redis://", "redis://localhost", "redis://127.0.0.1:"}) {
    auto bad = OnlineStore::Open(spec, "", "shop");
    ASSERT_FALSE(bad.ok()) << spec;
    EXPECT_TRUE(bad.status().IsInvalid()) << bad.status().ToString();
  }
}

// How many of `got` hold the value `want` holds at the same place.
size_t CountEqual(const std::vector<std::optional<std::string>>& got,
                  const std::vector<std::string>& want) {
  size_t same = 0;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    same += got[i].has_value() && *got[i] == want[i] ? 1 : 0;
  }
  return same;
}

// A writer killed (SIGKILL) while a micro-batch's rows are half written: the next ReadRecord
// completes the batch, so the record it returns never runs ahead of the rows.
TEST(RedisClusterStore, RecordAndRowsSurviveAWriterKilledMidBatch) {
  ASSERT_NE(g_redis, nullptr);
  ASSERT_TRUE(g_redis->Clear().ok());
  const std::string spec = g_redis->Spec();
  constexpr int kRows = 200000;
  std::vector<std::string> keys, old_values, new_values;
  for (int i = 0; i < kRows; ++i) {
    keys.push_back("k" + std::to_string(i));
    old_values.push_back("old" + std::to_string(i));
    new_values.push_back("new" + std::to_string(i));
  }
  auto store = OnlineStore::Open(spec, "", "shop");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::vector<OnlineStore::ViewRows> old_rows = {{"v", keys, old_values}};
  const std::vector<OnlineStore::ViewRows> new_rows = {{"v", keys, new_values}};
  ASSERT_TRUE((*store)->WriteWithRecord(old_rows, "stream/s", "R1").ok());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto own = OnlineStore::Open(spec, "", "shop");
    const bool ok = own.ok() &&
                    (*own)->WriteWithRecord(new_rows, "stream/s", "R2").ok();
    _exit(ok ? 0 : 1);
  }
  // Kill it as soon as the first row of the batch is visible.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto first = (*store)->Read("v", {keys[0]});
    ASSERT_TRUE(first.ok());
    if ((*first)[0] == new_values[0]) break;
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto before = (*store)->Read("v", keys);
  ASSERT_TRUE(before.ok());
  const size_t written = CountEqual(*before, new_values);
  EXPECT_GT(written, 0);
  EXPECT_LT(written, keys.size()) << "the writer finished before it was killed: nothing was tested";
  auto record = (*store)->ReadRecord("stream/s");
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->value_or("none"), "R2");
  auto after = (*store)->Read("v", keys);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(CountEqual(*after, new_values), keys.size());
}

// kill -9 of a master under a write and read load: the replica takes over, reads and writes
// resume within the bound, and every acknowledged write is readable afterwards.
TEST(RedisClusterStore, FailoverLosesNoAcknowledgedWrite) {
  ASSERT_NE(g_redis, nullptr);
  ASSERT_TRUE(g_redis->Clear().ok());
  auto writer_store = OnlineStore::Open(g_redis->Spec(), "", "shop");
  auto reader_store = OnlineStore::Open(g_redis->Spec(), "", "shop");
  ASSERT_TRUE(writer_store.ok() && reader_store.ok());
  auto cluster = RedisCluster::Connect({g_redis->Spec().substr(8, g_redis->Spec().find(',') - 8)});
  ASSERT_TRUE(cluster.ok());
  const std::string victim = (*cluster)->Masters()[0];
  const int victim_port = std::stoi(victim.substr(victim.rfind(':') + 1));

  using Clock = std::chrono::steady_clock;
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::map<int, Clock::time_point> acknowledged;  // write number -> when acknowledged
  std::vector<std::string> errors;
  std::atomic<int64_t> reads_ok{0};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      const std::string key = "e" + std::to_string(i);
      Status written = (*writer_store)->Write("load", {key}, {"value" + std::to_string(i)});
      std::lock_guard<std::mutex> lock(mutex);
      if (written.ok()) {
        acknowledged[i] = Clock::now();
      } else {
        errors.push_back(written.ToString());
      }
    }
  });
  std::thread reader([&] {
    std::vector<std::string> keys;
    for (int i = 0; i < 100; ++i) keys.push_back("e" + std::to_string(i));
    while (!stop) {
      if ((*reader_store)->Read("load", keys).ok()) ++reads_ok;
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  g_redis->Kill(victim_port);
  const auto killed = Clock::now();
  // Writes land on every master in turn, so a write acknowledged well after the kill means
  // the victim's slots have a master again.
  bool resumed = false;
  while (!resumed && Clock::now() - killed < std::chrono::seconds(20)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard<std::mutex> lock(mutex);
    int after = 0;
    for (const auto& [i, at] : acknowledged) after += at > killed ? 1 : 0;
    resumed = after >= 300;
  }
  const auto resumed_after = Clock::now() - killed;
  const int64_t reads_at_resume = reads_ok;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  writer.join();
  reader.join();
  ASSERT_TRUE(resumed) << "writes did not resume within 20 s of the kill";
  EXPECT_GT(reads_ok.load(), reads_at_resume) << "reads did not resume";
  std::printf("failover: writes resumed %.1f s after the kill; %zu writes acknowledged, %zu "
              "refused\n",
              std::chrono::duration<double>(resumed_after).count(), acknowledged.size(),
              errors.size());
  std::vector<std::string> keys, values;
  for (const auto& [i, at] : acknowledged) {
    keys.push_back("e" + std::to_string(i));
    values.push_back("value" + std::to_string(i));
  }
  auto got = (*reader_store)->Read("load", keys);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(CountEqual(*got, values), keys.size()) << "acknowledged writes read back";
  // Back to three masters with a replica each, for the tests that follow.
  Status restarted = g_redis->Restart(victim_port);
  EXPECT_TRUE(restarted.ok()) << restarted.ToString();
}

}  // namespace
}  // namespace fst::online
