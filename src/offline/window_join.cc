#include "featherstone/offline/window_join.h"

#include <algorithm>
#include <limits>

#include <arrow/array/concatenate.h>
#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/datum.h>

#include "featherstone/core/arrow_init.h"
#include "featherstone/offline/part_file.h"

namespace fst::offline {
namespace {

Result<std::shared_ptr<arrow::Array>> TakeArray(const std::shared_ptr<arrow::Array>& array,
                                                const std::shared_ptr<arrow::Array>& indices) {
  FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(arrow::Datum(array), arrow::Datum(indices)));
  return datum.make_array();
}

Result<std::shared_ptr<arrow::Array>> Concat(const arrow::ArrayVector& arrays,
                                             const std::shared_ptr<arrow::DataType>& type) {
  if (arrays.empty()) return arrow::MakeEmptyArray(type);
  return arrow::Concatenate(arrays);
}

std::shared_ptr<arrow::Array> IndexArray(const std::vector<int64_t>& values) {
  return std::make_shared<arrow::Int64Array>(static_cast<int64_t>(values.size()),
                                             arrow::Buffer::Wrap(values));
}

}  // namespace

Result<KeyedEvents> LoadKeyedEvents(const std::vector<PartRef>& files, const WindowSpec& spec,
                                    int64_t min_ts, int64_t max_ts, int threads) {
  FST_RETURN_NOT_OK(core::EnsureArrowCompute());
  std::vector<std::string> names = spec.key_columns;
  names.push_back(spec.ts_column);
  names.push_back(kSeqColumn);
  names.push_back(spec.created_column.empty() ? kSeqColumn : spec.created_column);
  for (const auto& c : spec.columns) names.push_back(c);
  std::vector<std::shared_ptr<arrow::DataType>> types(names.size(), arrow::int64());
  const size_t nk = spec.key_columns.size();
  for (size_t c = 0; c < spec.types.size(); ++c) types[nk + 3 + c] = spec.types[c];

  std::vector<arrow::ArrayVector> parts(names.size());
  for (const auto& file : files) {
    if (file.max_ts < min_ts || file.min_ts > max_ts) continue;
    FST_ASSIGN_OR_RAISE(auto table, ReadPartColumns(file.path, names, types));
    // Keep only events inside [min_ts, max_ts].
    auto ts = table->column(static_cast<int>(nk))->chunks();
    std::vector<int64_t> keep;
    int64_t offset = 0;
    for (const auto& chunk : ts) {
      const int64_t* raw = chunk->data()->GetValues<int64_t>(1);
      for (int64_t i = 0; i < chunk->length(); ++i) {
        if (raw[i] >= min_ts && raw[i] <= max_ts) keep.push_back(offset + i);
      }
      offset += chunk->length();
    }
    auto keep_array = IndexArray(keep);
    for (size_t c = 0; c < names.size(); ++c) {
      FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(table->column(static_cast<int>(c)),
                                                           arrow::Datum(keep_array)));
      auto chunked = datum.chunked_array();
      std::shared_ptr<arrow::Array> flat;
      if (chunked->num_chunks() == 1) {
        flat = chunked->chunk(0);
      } else {
        FST_ASSIGN_OR_RAISE(flat, Concat(chunked->chunks(), chunked->type()));
      }
      if (!flat->type()->Equals(types[c]) && c >= nk + 3) {
        FST_ASSIGN_OR_RAISE(flat, arrow::compute::Cast(*flat, types[c]));
      }
      // A join key widened from int32 (schema evolution): parts of both widths concatenate.
      if (c < nk && flat->type_id() == arrow::Type::INT32) {
        FST_ASSIGN_OR_RAISE(flat, arrow::compute::Cast(*flat, arrow::int64()));
      }
      parts[c].push_back(flat);
    }
  }
  std::vector<std::shared_ptr<arrow::Array>> all(names.size());
  for (size_t c = 0; c < names.size(); ++c) {
    std::shared_ptr<arrow::DataType> type = c < nk ? arrow::int64() : types[c];
    if (c < nk && !parts[c].empty()) type = parts[c].front()->type();
    if (c == nk || (c == nk + 2 && !spec.created_column.empty())) {
      type = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
    }
    FST_ASSIGN_OR_RAISE(all[c], Concat(parts[c], type));
  }
  std::vector<std::shared_ptr<arrow::Array>> key_arrays(all.begin(), all.begin() + nk);
  FST_ASSIGN_OR_RAISE(auto keys, KeyColumns::Make(key_arrays, spec.key_columns));
  const int64_t* ts = all[nk]->data()->GetValues<int64_t>(1);
  const int64_t* seq = all[nk + 1]->data()->GetValues<int64_t>(1);
  const auto& created_array = all[nk + 2];
  const int64_t* created = created_array->data()->GetValues<int64_t>(1);
  const bool has_created = !spec.created_column.empty();
  auto order_of = [&](int64_t i) {
    const int64_t c = has_created && created_array->IsValid(i) ? created[i]
                                                               : std::numeric_limits<int64_t>::min();
    return RowOrder{ts[i], c, seq[i]};
  };
  std::vector<int64_t> order = SortByKeys(
      keys, [&](int64_t a, int64_t b) { return order_of(a) < order_of(b); }, threads);
  auto order_array = IndexArray(order);
  KeyedEvents events;
  std::vector<std::shared_ptr<arrow::Array>> sorted_keys;
  for (size_t k = 0; k < nk; ++k) {
    FST_ASSIGN_OR_RAISE(auto array, TakeArray(all[k], order_array));
    sorted_keys.push_back(array);
  }
  FST_ASSIGN_OR_RAISE(events.keys, KeyColumns::Make(sorted_keys, spec.key_columns));
  events.ts.reserve(order.size());
  for (int64_t i : order) events.ts.push_back(ts[i]);
  for (size_t c = 0; c < spec.columns.size(); ++c) {
    FST_ASSIGN_OR_RAISE(auto array, TakeArray(all[nk + 3 + c], order_array));
    events.columns.push_back(array);
  }
  return events;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> WindowJoinFiles(
    const std::vector<PartRef>& files, const std::vector<std::shared_ptr<arrow::Array>>& entity_keys,
    const std::vector<int64_t>& entity_ts, const WindowSpec& spec, int threads) {
  FST_RETURN_NOT_OK(core::EnsureArrowCompute());
  const int64_t n = static_cast<int64_t>(entity_ts.size());
  FST_ASSIGN_OR_RAISE(auto keys, KeyColumns::Make(entity_keys, spec.key_columns));
  std::vector<int64_t> order = SortByKeys(
      keys,
      [&](int64_t a, int64_t b) {
        return entity_ts[a] != entity_ts[b] ? entity_ts[a] < entity_ts[b] : a < b;
      },
      threads);
  int64_t max_window = 0;
  for (const auto& r : spec.requests) max_window = std::max(max_window, r.window_us);
  int64_t min_t = std::numeric_limits<int64_t>::max();
  int64_t max_t = std::numeric_limits<int64_t>::min();
  for (int64_t t : entity_ts) {
    min_t = std::min(min_t, t);
    max_t = std::max(max_t, t);
  }
  KeyedEvents events;
  if (!order.empty()) {
    FST_ASSIGN_OR_RAISE(events, LoadKeyedEvents(files, spec, min_t - max_window + 1, max_t, threads));
  }

  // Queries: entity rows sorted by (keys, t), then the rows with a null key.
  std::vector<int64_t> query_ts;
  std::vector<int64_t> query_of(static_cast<size_t>(n), -1);
  query_ts.reserve(static_cast<size_t>(n));
  for (int64_t i : order) {
    query_of[static_cast<size_t>(i)] = static_cast<int64_t>(query_ts.size());
    query_ts.push_back(entity_ts[static_cast<size_t>(i)]);
  }
  for (int64_t i = 0; i < n; ++i) {
    if (query_of[static_cast<size_t>(i)] < 0) {
      query_of[static_cast<size_t>(i)] = static_cast<int64_t>(query_ts.size());
      query_ts.push_back(entity_ts[static_cast<size_t>(i)]);
    }
  }
  std::vector<transform::QueryGroup> groups;
  if (!order.empty() && !events.ts.empty()) {
    auto order_array = IndexArray(order);
    std::vector<std::shared_ptr<arrow::Array>> sorted;
    for (const auto& array : entity_keys) {
      FST_ASSIGN_OR_RAISE(auto taken, TakeArray(array, order_array));
      sorted.push_back(taken);
    }
    FST_ASSIGN_OR_RAISE(auto sorted_keys, KeyColumns::Make(sorted, spec.key_columns));
    FST_RETURN_NOT_OK(sorted_keys.CheckComparable(events.keys));
    const int64_t ne = static_cast<int64_t>(events.ts.size());
    const int64_t nq = static_cast<int64_t>(order.size());
    int64_t e = 0;
    int64_t q = 0;
    while (q < nq && e < ne) {
      const int c = events.keys.Compare(e, sorted_keys, q);
      if (c < 0) {
        ++e;
        continue;
      }
      int64_t q_end = q + 1;
      while (q_end < nq && sorted_keys.Equal(q_end, sorted_keys, q)) ++q_end;
      if (c == 0) {
        int64_t e_end = e + 1;
        while (e_end < ne && events.keys.Equal(e_end, events.keys, e)) ++e_end;
        groups.push_back({e, e_end, q, q_end});
        e = e_end;
      }
      q = q_end;
    }
  }
  transform::Events view{events.ts.data(), static_cast<int64_t>(events.ts.size()), events.columns};
  if (view.columns.empty()) {
    for (const auto& type : spec.types) {
      FST_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(type));
      view.columns.push_back(empty);
    }
  }
  FST_ASSIGN_OR_RAISE(auto results, transform::AggregateWindows(view, groups, query_ts.data(),
                                                                static_cast<int64_t>(query_ts.size()),
                                                                spec.requests));
  auto back = IndexArray(query_of);
  std::vector<std::shared_ptr<arrow::Array>> out;
  for (const auto& result : results) {
    FST_ASSIGN_OR_RAISE(auto array, TakeArray(result, back));
    out.push_back(array);
  }
  return out;
}

}  // namespace fst::offline
