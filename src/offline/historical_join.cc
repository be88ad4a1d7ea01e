#include "featherstone/offline/historical_join.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/type.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_ops.h>

#include "featherstone/core/arrow_init.h"
#include "featherstone/core/time.h"
#include "featherstone/offline/historical_join_reader.h"
#include "featherstone/offline/part_file.h"

namespace fst::offline {
namespace {

const int64_t* RawInt64(const std::shared_ptr<arrow::Array>& array) {
  return array->data()->GetValues<int64_t>(1);
}

// The created times of `array` with nulls as INT64_MIN: its own values when it has no nulls,
// else `fill`'s. nullptr without an array (no created column).
const int64_t* CreatedTimes(const std::shared_ptr<arrow::Array>& array, std::vector<int64_t>* fill) {
  if (array == nullptr) return nullptr;
  const int64_t* raw = RawInt64(array);
  if (array->null_count() == 0) return raw;
  const int64_t n = array->length();
  fill->assign(static_cast<size_t>(n), std::numeric_limits<int64_t>::min());
  for (int64_t i = 0; i < n; ++i) {
    if (array->IsValid(i)) (*fill)[static_cast<size_t>(i)] = raw[i];
  }
  return fill->data();
}

// One file's key and time columns, sorted by (keys, RowOrder).
struct LoadedRun {
  KeyColumns keys;
  std::vector<std::shared_ptr<arrow::Array>> hold;
  std::vector<int64_t> created;  // when the created column has nulls: its values, null -> INT64_MIN
  std::vector<int64_t> row_ids;  // the file row of each run row; empty: the same row
  FeatureRun run;
};

// The part `file` opened for pass 1: the key columns, the event time, kSeqColumn and the
// created time when the spec has one.
Result<std::unique_ptr<PartRowGroups>> OpenKeysAndTimes(const PartRef& file, const PitSpec& spec) {
  std::vector<std::string> columns = spec.key_columns;
  columns.push_back(spec.ts_column);
  columns.push_back(kSeqColumn);
  if (!spec.created_column.empty()) columns.push_back(spec.created_column);
  std::vector<std::shared_ptr<arrow::DataType>> types(columns.size(), arrow::int64());
  return PartRowGroups::Open(file, columns, types);
}

// The run of `file` (`part`, opened by OpenKeysAndTimes), its columns read into `scratch` (the
// previous run must be gone).
Result<std::unique_ptr<LoadedRun>> LoadRun(PartRowGroups* part, const PartRef& file,
                                           const PitSpec& spec, int threads,
                                           ColumnScratch* scratch) {
  FST_ASSIGN_OR_RAISE(auto arrays, ReadWholeColumns(*part, scratch));

  auto owned = std::make_unique<LoadedRun>();
  LoadedRun& loaded = *owned;
  const size_t nkeys = spec.key_columns.size();
  int64_t n = part->num_rows();
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
  auto created_of = [&](const std::vector<std::shared_ptr<arrow::Array>>& from) {
    return CreatedTimes(spec.created_column.empty() ? nullptr : from[nkeys + 2], &loaded.created);
  };
  std::vector<std::shared_ptr<arrow::Array>> key_arrays(arrays.begin(), arrays.begin() + nkeys);
  FST_ASSIGN_OR_RAISE(loaded.keys, KeyColumns::Make(key_arrays, spec.key_columns));
  if (part->sort_keys() != spec.key_columns) {
    // Written for other join keys: sort this run for ours.
    const int64_t* ts_raw = RawInt64(arrays[nkeys]);
    const int64_t* seq_raw = RawInt64(arrays[nkeys + 1]);
    const int64_t* created_raw = created_of(arrays);
    auto order_of = [&](int64_t i) {
      return RowOrder{ts_raw[i],
                      created_raw ? created_raw[i] : std::numeric_limits<int64_t>::min(),
                      seq_raw[i]};
    };
    loaded.row_ids = SortByKeys(
        loaded.keys, [&](int64_t a, int64_t b) { return order_of(a) < order_of(b); }, threads);
    auto indices = std::make_shared<arrow::Int64Array>(
        static_cast<int64_t>(loaded.row_ids.size()), arrow::Buffer::Wrap(loaded.row_ids));
    for (auto& array : arrays) {
      FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(array, indices));
      array = datum.make_array();
    }
    key_arrays.assign(arrays.begin(), arrays.begin() + nkeys);
    FST_ASSIGN_OR_RAISE(loaded.keys, KeyColumns::Make(key_arrays, spec.key_columns));
    for (int64_t& id : loaded.row_ids) {
      if (!kept.empty()) id = kept[static_cast<size_t>(id)];
    }
  } else {
    loaded.row_ids = std::move(kept);
  }
  loaded.run.keys = &loaded.keys;
  loaded.run.ts = RawInt64(arrays[nkeys]);
  loaded.run.seq = RawInt64(arrays[nkeys + 1]);
  loaded.run.created = created_of(arrays);
  loaded.run.row_ids = loaded.row_ids.empty() ? nullptr : loaded.row_ids.data();
  loaded.run.length = arrays[nkeys]->length();
  loaded.hold = std::move(arrays);
  return owned;
}

// The first i in [from, to) where `holds(i)` is false (`holds` true then false), else `to`.
template <typename Holds>
int64_t FirstFalse(int64_t from, int64_t to, Holds holds) {
  while (from < to) {
    const int64_t mid = from + (to - from) / 2;
    if (holds(mid)) {
      from = mid + 1;
    } else {
      to = mid;
    }
  }
  return from;
}

// Whether pass 1 can read `part` row group by row group: a file sorted for the join keys, every
// ingest kept. A key group cut by a row group boundary is merged as two runs, which gives the
// same winners: each offers the latest eligible row of its stretch and the later one stays.
bool Streamable(const PartRowGroups& part, const PartRef& file, const PitSpec& spec) {
  return file.rows == nullptr && file.excluded_ingests.empty() &&
         part.sort_keys() == spec.key_columns;
}

// Offers the winners of `part` (opened by OpenKeysAndTimes, Streamable) to `matches`, one row
// group at a time: memory holds one row group's keys and times.
Status MergeStreamed(PartRowGroups& part, const PitSpec& spec, const EntityRun& entities,
                     int32_t run_index, std::vector<Match>* matches, int threads) {
  std::vector<int64_t> created_fill;
  int64_t first_row = 0;  // the part row of the row group's first row
  for (int rg = 0; rg < part.num_row_groups(); ++rg) {
    FST_ASSIGN_OR_RAISE(auto arrays, part.Read(rg));
    const int64_t n = arrays[0]->length();
    if (n == 0) continue;
    const std::vector<std::shared_ptr<arrow::Array>> key_arrays(
        arrays.begin(), arrays.begin() + static_cast<int64_t>(spec.key_columns.size()));
    FST_ASSIGN_OR_RAISE(auto keys, KeyColumns::Make(key_arrays, spec.key_columns));
    FST_RETURN_NOT_OK(entities.keys->CheckComparable(keys));
    const size_t nkeys = spec.key_columns.size();
    FeatureRun run;
    run.keys = &keys;
    run.ts = RawInt64(arrays[nkeys]);
    run.seq = RawInt64(arrays[nkeys + 1]);
    run.created = CreatedTimes(spec.created_column.empty() ? nullptr : arrays[nkeys + 2],
                               &created_fill);
    run.length = n;
    run.first_row = first_row;
    // The entity rows whose keys lie within the row group's.
    const int64_t begin = FirstFalse(0, entities.length, [&](int64_t i) {
      return entities.keys->Compare(i, keys, 0) < 0;
    });
    const int64_t end = FirstFalse(begin, entities.length, [&](int64_t i) {
      return keys.Compare(n - 1, *entities.keys, i) >= 0;
    });
    PitMergeRunRange(entities, begin, end, run, run_index, spec.window, matches, threads);
    first_row += n;
  }
  return Status::OK();
}

// One value column of the result, filled row group by row group. Fixed-width values are
// written straight to their entity rows; other columns (strings) are taken into compact
// chunks, put in entity order at the end.
class ValueColumn {
 public:
  ValueColumn(std::shared_ptr<arrow::DataType> type, int64_t length)
      : type_(std::move(type)), length_(length) {
    const auto* fixed = dynamic_cast<const arrow::FixedWidthType*>(type_.get());
    const bool plain = type_->id() != arrow::Type::DICTIONARY && type_->id() != arrow::Type::EXTENSION;
    if (fixed != nullptr && plain && fixed->bit_width() >= 8 && fixed->bit_width() % 8 == 0) {
      width_ = fixed->bit_width() / 8;
    }
  }

