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
  if (arrays.size() == 1) return arrays.front();
  return arrow::Concatenate(arrays);
}

std::shared_ptr<arrow::Array> IndexArray(const std::vector<int64_t>& values) {
  return std::make_shared<arrow::Int64Array>(static_cast<int64_t>(values.size()),
                                             arrow::Buffer::Wrap(values));
}

// Replaces every array by its rows at `indices`.
Status TakeAll(std::vector<std::shared_ptr<arrow::Array>>* arrays,
               const std::vector<int64_t>& indices) {
  auto index_array = IndexArray(indices);
  for (auto& array : *arrays) {
    FST_ASSIGN_OR_RAISE(array, TakeArray(array, index_array));
  }
  return Status::OK();
}

// One part file's events inside [min_ts, max_ts], sorted by (keys, ts, created, seq): the
// order the file was written in when it was sorted for these keys, else sorted here.
struct SortedRun {
  std::vector<std::shared_ptr<arrow::Array>> arrays;  // keys, ts, seq, created, columns
  KeyColumns keys;
  const int64_t* ts = nullptr;
  const int64_t* seq = nullptr;
  std::vector<int64_t> created;  // null (or no created column) -> INT64_MIN
  int64_t length = 0;

  RowOrder Order(int64_t i) const {
    return RowOrder{ts[i], created[static_cast<size_t>(i)], seq[i]};
  }
};

Result<SortedRun> LoadRun(const PartRef& file, const WindowSpec& spec,
                          const std::vector<std::string>& names,
                          const std::vector<std::shared_ptr<arrow::DataType>>& types,
                          int64_t min_ts, int64_t max_ts, int threads) {
  const size_t nk = spec.key_columns.size();
  FST_ASSIGN_OR_RAISE(auto table, ReadPart(file, names, types));
  SortedRun run;
  for (int c = 0; c < table->num_columns(); ++c) {
    const auto& chunked = table->column(c);
    FST_ASSIGN_OR_RAISE(auto flat, Concat(chunked->chunks(), chunked->type()));
    if (static_cast<size_t>(c) >= nk + 3 && !flat->type()->Equals(types[static_cast<size_t>(c)])) {
      FST_ASSIGN_OR_RAISE(flat, arrow::compute::Cast(*flat, types[static_cast<size_t>(c)]));
    }
    // A join key widened from int32 (schema evolution): parts of both widths compare.
    if (static_cast<size_t>(c) < nk && flat->type_id() == arrow::Type::INT32) {
      FST_ASSIGN_OR_RAISE(flat, arrow::compute::Cast(*flat, arrow::int64()));
    }
    run.arrays.push_back(flat);
  }
  // Events outside [min_ts, max_ts] fall in no window, and those of excluded ingests are not
  // there: dropped, keeping the order.
  const int64_t n = table->num_rows();
  const int64_t* ts = run.arrays[nk]->data()->GetValues<int64_t>(1);
  auto outside = [&](int64_t i) { return ts[i] < min_ts || ts[i] > max_ts; };
  int64_t inside = 0;
  for (int64_t i = 0; i < n; ++i) inside += !outside(i);
  if (inside < n || !file.excluded_ingests.empty()) {
    std::vector<int64_t> keep = IncludedRows(run.arrays[nk + 1]->data()->GetValues<int64_t>(1),
                                             n, file.excluded_ingests);
    std::erase_if(keep, outside);
    if (static_cast<int64_t>(keep.size()) < n) FST_RETURN_NOT_OK(TakeAll(&run.arrays, keep));
  }

  auto bind = [&]() -> Status {
    std::vector<std::shared_ptr<arrow::Array>> keys(run.arrays.begin(), run.arrays.begin() + nk);
    FST_ASSIGN_OR_RAISE(run.keys, KeyColumns::Make(keys, spec.key_columns));
    run.length = run.arrays[nk]->length();
    run.ts = run.arrays[nk]->data()->GetValues<int64_t>(1);
    run.seq = run.arrays[nk + 1]->data()->GetValues<int64_t>(1);
    run.created.assign(static_cast<size_t>(run.length), std::numeric_limits<int64_t>::min());
    if (!spec.created_column.empty()) {
      const auto& created = run.arrays[nk + 2];
      const int64_t* raw = created->data()->GetValues<int64_t>(1);
      for (int64_t i = 0; i < run.length; ++i) {
        if (created->IsValid(i)) run.created[static_cast<size_t>(i)] = raw[i];
      }
    }
    return Status::OK();
  };
  FST_RETURN_NOT_OK(bind());
  const std::vector<std::string> sort_keys = PartSortKeys(*table);
  if (sort_keys != spec.key_columns) {
    // Written for other join keys (or none): sort this run for ours.
    std::vector<int64_t> order = SortByKeys(
        run.keys, [&](int64_t a, int64_t b) { return run.Order(a) < run.Order(b); }, threads);
    FST_RETURN_NOT_OK(TakeAll(&run.arrays, order));
    FST_RETURN_NOT_OK(bind());
  }
  return run;
}

