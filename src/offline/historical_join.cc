#include "featherstone/offline/historical_join.h"

#include <algorithm>
#include <limits>

#include <arrow/array/concatenate.h>
#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/type.h>

#include "featherstone/core/arrow_init.h"
#include "featherstone/core/time.h"
#include "featherstone/offline/part_file.h"

namespace fst::offline {
namespace {

const int64_t* RawInt64(const std::shared_ptr<arrow::Array>& array) {
  return array->data()->GetValues<int64_t>(1);
}

Result<std::shared_ptr<arrow::Array>> Combined(const std::shared_ptr<arrow::ChunkedArray>& column) {
  if (column->num_chunks() == 1) return column->chunk(0);
  if (column->num_chunks() == 0) return arrow::MakeEmptyArray(column->type());
  return arrow::Concatenate(column->chunks());
}

// One file's key and time columns, sorted by (keys, RowOrder).
struct LoadedRun {
  KeyColumns keys;
  std::vector<std::shared_ptr<arrow::Array>> hold;
  std::vector<int64_t> created;  // null -> INT64_MIN
  std::vector<int64_t> row_ids;  // the file row of each run row; empty: the same row
  FeatureRun run;
};

Result<std::unique_ptr<LoadedRun>> LoadRun(const PartRef& file, const PitSpec& spec, int threads) {
  std::vector<std::string> columns = spec.key_columns;
  columns.push_back(spec.ts_column);
  columns.push_back(kSeqColumn);
  if (!spec.created_column.empty()) columns.push_back(spec.created_column);
  std::vector<std::shared_ptr<arrow::DataType>> types(columns.size(), arrow::int64());
  FST_ASSIGN_OR_RAISE(auto table, ReadPart(file, columns, types));
  const std::vector<std::string> sort_keys = PartSortKeys(*table);

  auto owned = std::make_unique<LoadedRun>();
  LoadedRun& loaded = *owned;
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (int c = 0; c < table->num_columns(); ++c) {
    FST_ASSIGN_OR_RAISE(auto array, Combined(table->column(c)));
    arrays.push_back(array);
  }
  const size_t nkeys = spec.key_columns.size();
  int64_t n = table->num_rows();
  // The file rows left when some ingests' rows are left out (empty: all of them).
  std::vector<int64_t> kept;
  if (!file.excluded_ingests.empty()) {
    kept = IncludedRows(RawInt64(arrays[nkeys + 1]), n, file.excluded_ingests);
    if (static_cast<int64_t>(kept.size()) == n) {
      kept.clear();
    } else {
      auto indices = std::make_shared<arrow::Int64Array>(static_cast<int64_t>(kept.size()),
                                                         arrow::Buffer::Wrap(kept));
      for (auto& array : arrays) {
        FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(array, indices));
        array = datum.make_array();
      }
      n = static_cast<int64_t>(kept.size());
    }
  }
  std::vector<std::shared_ptr<arrow::Array>> key_arrays(arrays.begin(), arrays.begin() + nkeys);
  auto ts = arrays[nkeys];
  auto seq = arrays[nkeys + 1];
  loaded.created.assign(static_cast<size_t>(n), std::numeric_limits<int64_t>::min());
  if (!spec.created_column.empty()) {
    const auto& created = arrays[nkeys + 2];
    const int64_t* raw = RawInt64(created);
    for (int64_t i = 0; i < n; ++i) {
      if (created->IsValid(i)) loaded.created[static_cast<size_t>(i)] = raw[i];
    }
  }
  FST_ASSIGN_OR_RAISE(loaded.keys, KeyColumns::Make(key_arrays, spec.key_columns));
  loaded.hold = arrays;
  const int64_t* ts_raw = RawInt64(ts);
  const int64_t* seq_raw = RawInt64(seq);
  if (sort_keys != spec.key_columns) {
    // Written for other join keys: sort this run for ours.
    const int64_t* created_raw = loaded.created.data();
    loaded.row_ids = SortByKeys(
        loaded.keys,
        [&](int64_t a, int64_t b) {
          return RowOrder{ts_raw[a], created_raw[a], seq_raw[a]} <
                 RowOrder{ts_raw[b], created_raw[b], seq_raw[b]};
        },
        threads);
    auto indices = std::make_shared<arrow::Int64Array>(
        static_cast<int64_t>(loaded.row_ids.size()), arrow::Buffer::Wrap(loaded.row_ids));
    std::vector<std::shared_ptr<arrow::Array>> sorted;
    for (const auto& array : arrays) {
      FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(array, indices));
      sorted.push_back(datum.make_array());
    }
    std::vector<int64_t> created_sorted;
    created_sorted.reserve(loaded.row_ids.size());
    for (int64_t id : loaded.row_ids) created_sorted.push_back(loaded.created[static_cast<size_t>(id)]);
    loaded.created = std::move(created_sorted);
    key_arrays.assign(sorted.begin(), sorted.begin() + nkeys);
    FST_ASSIGN_OR_RAISE(loaded.keys, KeyColumns::Make(key_arrays, spec.key_columns));
    ts = sorted[nkeys];
    seq = sorted[nkeys + 1];
    loaded.hold = sorted;
    for (int64_t& id : loaded.row_ids) {
      if (!kept.empty()) id = kept[static_cast<size_t>(id)];
    }
  } else {
    loaded.row_ids = std::move(kept);
  }
  loaded.run.keys = &loaded.keys;
  loaded.run.ts = RawInt64(ts);
  loaded.run.seq = RawInt64(seq);
  loaded.run.created = loaded.created.data();
  loaded.run.row_ids = loaded.row_ids.empty() ? nullptr : loaded.row_ids.data();
  loaded.run.length = ts->length();
  return owned;
}

}  // namespace

