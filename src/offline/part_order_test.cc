// Property test: PartOrder against PartOrderByArrow (the reference) on random tables: repeated
// keys, times and created times, null created times, equal __seq values, several chunks,
// integer, timestamp and string keys, no key, two keys, no created column. The columns the
// compact sort hands back equal the columns taken in the reference order.
#include "part_order.h"

#include <random>

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <gtest/gtest.h>

namespace fst::offline::internal {
namespace {

// `n` values below `range` (null with probability `nulls`), cut into chunks at random.
std::shared_ptr<arrow::ChunkedArray> RandomColumn(std::mt19937_64& rng,
                                                  const std::shared_ptr<arrow::DataType>& type,
                                                  int64_t n, int64_t range, double nulls) {
  std::uniform_int_distribution<int64_t> value(-range / 2, range / 2);
  std::bernoulli_distribution null(nulls);
  std::uniform_int_distribution<int64_t> cut(1, std::max<int64_t>(1, n / 2));
  arrow::ArrayVector chunks;
  int64_t done = 0;
  while (done < n || chunks.empty()) {
    const int64_t length = std::min(n - done, cut(rng));
    std::unique_ptr<arrow::ArrayBuilder> builder;
    EXPECT_TRUE(arrow::MakeBuilder(arrow::default_memory_pool(), type, &builder).ok());
    for (int64_t i = 0; i < length; ++i) {
      if (null(rng)) {
        EXPECT_TRUE(builder->AppendNull().ok());
        continue;
      }
      const int64_t v = value(rng);
      arrow::Status st;
      switch (type->id()) {
        case arrow::Type::INT32:
          st = static_cast<arrow::Int32Builder&>(*builder).Append(static_cast<int32_t>(v));
          break;
        case arrow::Type::INT64: st = static_cast<arrow::Int64Builder&>(*builder).Append(v); break;
        case arrow::Type::TIMESTAMP:
          st = static_cast<arrow::TimestampBuilder&>(*builder).Append(v);
          break;
        default:
          st = static_cast<arrow::StringBuilder&>(*builder).Append("k" + std::to_string(v));
      }
      EXPECT_TRUE(st.ok());
    }
    std::shared_ptr<arrow::Array> chunk;
    EXPECT_TRUE(builder->Finish(&chunk).ok());
    chunks.push_back(chunk);
    done += length;
    if (length == 0) break;
  }
  return std::make_shared<arrow::ChunkedArray>(chunks, type);
}

TEST(PartOrderTest, SameOrderAsArrowSort) {
  std::mt19937_64 rng(20261207);
  const auto ts_type = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  const std::vector<std::shared_ptr<arrow::DataType>> key_types = {
      arrow::int64(), arrow::int32(), ts_type, arrow::utf8()};
  int compact_cases = 0;
  for (int round = 0; round < 400; ++round) {
    const int64_t n = std::uniform_int_distribution<int64_t>(0, 300)(rng);
    const int64_t range = std::uniform_int_distribution<int64_t>(1, 40)(rng);
    const int keys = static_cast<int>(rng() % 3);  // 0, 1 or 2 key columns
    const bool created = rng() % 4 != 0;
    PartLayout layout;
    layout.ts_column = "ts";
    arrow::FieldVector fields;
    arrow::ChunkedArrayVector columns;
    for (int k = 0; k < keys; ++k) {
      const auto& type = key_types[rng() % key_types.size()];
      layout.sort_keys.push_back("key" + std::to_string(k));
      fields.push_back(arrow::field(layout.sort_keys.back(), type));
      columns.push_back(RandomColumn(rng, type, n, range, 0));
    }
    fields.push_back(arrow::field("ts", ts_type));
    columns.push_back(RandomColumn(rng, ts_type, n, range, 0));
    if (created) {
      layout.created_column = "created";
      fields.push_back(arrow::field("created", ts_type));
      columns.push_back(RandomColumn(rng, ts_type, n, range, 0.3));
    }
    fields.push_back(arrow::field(kSeqColumn, arrow::int64()));
    columns.push_back(RandomColumn(rng, arrow::int64(), n, range * 4, 0));
    auto table = arrow::Table::Make(arrow::schema(fields), columns, n);
    ASSERT_TRUE(table->ValidateFull().ok());

    auto fast = PartOrder(*table, layout);
    auto reference = PartOrderByArrow(*table, layout);
    ASSERT_TRUE(fast.ok()) << fast.status().ToString();
    ASSERT_TRUE(reference.ok()) << reference.status().ToString();
    ASSERT_TRUE(fast->indices->Equals(**reference))
        << "round " << round << "\n" << table->ToString()
        << "\nfast: " << fast->indices->ToString() << "\nreference: " << (*reference)->ToString();
    ASSERT_EQ(fast->sorted.size(), static_cast<size_t>(table->num_columns()));
    for (int c = 0; c < table->num_columns(); ++c) {
      const auto& sorted = fast->sorted[static_cast<size_t>(c)];
      if (sorted == nullptr) continue;
      ASSERT_TRUE(sorted->ValidateFull().ok());
      auto taken = arrow::compute::Take(table->column(c), *reference);
      ASSERT_TRUE(taken.ok());
      ASSERT_TRUE(taken->chunked_array()->Equals(arrow::ChunkedArray(sorted)))
          << "round " << round << ", column " << table->field(c)->name();
    }
    if (keys <= 1 && (keys == 0 || fields[0]->type()->id() != arrow::Type::STRING)) {
      ++compact_cases;
    }
  }
  EXPECT_GT(compact_cases, 100);
}

}  // namespace
}  // namespace fst::offline::internal