// The positions (run, row) of every event of `runs` in (keys, ts, created, seq) order.
Result<std::vector<std::pair<int32_t, int64_t>>> MergeRuns(const std::vector<SortedRun>& runs) {
  for (size_t r = 1; r < runs.size(); ++r) {
    FST_RETURN_NOT_OK(runs[0].keys.CheckComparable(runs[r].keys));
  }
  auto after = [&](const std::pair<int32_t, int64_t>& a, const std::pair<int32_t, int64_t>& b) {
    const SortedRun& x = runs[static_cast<size_t>(a.first)];
    const SortedRun& y = runs[static_cast<size_t>(b.first)];
    const int c = x.keys.Compare(a.second, y.keys, b.second);
    if (c != 0) return c > 0;
    return y.Order(b.second) < x.Order(a.second);
  };
  std::vector<std::pair<int32_t, int64_t>> heap;  // the next row of each run, smallest on top
  int64_t total = 0;
  for (size_t r = 0; r < runs.size(); ++r) {
    total += runs[r].length;
    if (runs[r].length > 0) heap.emplace_back(static_cast<int32_t>(r), 0);
  }
  std::make_heap(heap.begin(), heap.end(), after);
  std::vector<std::pair<int32_t, int64_t>> merged;
  merged.reserve(static_cast<size_t>(total));
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), after);
    auto& next = heap.back();
    merged.push_back(next);
    if (++next.second < runs[static_cast<size_t>(next.first)].length) {
      std::push_heap(heap.begin(), heap.end(), after);
    } else {
      heap.pop_back();
    }
  }
  return merged;
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

  std::vector<SortedRun> runs;
  for (const auto& file : files) {
    if (file.max_ts < min_ts || file.min_ts > max_ts) continue;
    FST_ASSIGN_OR_RAISE(auto run, LoadRun(file, spec, names, types, min_ts, max_ts, threads));
    if (run.length > 0) runs.push_back(std::move(run));
  }
  KeyedEvents events;
  if (runs.empty()) {
    std::vector<std::shared_ptr<arrow::Array>> keys;
    for (size_t k = 0; k < nk; ++k) {
      FST_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(arrow::int64()));
      keys.push_back(empty);
    }
    FST_ASSIGN_OR_RAISE(events.keys, KeyColumns::Make(keys, spec.key_columns));
    for (const auto& type : spec.types) {
      FST_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(type));
      events.columns.push_back(empty);
    }
    return events;
  }
  if (runs.size() == 1) {
    SortedRun& run = runs.front();
    events.keys = run.keys;
    events.ts.assign(run.ts, run.ts + run.length);
    events.orders.reserve(static_cast<size_t>(run.length));
    for (int64_t i = 0; i < run.length; ++i) events.orders.push_back(run.Order(i));
    events.columns.assign(run.arrays.begin() + static_cast<std::ptrdiff_t>(nk + 3),
                          run.arrays.end());
    return events;
  }
  // Several runs: merged, then every column gathered in merged order.
  FST_ASSIGN_OR_RAISE(auto merged, MergeRuns(runs));
  std::vector<int64_t> offsets;
  int64_t total = 0;
  for (const auto& run : runs) {
    offsets.push_back(total);
    total += run.length;
  }
  std::vector<int64_t> global;
  global.reserve(merged.size());
  events.ts.reserve(merged.size());
  events.orders.reserve(merged.size());
  for (const auto& [r, row] : merged) {
    global.push_back(offsets[static_cast<size_t>(r)] + row);
    events.ts.push_back(runs[static_cast<size_t>(r)].ts[row]);
    events.orders.push_back(runs[static_cast<size_t>(r)].Order(row));
  }
  merged = {};
  auto global_array = IndexArray(global);
  std::vector<std::shared_ptr<arrow::Array>> gathered;
  for (size_t c = 0; c < names.size(); ++c) {
    if (c >= nk && c < nk + 3) continue;
    arrow::ArrayVector pieces;
    for (const auto& run : runs) pieces.push_back(run.arrays[c]);
    FST_ASSIGN_OR_RAISE(auto all, Concat(pieces, pieces.front()->type()));
    FST_ASSIGN_OR_RAISE(auto taken, TakeArray(all, global_array));
    gathered.push_back(taken);
  }
  std::vector<std::shared_ptr<arrow::Array>> keys(gathered.begin(), gathered.begin() + nk);
  FST_ASSIGN_OR_RAISE(events.keys, KeyColumns::Make(keys, spec.key_columns));
  events.columns.assign(gathered.begin() + static_cast<std::ptrdiff_t>(nk), gathered.end());
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
    FST_ASSIGN_OR_RAISE(events, LoadKeyedEvents(files, spec, WindowFirstTime(min_t, max_window),
                                                max_t, threads));
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
                                                                spec.requests, threads));
  auto back = IndexArray(query_of);
  std::vector<std::shared_ptr<arrow::Array>> out;
  for (const auto& result : results) {
    FST_ASSIGN_OR_RAISE(auto array, TakeArray(result, back));
    out.push_back(array);
  }
  return out;
}

}  // namespace fst::offline