  bool compact() const { return width_ == 0; }

  Status Init() {
    if (compact()) return Status::OK();
    FST_ASSIGN_OR_RAISE(values_, arrow::AllocateBuffer(length_ * width_));
    std::memset(values_->mutable_data(), 0, static_cast<size_t>(values_->size()));
    FST_ASSIGN_OR_RAISE(validity_, arrow::AllocateEmptyBitmap(length_));
    return Status::OK();
  }

  // Rows `local[k]` of `chunk` go to entity rows `targets[k]`.
  Status Add(std::shared_ptr<arrow::Array> chunk, const std::vector<int64_t>& local,
             const std::vector<int64_t>& targets) {
    if (!chunk->type()->Equals(type_)) {
      // Written under an older, narrower schema.
      FST_ASSIGN_OR_RAISE(chunk, arrow::compute::Cast(*chunk, type_));
    }
    if (compact()) {
      auto rows = std::make_shared<arrow::Int64Array>(static_cast<int64_t>(local.size()),
                                                      arrow::Buffer::Wrap(local));
      FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(chunk, rows));
      chunks_.push_back(datum.make_array());
      return Status::OK();
    }
    const uint8_t* from = chunk->data()->GetValues<uint8_t>(1, chunk->offset() * width_);
    uint8_t* to = values_->mutable_data();
    uint8_t* valid = validity_->mutable_data();
    for (size_t k = 0; k < local.size(); ++k) {
      if (chunk->IsNull(local[k])) continue;
      std::memcpy(to + targets[k] * width_, from + local[k] * width_, static_cast<size_t>(width_));
      arrow::bit_util::SetBit(valid, targets[k]);
    }
    return Status::OK();
  }