Result<std::shared_ptr<arrow::Table>> ReadPart(
    const PartRef& part, const std::vector<std::string>& columns,
    const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  if (part.rows == nullptr) return ReadPartColumns(part.path, columns, types);
  return SelectPartColumns(*part.rows, columns, types);
}

std::vector<int64_t> IncludedRows(const int64_t* seq, int64_t n,
                                  const std::vector<int64_t>& excluded) {
  std::vector<int64_t> rows;
  rows.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (!std::binary_search(excluded.begin(), excluded.end(), seq[i] >> 32)) rows.push_back(i);
  }
  return rows;
}

Result<PitResult> PitJoinFiles(const std::vector<PartRef>& files,
                               const std::vector<std::shared_ptr<arrow::Array>>& entity_keys,
                               const std::vector<int64_t>& entity_ts, const PitSpec& spec,
                               int threads) {
  FST_RETURN_NOT_OK(core::EnsureArrowCompute());
  const int64_t n = static_cast<int64_t>(entity_ts.size());
  FST_ASSIGN_OR_RAISE(auto keys, KeyColumns::Make(entity_keys, spec.key_columns));
  // Sort entity rows by (keys, ts); ties keep input order.
  std::vector<int64_t> order = SortByKeys(
      keys,
      [&](int64_t a, int64_t b) {
        return entity_ts[a] != entity_ts[b] ? entity_ts[a] < entity_ts[b] : a < b;
      },
      threads);
  auto order_array = std::make_shared<arrow::Int64Array>(static_cast<int64_t>(order.size()),
                                                         arrow::Buffer::Wrap(order));
  std::vector<std::shared_ptr<arrow::Array>> sorted_key_arrays;
  for (const auto& array : entity_keys) {
    FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(array, order_array));
    sorted_key_arrays.push_back(datum.make_array());
  }
  FST_ASSIGN_OR_RAISE(auto sorted_keys, KeyColumns::Make(sorted_key_arrays, spec.key_columns));
  std::vector<int64_t> sorted_ts(order.size());
  int64_t min_t = std::numeric_limits<int64_t>::max();
  int64_t max_t = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < order.size(); ++i) {
    sorted_ts[i] = entity_ts[static_cast<size_t>(order[i])];
    min_t = std::min(min_t, sorted_ts[i]);
    max_t = std::max(max_t, sorted_ts[i]);
  }
  EntityRun entities{&sorted_keys, sorted_ts.data(), static_cast<int64_t>(order.size())};

  // Pass 1: keys and times only.
  std::vector<Match> matches(order.size());
  for (size_t f = 0; f < files.size() && !order.empty(); ++f) {
    const PartRef& file = files[f];
    if (file.min_ts > max_t || file.max_ts < spec.window.min_ts) continue;
    if (!core::WithinTtl(file.max_ts, min_t, spec.window.ttl_us)) continue;
    FST_ASSIGN_OR_RAISE(auto loaded, LoadRun(file, spec, threads));
    FST_RETURN_NOT_OK(sorted_keys.CheckComparable(loaded->keys));
    PitMergeRun(entities, loaded->run, static_cast<int32_t>(f), spec.window, &matches, threads);
  }

  // Pass 2: gather winning values file by file.
  std::vector<std::vector<int64_t>> rows_by_file(files.size());
  std::vector<std::vector<int64_t>> targets_by_file(files.size());
  for (size_t i = 0; i < matches.size(); ++i) {
    if (matches[i].run < 0) continue;
    rows_by_file[static_cast<size_t>(matches[i].run)].push_back(matches[i].row);
    targets_by_file[static_cast<size_t>(matches[i].run)].push_back(order[i]);
  }
  const size_t ncols = spec.value_columns.size();
  std::vector<arrow::ArrayVector> gathered(ncols);
  std::vector<int64_t> gather_index(static_cast<size_t>(n), -1);
  int64_t offset = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    if (rows_by_file[f].empty()) continue;
    if (ncols > 0) {
      FST_ASSIGN_OR_RAISE(auto table,
                          ReadPart(files[f], spec.value_columns, spec.value_types));
      auto rows = std::make_shared<arrow::Int64Array>(
          static_cast<int64_t>(rows_by_file[f].size()), arrow::Buffer::Wrap(rows_by_file[f]));
      for (size_t c = 0; c < ncols; ++c) {
        FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(table->column(static_cast<int>(c)), rows));
        FST_ASSIGN_OR_RAISE(auto array, Combined(datum.chunked_array()));
        if (!array->type()->Equals(spec.value_types[c])) {
          // Written under an older, narrower schema.
          FST_ASSIGN_OR_RAISE(array, arrow::compute::Cast(*array, spec.value_types[c]));
        }
        gathered[c].push_back(array);
      }
    }
    for (size_t k = 0; k < targets_by_file[f].size(); ++k) {
      gather_index[static_cast<size_t>(targets_by_file[f][k])] = offset + static_cast<int64_t>(k);
    }
    offset += static_cast<int64_t>(rows_by_file[f].size());
  }

  // Event times of the winners, and the final take in input order.
  std::vector<int64_t> winner_ts(static_cast<size_t>(n), 0);
  PitResult result;
  result.orders.assign(static_cast<size_t>(n), RowOrder{});
  for (size_t i = 0; i < matches.size(); ++i) {
    if (matches[i].run < 0) continue;
    winner_ts[static_cast<size_t>(order[i])] = matches[i].order.ts;
    result.orders[static_cast<size_t>(order[i])] = matches[i].order;
  }
  arrow::Int64Builder index_builder;
  arrow::Int64Builder ts_builder;
  FST_RETURN_NOT_OK(index_builder.Reserve(n));
  FST_RETURN_NOT_OK(ts_builder.Reserve(n));
  for (int64_t i = 0; i < n; ++i) {
    if (gather_index[static_cast<size_t>(i)] < 0) {
      index_builder.UnsafeAppendNull();
      ts_builder.UnsafeAppendNull();
    } else {
      index_builder.UnsafeAppend(gather_index[static_cast<size_t>(i)]);
      ts_builder.UnsafeAppend(winner_ts[static_cast<size_t>(i)]);
    }
  }
  std::shared_ptr<arrow::Array> take_index;
  FST_RETURN_NOT_OK(index_builder.Finish(&take_index));

  FST_RETURN_NOT_OK(ts_builder.Finish(&result.event_ts));
  for (size_t c = 0; c < ncols; ++c) {
    std::shared_ptr<arrow::Array> all;
    if (gathered[c].empty()) {
      FST_ASSIGN_OR_RAISE(all, arrow::MakeEmptyArray(spec.value_types[c]));
    } else {
      FST_ASSIGN_OR_RAISE(all, arrow::Concatenate(gathered[c]));
    }
    FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(all, take_index));
    result.values.push_back(datum.make_array());
  }
  return result;
}

}  // namespace fst::offline
