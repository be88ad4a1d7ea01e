// Property test: PitJoinFiles against ReferencePit on random data (duplicates, ties with and
// without created times, nulls, entity rows before any data, ttl boundaries, ttl 0, empty
// inputs, several files, files sorted for other keys, files of many small row groups, int and
// string and two-column keys).
#include "featherstone/offline/historical_join.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <random>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include "featherstone/core/file_system.h"
#include "featherstone/offline/part_file.h"
#include "pit_join_reference.h"
#include "featherstone/offline/window_join.h"

namespace fst::offline {
namespace {

std::string TestDir(const std::string& name) {
  const char* base = std::getenv("FST_TEST_TMP");
  auto dir = std::filesystem::path(base ? base : "/tmp") / ("offline_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

enum class KeyKind { kInt, kString, kTwo };

struct Case {
  KeyKind kind;
  std::vector<ReferenceRow> rows;
  std::vector<std::vector<size_t>> files;  // row indices per file
  std::vector<bool> file_sorted_for_other_keys;
  std::vector<bool> value_null;
  std::vector<ReferenceEntity> entities;
  PitWindow window;
  bool with_created;
};

Case RandomCase(std::mt19937_64& rng) {
  Case c;
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  c.kind = static_cast<KeyKind>(pick(3));
  c.with_created = pick(2) == 0;
  const int nkeys = 1 + pick(pick(4) == 0 ? 200 : 8);
  const int nfiles = pick(4);
  const int64_t span = 1 + pick(50);
  const int64_t seq_base = 1;
  int64_t ingest = seq_base;
  auto key_of = [&](int k) {
    std::vector<std::string> key;
    if (c.kind == KeyKind::kTwo) {
      key = {std::to_string(k % 3), "s" + std::to_string(k / 3)};
    } else if (c.kind == KeyKind::kString) {
      key = {"k" + std::to_string(k)};
    } else {
      key = {std::to_string(k - nkeys / 2)};  // negative keys too
    }
    return key;
  };
  for (int f = 0; f < nfiles; ++f) {
    const int nrows = pick(5) == 0 ? 0 : pick(60);
    std::vector<size_t> members;
    for (int r = 0; r < nrows; ++r) {
      ReferenceRow row;
      row.key = key_of(pick(nkeys));
      row.ts = pick(static_cast<int>(span));
      if (c.with_created && pick(3) != 0) row.created = pick(4);
      row.seq = (ingest << 32) | r;
      members.push_back(c.rows.size());
      c.rows.push_back(row);
      c.value_null.push_back(pick(6) == 0);
    }
    ++ingest;
    c.files.push_back(members);
    c.file_sorted_for_other_keys.push_back(pick(4) == 0);
  }
  const int nentities = pick(6) == 0 ? 0 : pick(80);
  for (int e = 0; e < nentities; ++e) {
    ReferenceEntity entity;
    entity.key = key_of(pick(nkeys + 2));  // some keys with no data
    entity.key_null = pick(15) == 0;
    entity.ts = pick(static_cast<int>(span + 5)) - 2;  // some before any data
    c.entities.push_back(entity);
  }
  const int ttl_kind = pick(4);
  c.window.ttl_us = ttl_kind == 0 ? 0 : 1 + pick(static_cast<int>(span));
  if (pick(5) == 0) c.window.min_ts = pick(static_cast<int>(span));
  return c;
}

std::shared_ptr<arrow::Array> KeyArray(const std::vector<std::vector<std::string>>& keys,
                                       const std::vector<bool>& nulls, size_t column, bool ints) {
  if (ints) {
    arrow::Int64Builder b;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (nulls[i]) {
        EXPECT_TRUE(b.AppendNull().ok());
      } else {
        EXPECT_TRUE(b.Append(std::stoll(keys[i][column])).ok());
      }
    }
    return *b.Finish();
  }
  arrow::StringBuilder b;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (nulls[i]) {
      EXPECT_TRUE(b.AppendNull().ok());
    } else {
      EXPECT_TRUE(b.Append(keys[i][column]).ok());
    }
  }
  return *b.Finish();
}

std::vector<bool> ColumnIsInt(KeyKind kind) {
  if (kind == KeyKind::kTwo) return {true, false};
  return {kind == KeyKind::kInt};
}

std::vector<std::string> KeyNames(KeyKind kind) {
  if (kind == KeyKind::kTwo) return {"region", "customer"};
  return {"customer"};
}

// Rewrites the part file at `path` with row groups of `rows` rows (the store writes 128 Ki):
// the readers then meet row group boundaries inside key groups.
void SplitRowGroups(const std::string& path, int64_t rows) {
  auto input = arrow::io::ReadableFile::Open(path);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  auto reader = parquet::arrow::OpenFile(*input, arrow::default_memory_pool());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto table = (*reader)->ReadTable();
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto output = arrow::io::FileOutputStream::Open(path);
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  // The schema stored, as the store writes it: its metadata holds the sort keys.
  auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  ASSERT_TRUE(parquet::arrow::WriteTable(**table, arrow::default_memory_pool(), *output, rows,
                                         parquet::default_writer_properties(), arrow_properties)
                  .ok());
  ASSERT_TRUE((*output)->Close().ok());
}

// The case's part files; with `in_memory`, runs of the same rows in memory, unsorted (as
// GetHistoricalFeaturesFromRows hands them over), instead; with `row_group_rows` > 0, files of
// row groups that small.
std::vector<PartRef> WriteFiles(const Case& c, const std::string& dir, bool in_memory = false,
                                int64_t row_group_rows = 0) {
  std::vector<PartRef> refs;
  const auto names = KeyNames(c.kind);
  const auto is_int = ColumnIsInt(c.kind);
  auto ts_type = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  for (size_t f = 0; f < c.files.size(); ++f) {
    std::vector<std::vector<std::string>> keys;
    arrow::TimestampBuilder ts(ts_type, arrow::default_memory_pool());
    arrow::TimestampBuilder created(ts_type, arrow::default_memory_pool());
    arrow::Int64Builder seq, value;
    arrow::StringBuilder label;  // "v<row>" where value is <row>: a variable-width column
    for (size_t r : c.files[f]) {
      const auto& row = c.rows[r];
      keys.push_back(row.key);
      EXPECT_TRUE(ts.Append(row.ts).ok());
      if (row.created == std::numeric_limits<int64_t>::min()) {
        EXPECT_TRUE(created.AppendNull().ok());
      } else {
        EXPECT_TRUE(created.Append(row.created).ok());
      }
      EXPECT_TRUE(seq.Append(row.seq).ok());
      if (c.value_null[r]) {
        EXPECT_TRUE(value.AppendNull().ok());
        EXPECT_TRUE(label.AppendNull().ok());
      } else {
        EXPECT_TRUE(value.Append(static_cast<int64_t>(r)).ok());
        EXPECT_TRUE(label.Append("v" + std::to_string(r)).ok());
      }
    }
    std::vector<std::shared_ptr<arrow::Field>> fields;
    std::vector<std::shared_ptr<arrow::Array>> arrays;
    const std::vector<bool> no_nulls(keys.size(), false);
    for (size_t k = 0; k < names.size(); ++k) {
      auto array = KeyArray(keys, no_nulls, k, is_int[k]);
      fields.push_back(arrow::field(names[k], array->type()));
      arrays.push_back(array);
    }
    fields.push_back(arrow::field("event_ts", ts_type));
    arrays.push_back(*ts.Finish());
    fields.push_back(arrow::field("created_ts", ts_type));
    arrays.push_back(*created.Finish());
    fields.push_back(arrow::field(kSeqColumn, arrow::int64()));
    arrays.push_back(*seq.Finish());
    fields.push_back(arrow::field("value", arrow::int64()));
    arrays.push_back(*value.Finish());
    fields.push_back(arrow::field("label", arrow::utf8()));
    arrays.push_back(*label.Finish());
    auto table = arrow::Table::Make(arrow::schema(fields), arrays);
    PartLayout layout;
    layout.sort_keys = c.file_sorted_for_other_keys[f] ? std::vector<std::string>{} : names;
    layout.ts_column = "event_ts";
    layout.created_column = c.with_created ? "created_ts" : "";
    const std::string path = dir + "/part-" + std::to_string(f) + ".parquet";
    auto written = WriteSortedPart(*core::LocalFs(), table, layout, path);
    EXPECT_TRUE(written.ok()) << written.status().ToString();
    if (row_group_rows > 0) SplitRowGroups(path, row_group_rows);
    refs.push_back({path, written->min_ts, written->max_ts, {}, in_memory ? table : nullptr});
  }
  return refs;
}

TEST(PitJoinFiles, MatchesReferenceOnRandomCases) {
  const std::string dir = TestDir("pit_random");
  std::mt19937_64 rng(20261125);
  const int cases = 1500;
  for (int n = 0; n < cases; ++n) {
    Case c = RandomCase(rng);
    // A third of the cases in memory, a third in files of row groups of 1 to 8 rows.
    const auto files =
        WriteFiles(c, dir, n % 3 == 0, n % 3 == 1 ? 1 + static_cast<int64_t>(rng() % 8) : 0);
    std::vector<std::vector<std::string>> keys;
    std::vector<bool> nulls;
    std::vector<int64_t> ts;
    for (const auto& e : c.entities) {
      keys.push_back(e.key);
      nulls.push_back(e.key_null);
      ts.push_back(e.ts);
    }
    const auto is_int = ColumnIsInt(c.kind);
    std::vector<std::shared_ptr<arrow::Array>> entity_keys;
    for (size_t k = 0; k < is_int.size(); ++k) {
      entity_keys.push_back(KeyArray(keys, nulls, k, is_int[k]));
    }
    PitSpec spec;
    spec.key_columns = KeyNames(c.kind);
    spec.ts_column = "event_ts";
    spec.created_column = c.with_created ? "created_ts" : "";
    // A fixed-width and a variable-width column: written to their rows, and gathered.
    spec.value_columns = {"value", "label"};
    spec.value_types = {arrow::int64(), arrow::utf8()};
    spec.window = c.window;
    // Without created times in the spec, the reference must ignore them too.
    std::vector<ReferenceRow> rows = c.rows;
    if (!c.with_created) {
      for (auto& row : rows) row.created = std::numeric_limits<int64_t>::min();
    }
    const auto expected = ReferencePit(c.entities, rows, c.window);
    auto result = PitJoinFiles(files, entity_keys, ts, spec, 1 + n % 2);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    const auto& values = static_cast<const arrow::Int64Array&>(*result->values[0]);
    const auto& labels = static_cast<const arrow::StringArray&>(*result->values[1]);
    ASSERT_EQ(values.length(), static_cast<int64_t>(c.entities.size()));
    for (size_t i = 0; i < c.entities.size(); ++i) {
      const int64_t want = expected[i];
      const bool want_null = want < 0 || c.value_null[static_cast<size_t>(want)];
      ASSERT_EQ(values.IsNull(static_cast<int64_t>(i)), want_null)
          << "case " << n << " entity " << i << " expected row " << want;
      ASSERT_EQ(labels.IsNull(static_cast<int64_t>(i)), want_null) << "case " << n;
      if (!want_null) {
        ASSERT_EQ(values.Value(static_cast<int64_t>(i)), want) << "case " << n << " entity " << i;
        ASSERT_EQ(labels.GetString(static_cast<int64_t>(i)), "v" + std::to_string(want))
            << "case " << n << " entity " << i;
      }
      ASSERT_EQ(result->event_ts->IsNull(static_cast<int64_t>(i)), want < 0);
    }
  }
}

// Window joins over the same random part files (some of small row groups): count of rows, count/sum/last/min/max/avg of
// a nullable column (sharing one window) and last of a string column over random windows, with
// one and two threads, in one pass and under memory limits forcing passes over key ranges,
// against a scan of all rows.
TEST(WindowJoinFiles, MatchesBruteForceOnRandomCases) {
  const std::string dir = TestDir("window_random");
  std::mt19937_64 rng(99);
  for (int n = 0; n < 600; ++n) {
    Case c = RandomCase(rng);
    // A third of the cases in memory, a third in files of row groups of 1 to 8 rows.
    const auto files =
        WriteFiles(c, dir, n % 3 == 0, n % 3 == 1 ? 1 + static_cast<int64_t>(rng() % 8) : 0);
    std::vector<std::vector<std::string>> keys;
    std::vector<bool> nulls;
    std::vector<int64_t> ts;
    for (const auto& e : c.entities) {
      keys.push_back(e.key);
      nulls.push_back(e.key_null);
      ts.push_back(e.ts);
    }
    const auto is_int = ColumnIsInt(c.kind);
    std::vector<std::shared_ptr<arrow::Array>> entity_keys;
    for (size_t k = 0; k < is_int.size(); ++k) {
      entity_keys.push_back(KeyArray(keys, nulls, k, is_int[k]));
    }
    const int64_t window = 1 + static_cast<int64_t>(rng() % 20);
    WindowSpec spec;
    spec.key_columns = KeyNames(c.kind);
    spec.ts_column = "event_ts";
    spec.created_column = c.with_created ? "created_ts" : "";
    spec.columns = {"value", "label"};
    spec.types = {arrow::int64(), arrow::utf8()};
    spec.requests = {{transform::AggFunction::kCount, window, -1},
                     {transform::AggFunction::kCount, window, 0},
                     {transform::AggFunction::kSum, window, 0},
                     {transform::AggFunction::kLast, window, 0},
                     {transform::AggFunction::kMin, window, 0},
                     {transform::AggFunction::kMax, window, 0},
                     {transform::AggFunction::kAvg, window, 0},
                     {transform::AggFunction::kLast, window, 1}};
    // No limit (one pass); a limit of one byte (a pass per key); a small limit (passes of a
    // few keys): each equals the brute force, and the limited ones the one pass.
    const int64_t limits[] = {0, 1, 1 + static_cast<int64_t>(rng() % 4000)};
    std::vector<std::shared_ptr<arrow::Array>> one_pass;
    for (int64_t limit : limits) {
      auto result = WindowJoinFiles(files, entity_keys, ts, spec, 1 + n % 2, limit);
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      if (limit == 0) {
        one_pass = *result;
      } else {
        for (size_t r = 0; r < one_pass.size(); ++r) {
          ASSERT_TRUE((*result)[r]->Equals(*one_pass[r]))
              << "case " << n << " limit " << limit << " request " << r;
        }
      }
      std::vector<ReferenceRow> rows = c.rows;
      if (!c.with_created) {
        for (auto& row : rows) row.created = std::numeric_limits<int64_t>::min();
      }
      for (size_t i = 0; i < c.entities.size(); ++i) {
        const auto& e = c.entities[i];
        int64_t count_rows = 0, count = 0, sum = 0, last = -1;
        int64_t min = std::numeric_limits<int64_t>::max(), max = std::numeric_limits<int64_t>::min();
        for (size_t r = 0; r < rows.size(); ++r) {
          if (e.key_null || rows[r].key != e.key) continue;
          if (rows[r].ts <= e.ts - window || rows[r].ts > e.ts) continue;
          ++count_rows;
          if (c.value_null[r]) continue;
          ++count;
          sum += static_cast<int64_t>(r);
          min = std::min(min, static_cast<int64_t>(r));
          max = std::max(max, static_cast<int64_t>(r));
          const auto order = [&](size_t x) {
            return RowOrder{rows[x].ts, rows[x].created, rows[x].seq};
          };
          if (last < 0 || order(static_cast<size_t>(last)) < order(r)) last = static_cast<int64_t>(r);
        }
        const auto& got_rows = static_cast<const arrow::Int64Array&>(*(*result)[0]);
        const auto& got_count = static_cast<const arrow::Int64Array&>(*(*result)[1]);
        const auto& got_sum = static_cast<const arrow::Int64Array&>(*(*result)[2]);
        const auto& got_last = static_cast<const arrow::Int64Array&>(*(*result)[3]);
        const auto& got_min = static_cast<const arrow::Int64Array&>(*(*result)[4]);
        const auto& got_max = static_cast<const arrow::Int64Array&>(*(*result)[5]);
        const auto& got_avg = static_cast<const arrow::DoubleArray&>(*(*result)[6]);
        const auto& got_label = static_cast<const arrow::StringArray&>(*(*result)[7]);
        const auto at = static_cast<int64_t>(i);
        ASSERT_EQ(got_rows.Value(at), count_rows) << "case " << n << " entity " << i;
        ASSERT_EQ(got_count.Value(at), count) << "case " << n << " entity " << i;
        ASSERT_EQ(got_sum.IsNull(at), count == 0) << "case " << n << " entity " << i;
        if (count > 0) {
          ASSERT_EQ(got_sum.Value(at), sum) << "case " << n << " entity " << i;
          ASSERT_EQ(got_last.Value(at), last) << "case " << n << " entity " << i;
          ASSERT_EQ(got_min.Value(at), min) << "case " << n << " entity " << i;
          ASSERT_EQ(got_max.Value(at), max) << "case " << n << " entity " << i;
          ASSERT_DOUBLE_EQ(got_avg.Value(at), static_cast<double>(sum) / static_cast<double>(count))
              << "case " << n << " entity " << i;
          ASSERT_EQ(got_label.GetString(at), "v" + std::to_string(last))
              << "case " << n << " entity " << i;
        } else {
          ASSERT_TRUE(got_last.IsNull(at)) << "case " << n << " entity " << i;
          ASSERT_TRUE(got_min.IsNull(at) && got_max.IsNull(at) && got_avg.IsNull(at) &&
                      got_label.IsNull(at))
              << "case " << n << " entity " << i;
        }
      }
    }
  }
}

TEST(PitJoinFiles, EmptyEntitiesAndNoFiles) {
  PitSpec spec;
  spec.key_columns = {"customer"};
  spec.ts_column = "event_ts";
  spec.value_columns = {"value"};
  spec.value_types = {arrow::float64()};
  arrow::Int64Builder b;
  ASSERT_TRUE(b.Append(1).ok());
  auto result = PitJoinFiles({}, {*b.Finish()}, {5}, spec, 2);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->values[0]->length(), 1);
  EXPECT_TRUE(result->values[0]->IsNull(0));
  EXPECT_TRUE(result->values[0]->type()->Equals(arrow::float64()));
}

TEST(WindowFirstTime, IsTheFirstTimeInsideTheWindowAndSaturates) {
  EXPECT_EQ(WindowFirstTime(10, 5), 6);  // (5, 10]
  EXPECT_EQ(WindowFirstTime(10, 1), 10);
  EXPECT_EQ(WindowFirstTime(-1000, std::numeric_limits<int64_t>::max()),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(WindowFirstTime(std::numeric_limits<int64_t>::min() + 5, 10),
            std::numeric_limits<int64_t>::min());
}

}  // namespace
}  // namespace fst::offline