  // The column in entity order; `take_index` puts compact chunks there.
  Result<std::shared_ptr<arrow::Array>> Finish(const std::shared_ptr<arrow::Array>& take_index) {
    if (!compact()) {
      const int64_t valid = arrow::internal::CountSetBits(validity_->data(), 0, length_);
      std::shared_ptr<arrow::Buffer> bitmap = valid == length_ ? nullptr : validity_;
      return arrow::MakeArray(
          arrow::ArrayData::Make(type_, length_, {bitmap, values_}, length_ - valid));
    }
    std::shared_ptr<arrow::Array> all;
    if (chunks_.empty()) {
      FST_ASSIGN_OR_RAISE(all, arrow::MakeEmptyArray(type_));
    } else {
      FST_ASSIGN_OR_RAISE(all, arrow::Concatenate(chunks_));
    }
    FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(all, take_index));
    return datum.make_array();
  }

 private:
  std::shared_ptr<arrow::DataType> type_;
  int64_t length_;
  int width_ = 0;  // bytes per value; 0: compact chunks
  std::shared_ptr<arrow::Buffer> values_;
  std::shared_ptr<arrow::Buffer> validity_;
  std::vector<std::shared_ptr<arrow::Array>> chunks_;
};

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
  // One file's columns at a time, the buffers reused file after file.
  ColumnScratch scratch;
  for (size_t f = 0; f < files.size() && !order.empty(); ++f) {
    const PartRef& file = files[f];
    if (file.min_ts > max_t || file.max_ts < spec.window.min_ts) continue;
    if (!core::WithinTtl(file.max_ts, min_t, spec.window.ttl_us)) continue;
    FST_ASSIGN_OR_RAISE(auto part, OpenKeysAndTimes(file, spec));
    if (Streamable(*part, file, spec)) {
      FST_RETURN_NOT_OK(
          MergeStreamed(*part, spec, entities, static_cast<int32_t>(f), &matches, threads));
      continue;
    }
    FST_ASSIGN_OR_RAISE(auto loaded, LoadRun(part.get(), file, spec, threads, &scratch));
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
  std::vector<ValueColumn> columns;
  bool any_compact = false;
  for (size_t c = 0; c < ncols; ++c) {
    columns.emplace_back(spec.value_types[c], n);
    FST_RETURN_NOT_OK(columns.back().Init());
    any_compact = any_compact || columns.back().compact();
  }
  // The position of each entity row's winner among the compact columns' gathered rows.
  std::vector<int64_t> gather_index(any_compact ? static_cast<size_t>(n) : 0, -1);
  int64_t gathered = 0;
  std::vector<int64_t> local;
  std::vector<int64_t> targets;
  for (size_t f = 0; f < files.size() && ncols > 0; ++f) {
    const std::vector<int64_t>& rows = rows_by_file[f];
    if (rows.empty()) continue;
    // Row group by row group, only those holding a winner: the values of one row group are
    // decoded at a time and only the winners' are kept.
    FST_ASSIGN_OR_RAISE(auto part,
                        PartRowGroups::Open(files[f], spec.value_columns, spec.value_types));
    std::vector<std::vector<size_t>> winners(static_cast<size_t>(part->num_row_groups()));
    for (size_t k = 0; k < rows.size(); ++k) {
      winners[static_cast<size_t>(part->RowGroupOf(rows[k]))].push_back(k);
    }
    for (int rg = 0; rg < part->num_row_groups(); ++rg) {
      const std::vector<size_t>& in_group = winners[static_cast<size_t>(rg)];
      if (in_group.empty()) continue;
      FST_ASSIGN_OR_RAISE(auto arrays, part->Read(rg));
      local.clear();
      targets.clear();
      for (size_t k : in_group) {
        local.push_back(rows[k] - part->row_group_start(rg));
        targets.push_back(targets_by_file[f][k]);
      }
      for (size_t c = 0; c < ncols; ++c) {
        FST_RETURN_NOT_OK(columns[c].Add(arrays[c], local, targets));
      }
      if (any_compact) {
        for (int64_t target : targets) gather_index[static_cast<size_t>(target)] = gathered++;
      }
    }
  }

  // Event times of the winners, and the compact columns put in input order.
  PitResult result;
  result.orders.assign(static_cast<size_t>(n), RowOrder{});
  std::vector<int64_t> winner_ts(static_cast<size_t>(n), 0);
  std::vector<bool> matched(static_cast<size_t>(n), false);
  for (size_t i = 0; i < matches.size(); ++i) {
    if (matches[i].run < 0) continue;
    const size_t target = static_cast<size_t>(order[i]);
    winner_ts[target] = matches[i].order.ts;
    matched[target] = true;
    result.orders[target] = matches[i].order;
  }
  arrow::Int64Builder event_ts;
  FST_RETURN_NOT_OK(event_ts.AppendValues(winner_ts, matched));
  FST_RETURN_NOT_OK(event_ts.Finish(&result.event_ts));
  std::shared_ptr<arrow::Array> take_index;
  if (any_compact) {
    arrow::Int64Builder index_builder;
    FST_RETURN_NOT_OK(index_builder.Reserve(n));
    for (int64_t at : gather_index) {
      if (at < 0) {
        index_builder.UnsafeAppendNull();
      } else {
        index_builder.UnsafeAppend(at);
      }
    }
    FST_RETURN_NOT_OK(index_builder.Finish(&take_index));
  }
  for (auto& column : columns) {
    FST_ASSIGN_OR_RAISE(auto values, column.Finish(take_index));
    result.values.push_back(values);
  }
  return result;
}

}  // namespace fst::offline
