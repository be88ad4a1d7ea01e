#include "featherstone/offline/window_join.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <thread>
#include <utility>

#include <arrow/array/concatenate.h>
#include <arrow/buffer.h>
#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/datum.h>
#include <arrow/util/bit_util.h>

#include "featherstone/core/arrow_init.h"
#include "featherstone/offline/historical_join_reader.h"
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
  const int64_t* created = nullptr;    // the created times when there is no null among them,
  std::vector<int64_t> created_filled;  // else these: null (or no created column) -> INT64_MIN
  int64_t length = 0;

  RowOrder Order(int64_t i) const {
    return RowOrder{ts[i], created_filled.empty() ? created[i] : created_filled[static_cast<size_t>(i)],
                    seq[i]};
  }
};

// The row groups of `part` whose statistics of the first join key allow keys of `range`
// (every row group when the part records no statistics).
Result<std::vector<int>> RowGroupsOf(const PartRowGroups& part, const WindowSpec& spec,
                                     const KeyRange& range) {
  std::vector<int> groups;
  FST_ASSIGN_OR_RAISE(auto bounds, part.ColumnBounds(spec.key_columns.front()));
  KeyColumns first, mins, maxes;
  bool known = bounds.min != nullptr;
  if (known) {
    const std::vector<std::string> name = {spec.key_columns.front()};
    FST_ASSIGN_OR_RAISE(first, KeyColumns::Make({range.keys->arrays().front()}, name));
    FST_ASSIGN_OR_RAISE(mins, KeyColumns::Make({bounds.min}, name));
    FST_ASSIGN_OR_RAISE(maxes, KeyColumns::Make({bounds.max}, name));
    known = first.CheckComparable(mins).ok();
  }
  for (int rg = 0; rg < part.num_row_groups(); ++rg) {
    if (known && !mins.IsNull(rg) && !maxes.IsNull(rg) &&
        (maxes.Compare(rg, first, range.first) < 0 || mins.Compare(rg, first, range.last) > 0)) {
      continue;
    }
    groups.push_back(rg);
  }
  return groups;
}

// The rows of `part` whose keys lie in `range` and times in [min_ts, max_ts], read from the
// row groups that can hold them, one at a time: memory holds those rows and one row group.
Result<std::vector<std::shared_ptr<arrow::Array>>> ReadKeyRange(PartRowGroups& part,
                                                                const WindowSpec& spec,
                                                                const KeyRange& range,
                                                                int64_t min_ts, int64_t max_ts) {
  const size_t nk = spec.key_columns.size();
  FST_ASSIGN_OR_RAISE(auto groups, RowGroupsOf(part, spec, range));
  std::vector<arrow::ArrayVector> pieces(part.types().size());
  std::vector<int64_t> keep;
  for (int rg : groups) {
    FST_ASSIGN_OR_RAISE(auto arrays, part.Read(rg));
    std::vector<std::shared_ptr<arrow::Array>> key_arrays(arrays.begin(), arrays.begin() + nk);
    FST_ASSIGN_OR_RAISE(auto keys, KeyColumns::Make(key_arrays, spec.key_columns));
    FST_RETURN_NOT_OK(range.keys->CheckComparable(keys));
    const int64_t* ts = arrays[nk]->data()->GetValues<int64_t>(1);
    keep.clear();
    for (int64_t i = 0; i < keys.length(); ++i) {
      if (ts[i] >= min_ts && ts[i] <= max_ts && range.keys->Compare(range.first, keys, i) <= 0 &&
          keys.Compare(i, *range.keys, range.last) <= 0) {
        keep.push_back(i);
      }
    }
    if (keep.empty()) continue;
    if (static_cast<int64_t>(keep.size()) < keys.length()) {
      FST_RETURN_NOT_OK(TakeAll(&arrays, keep));
    }
    for (size_t c = 0; c < arrays.size(); ++c) pieces[c].push_back(std::move(arrays[c]));
  }
  std::vector<std::shared_ptr<arrow::Array>> out;
  for (size_t c = 0; c < pieces.size(); ++c) {
    FST_ASSIGN_OR_RAISE(auto column, Concat(pieces[c], part.types()[c]));
    out.push_back(std::move(column));
  }
  return out;
}

Result<SortedRun> LoadRun(const PartRef& file, const WindowSpec& spec,
                          const std::vector<std::string>& names,
                          const std::vector<std::shared_ptr<arrow::DataType>>& types,
                          int64_t min_ts, int64_t max_ts, int threads, const KeyRange* range) {
  const size_t nk = spec.key_columns.size();
  // A row group at a time: the decoded row groups' buffers are freed and filled again rather
  // than the whole file decoded into fresh memory and then concatenated into more.
  FST_ASSIGN_OR_RAISE(auto part, PartRowGroups::Open(file, names, types));
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  if (range == nullptr) {
    ColumnScratch scratch;  // the run keeps the arrays: buffers of its own
    FST_ASSIGN_OR_RAISE(arrays, ReadWholeColumns(*part, &scratch));
  } else {
    FST_ASSIGN_OR_RAISE(arrays, ReadKeyRange(*part, spec, *range, min_ts, max_ts));
  }
  SortedRun run;
  for (size_t c = 0; c < arrays.size(); ++c) {
    std::shared_ptr<arrow::Array> flat = std::move(arrays[c]);
    if (c >= nk + 3 && !flat->type()->Equals(types[c])) {
      FST_ASSIGN_OR_RAISE(flat, arrow::compute::Cast(*flat, types[c]));
    }
    // A join key widened from int32 (schema evolution): parts of both widths compare.
    if (c < nk && flat->type_id() == arrow::Type::INT32) {
      FST_ASSIGN_OR_RAISE(flat, arrow::compute::Cast(*flat, arrow::int64()));
    }
    run.arrays.push_back(flat);
  }
  // Events outside [min_ts, max_ts] fall in no window, and those of excluded ingests are not
  // there: dropped, keeping the order.
  const int64_t n = run.arrays[nk]->length();
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
    const auto& created = run.arrays[nk + 2];
    run.created = created->data()->GetValues<int64_t>(1);
    run.created_filled.clear();
    if (run.length > 0 && (spec.created_column.empty() || created->null_count() > 0)) {
      run.created_filled.assign(static_cast<size_t>(run.length), std::numeric_limits<int64_t>::min());
      if (!spec.created_column.empty()) {
        for (int64_t i = 0; i < run.length; ++i) {
          if (created->IsValid(i)) run.created_filled[static_cast<size_t>(i)] = run.created[i];
        }
      }
    }
    return Status::OK();
  };
  FST_RETURN_NOT_OK(bind());
  if (part->sort_keys() != spec.key_columns) {
    // Written for other join keys (or none): sort this run for ours.
    std::vector<int64_t> order = SortByKeys(
        run.keys, [&](int64_t a, int64_t b) { return run.Order(a) < run.Order(b); }, threads);
    FST_RETURN_NOT_OK(TakeAll(&run.arrays, order));
    FST_RETURN_NOT_OK(bind());
  }
  return run;
}

// An event's place in the runs: the run in the bits above kRowBits, the row below.
constexpr int kRowBits = 40;
int64_t Source(size_t run, int64_t row) { return static_cast<int64_t>(run) << kRowBits | row; }
size_t SourceRun(int64_t source) { return static_cast<size_t>(source >> kRowBits); }
int64_t SourceRow(int64_t source) { return source & ((int64_t{1} << kRowBits) - 1); }

// Rows [begin[r], end[r]) of each run r.
struct RunRanges {
  std::vector<int64_t> begin, end;
  int64_t size() const {
    int64_t n = 0;
    for (size_t r = 0; r < begin.size(); ++r) n += end[r] - begin[r];
    return n;
  }
};

// Splits the runs' rows at a key into two ranges that share no key, each of about half the
// rows when the keys allow: the merge of each is then a contiguous part of the whole merge.
std::pair<RunRanges, RunRanges> SplitByKey(const std::vector<SortedRun>& runs) {
  RunRanges low, high;
  size_t longest = 0;
  for (size_t r = 0; r < runs.size(); ++r) {
    if (runs[r].length > runs[longest].length) longest = r;
  }
  const KeyColumns& split_keys = runs[longest].keys;
  const int64_t split_row = runs[longest].length / 2;
  for (const SortedRun& run : runs) {
    // The first row whose key is not below the split key.
    int64_t lo = 0, hi = run.length;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (run.keys.Compare(mid, split_keys, split_row) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    low.begin.push_back(0);
    low.end.push_back(lo);
    high.begin.push_back(lo);
    high.end.push_back(run.length);
  }
  return {std::move(low), std::move(high)};
}

// Calls emit(run, row) for every row of `ranges` in (keys, ts, created, seq) order.
template <typename Emit>
void MergeRuns(const std::vector<SortedRun>& runs, const RunRanges& ranges, Emit emit) {
  auto after = [&](const std::pair<size_t, int64_t>& a, const std::pair<size_t, int64_t>& b) {
    const SortedRun& x = runs[a.first];
    const SortedRun& y = runs[b.first];
    const int c = x.keys.Compare(a.second, y.keys, b.second);
    if (c != 0) return c > 0;
    return y.Order(b.second) < x.Order(a.second);
  };
  std::vector<std::pair<size_t, int64_t>> heap;  // the next row of each run, smallest on top
  for (size_t r = 0; r < runs.size(); ++r) {
    if (ranges.begin[r] < ranges.end[r]) heap.emplace_back(r, ranges.begin[r]);
  }
  std::make_heap(heap.begin(), heap.end(), after);
  while (!heap.empty()) {
    auto& top = heap.front();
    emit(top.first, top.second);
    if (++top.second == ranges.end[top.first]) {
      std::pop_heap(heap.begin(), heap.end(), after);
      heap.pop_back();
      continue;
    }
    // The top's next row sifts down in place: one pass instead of a pop and a push.
    const std::ptrdiff_t size = static_cast<std::ptrdiff_t>(heap.size());
    std::ptrdiff_t i = 0;
    while (true) {
      std::ptrdiff_t child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && after(heap[static_cast<size_t>(child)], heap[static_cast<size_t>(child + 1)])) ++child;
      if (!after(heap[static_cast<size_t>(i)], heap[static_cast<size_t>(child)])) break;
      std::swap(heap[static_cast<size_t>(i)], heap[static_cast<size_t>(child)]);
      i = child;
    }
  }
}

// Runs fn(0), ..., fn(n - 1): the last on this thread, the others on a thread each.
template <typename Fn>
void OnThreads(size_t n, Fn fn) {
  std::vector<std::thread> others;
  for (size_t i = 0; i + 1 < n; ++i) others.emplace_back(fn, i);
  if (n > 0) fn(n - 1);
  for (auto& thread : others) thread.join();
}

// Column c of the runs with its rows in `sources` order. Fixed-width values are copied one by
// one from their run (threads > 1: each half of the rows on a thread); other types through a
// concatenation of the runs' columns and a Take.
Result<std::shared_ptr<arrow::Array>> Gather(const std::vector<SortedRun>& runs, size_t c,
                                             const std::vector<int64_t>& sources, int threads) {
  const std::shared_ptr<arrow::DataType>& type = runs.front().arrays[c]->type();
  const auto* fixed = dynamic_cast<const arrow::FixedWidthType*>(type.get());
  const auto n = static_cast<int64_t>(sources.size());
  if (fixed == nullptr || fixed->bit_width() % 8 != 0 || type->id() == arrow::Type::DICTIONARY) {
    std::vector<int64_t> offsets, global;
    int64_t total = 0;
    arrow::ArrayVector pieces;
    for (const auto& run : runs) {
      offsets.push_back(total);
      total += run.length;
      pieces.push_back(run.arrays[c]);
    }
    global.reserve(sources.size());
    for (int64_t s : sources) global.push_back(offsets[SourceRun(s)] + SourceRow(s));
    FST_ASSIGN_OR_RAISE(auto all, Concat(pieces, type));
    return TakeArray(all, IndexArray(global));
  }
  const int64_t width = fixed->bit_width() / 8;
  std::vector<const uint8_t*> values;
  bool nulls = false;
  for (const auto& run : runs) {
    const arrow::ArrayData& data = *run.arrays[c]->data();
    values.push_back(data.buffers[1]->data() + data.offset * width);
    nulls |= run.arrays[c]->null_count() > 0;
  }
  FST_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> out, arrow::AllocateBuffer(n * width));
  std::shared_ptr<arrow::Buffer> validity;
  if (nulls) {
    FST_ASSIGN_OR_RAISE(validity, arrow::AllocateEmptyBitmap(n));
  }
  // Halves split at a multiple of 8 rows: the threads set bits of different bytes.
  const std::vector<int64_t> bounds =
      threads > 1 ? std::vector<int64_t>{0, (n / 2) & ~int64_t{7}, n} : std::vector<int64_t>{0, n};
  std::vector<int64_t> null_counts(bounds.size() - 1, 0);
  OnThreads(bounds.size() - 1, [&](size_t part) {
    uint8_t* dest = out->mutable_data();
    for (int64_t i = bounds[part]; i < bounds[part + 1]; ++i) {
      const int64_t s = sources[static_cast<size_t>(i)];
      const size_t run = SourceRun(s);
      const int64_t row = SourceRow(s);
      std::memcpy(dest + i * width, values[run] + row * width, static_cast<size_t>(width));
      if (!nulls) continue;
      if (runs[run].arrays[c]->IsValid(row)) {
        arrow::bit_util::SetBit(validity->mutable_data(), i);
      } else {
        ++null_counts[part];
      }
    }
  });
  int64_t null_count = 0;
  for (int64_t count : null_counts) null_count += count;
  return arrow::MakeArray(arrow::ArrayData::Make(type, n, {validity, out}, null_count));
}

}  // namespace

Result<KeyedEvents> LoadKeyedEvents(const std::vector<PartRef>& files, const WindowSpec& spec,
                                    int64_t min_ts, int64_t max_ts, int threads, bool orders,
                                    const KeyRange* range) {
  FST_RETURN_NOT_OK(core::EnsureArrowCompute());
  std::vector<std::string> names = spec.key_columns;
  names.push_back(spec.ts_column);
  names.push_back(kSeqColumn);
  names.push_back(spec.created_column.empty() ? kSeqColumn : spec.created_column);
  for (const auto& c : spec.columns) names.push_back(c);
  std::vector<std::shared_ptr<arrow::DataType>> types(names.size(), arrow::int64());
  const size_t nk = spec.key_columns.size();
  for (size_t c = 0; c < spec.types.size(); ++c) types[nk + 3 + c] = spec.types[c];

  // The files that can hold events of [min_ts, max_ts], read on up to `threads` threads (each
  // thread every threads-th file, in listing order).
  std::vector<const PartRef*> wanted;
  for (const auto& file : files) {
    if (file.max_ts >= min_ts && file.min_ts <= max_ts) wanted.push_back(&file);
  }
  std::vector<Result<SortedRun>> loaded(wanted.size(), Status::Invalid("part file not read"));
  const size_t readers = std::min(wanted.size(), static_cast<size_t>(std::max(threads, 1)));
  OnThreads(readers, [&](size_t reader) {
    for (size_t f = reader; f < wanted.size(); f += readers) {
      loaded[f] = LoadRun(*wanted[f], spec, names, types, min_ts, max_ts, threads, range);
    }
  });
  std::vector<SortedRun> runs;
  for (auto& run : loaded) {
    FST_RETURN_NOT_OK(run.status());
    if (run->length > 0) runs.push_back(std::move(*run));
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
    if (orders) {
      events.orders.reserve(static_cast<size_t>(run.length));
      for (int64_t i = 0; i < run.length; ++i) events.orders.push_back(run.Order(i));
    }
    events.columns.assign(run.arrays.begin() + static_cast<std::ptrdiff_t>(nk + 3),
                          run.arrays.end());
    return events;
  }
  // Several runs: merged, then every column gathered in merged order. With two threads, the
  // keys below and from a split key are merged (and gathered) on a thread each.
  for (size_t r = 0; r < runs.size(); ++r) {
    FST_RETURN_NOT_OK(runs[0].keys.CheckComparable(runs[r].keys));
    if ((runs[r].length >> kRowBits) != 0) {
      return Status::Invalid("a part file of ", runs[r].length, " rows: at most 2^40 are read");
    }
  }
  std::vector<RunRanges> parts;
  if (threads > 1) {
    auto [low, high] = SplitByKey(runs);
    parts = {std::move(low), std::move(high)};
  } else {
    RunRanges all;
    for (const auto& run : runs) {
      all.begin.push_back(0);
      all.end.push_back(run.length);
    }
    parts = {std::move(all)};
  }
  std::vector<int64_t> part_begin = {0};
  for (const auto& part : parts) part_begin.push_back(part_begin.back() + part.size());
  const auto total = static_cast<size_t>(part_begin.back());
  std::vector<int64_t> sources(total);
  events.ts.resize(total);
  if (orders) events.orders.resize(total);
  auto merge = [&](size_t p) {
    auto i = static_cast<size_t>(part_begin[p]);
    MergeRuns(runs, parts[p], [&](size_t r, int64_t row) {
      sources[i] = Source(r, row);
      events.ts[i] = runs[r].ts[row];
      if (orders) events.orders[i] = runs[r].Order(row);
      ++i;
    });
  };
  OnThreads(parts.size(), merge);
  std::vector<std::shared_ptr<arrow::Array>> gathered;
  for (size_t c = 0; c < names.size(); ++c) {
    if (c >= nk && c < nk + 3) continue;
    FST_ASSIGN_OR_RAISE(auto column, Gather(runs, c, sources, threads));
    gathered.push_back(std::move(column));
  }
  std::vector<std::shared_ptr<arrow::Array>> keys(gathered.begin(), gathered.begin() + nk);
  FST_ASSIGN_OR_RAISE(events.keys, KeyColumns::Make(keys, spec.key_columns));
  events.columns.assign(gathered.begin() + static_cast<std::ptrdiff_t>(nk), gathered.end());
  return events;
}

namespace {

// Bytes an event is estimated to take while a pass holds it: its key, time, sequence and
// created time and the aggregated columns (strings counted at kStringBytes), twice (the runs
// and their merged copy), plus the merge's row sources and times.
constexpr int64_t kStringBytes = 32;

int64_t EventBytes(const WindowSpec& spec) {
  int64_t row = 8 * static_cast<int64_t>(spec.key_columns.size()) + 24;
  for (const auto& type : spec.types) {
    const auto* fixed = dynamic_cast<const arrow::FixedWidthType*>(type.get());
    row += fixed != nullptr && fixed->bit_width() >= 8 ? fixed->bit_width() / 8 : kStringBytes;
  }
  return 2 * row + 16;
}

// The row groups of the parts a window join reads, with the bounds of their first join key, to
// estimate how many events a key range holds.
class EventEstimate {
 public:
  static Result<EventEstimate> Make(const std::vector<PartRef>& files, const WindowSpec& spec,
                                    int64_t min_ts, int64_t max_ts, const KeyColumns& entity_keys) {
    EventEstimate estimate;
    const std::vector<std::string> name = {spec.key_columns.front()};
    FST_ASSIGN_OR_RAISE(estimate.first_,
                        KeyColumns::Make({entity_keys.arrays().front()}, name));
    for (const auto& file : files) {
      if (file.max_ts < min_ts || file.min_ts > max_ts) continue;
      FST_ASSIGN_OR_RAISE(auto part, PartRowGroups::Open(file, name, {arrow::int64()}));
      FST_ASSIGN_OR_RAISE(auto bounds, part->ColumnBounds(name.front()));
      Part out;
      for (int rg = 0; rg < part->num_row_groups(); ++rg) {
        out.rows.push_back(part->row_group_start(rg + 1) - part->row_group_start(rg));
        estimate.total_ += out.rows.back();
      }
      if (bounds.min != nullptr) {
        FST_ASSIGN_OR_RAISE(out.mins, KeyColumns::Make({bounds.min}, name));
        FST_ASSIGN_OR_RAISE(out.maxes, KeyColumns::Make({bounds.max}, name));
        out.known = estimate.first_.CheckComparable(out.mins).ok();
      }
      estimate.parts_.push_back(std::move(out));
    }
    return estimate;
  }

  // Events of every part read.
  int64_t total() const { return total_; }

  // Events of the row groups that may hold keys of entity rows [first, last] (sorted).
  int64_t Events(int64_t first, int64_t last) const {
    int64_t events = 0;
    for (const Part& part : parts_) {
      for (size_t rg = 0; rg < part.rows.size(); ++rg) {
        const auto g = static_cast<int64_t>(rg);
        if (part.known && !part.mins.IsNull(g) && !part.maxes.IsNull(g) &&
            (part.maxes.Compare(g, first_, first) < 0 || part.mins.Compare(g, first_, last) > 0)) {
          continue;
        }
        events += part.rows[rg];
      }
    }
    return events;
  }

 private:
  struct Part {
    std::vector<int64_t> rows;  // per row group
    KeyColumns mins, maxes;     // per row group, when `known`
    bool known = false;
  };
  KeyColumns first_;  // the entity rows' first join key
  std::vector<Part> parts_;
  int64_t total_ = 0;
};

// The entity rows [0, n) of `keys` (sorted, no nulls) split at key changes into passes
// [begin, end) whose estimated events fit `max_events`. A pass whose first key alone does not
// fit (the estimate counts whole row groups) takes the keys its row groups cover: the estimate
// cannot shrink below them, and more passes would read the same row groups again.
std::vector<std::pair<int64_t, int64_t>> SplitPasses(const KeyColumns& keys, int64_t n,
                                                     const EventEstimate& estimate,
                                                     int64_t max_events) {
  std::vector<std::pair<int64_t, int64_t>> passes;
  int64_t begin = 0;
  while (begin < n) {
    // The smallest pass: `begin`'s key.
    int64_t end = begin + 1;
    while (end < n && keys.Equal(end, keys, begin)) ++end;
    const int64_t cap = std::max(max_events, estimate.Events(begin, end - 1));
    // The longest that fits (the estimate grows with the end), cut back to a key change.
    int64_t lo = end, hi = n;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo + 1) / 2;
      if (estimate.Events(begin, mid - 1) <= cap) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    while (lo > end && lo < n && keys.Equal(lo, keys, lo - 1)) --lo;
    passes.emplace_back(begin, lo);
    begin = lo;
  }
  return passes;
}

}  // namespace

Result<std::vector<std::shared_ptr<arrow::Array>>> WindowJoinFiles(
    const std::vector<PartRef>& files, const std::vector<std::shared_ptr<arrow::Array>>& entity_keys,
    const std::vector<int64_t>& entity_ts, const WindowSpec& spec, int threads,
    int64_t memory_limit) {
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
  const int64_t nq = static_cast<int64_t>(order.size());  // queries with a key
  KeyColumns sorted_keys;
  if (nq > 0) {
    auto order_array = IndexArray(order);
    std::vector<std::shared_ptr<arrow::Array>> sorted;
    for (const auto& array : entity_keys) {
      FST_ASSIGN_OR_RAISE(auto taken, TakeArray(array, order_array));
      sorted.push_back(taken);
    }
    FST_ASSIGN_OR_RAISE(sorted_keys, KeyColumns::Make(sorted, spec.key_columns));
  }
  // The event times the windows of the keyed queries read.
  int64_t min_t = std::numeric_limits<int64_t>::max();
  int64_t max_t = std::numeric_limits<int64_t>::min();
  for (int64_t q = 0; q < nq; ++q) {
    min_t = std::min(min_t, query_ts[static_cast<size_t>(q)]);
    max_t = std::max(max_t, query_ts[static_cast<size_t>(q)]);
  }

  // Passes over the queries with a key: one, or (with a limit the events exceed) key ranges;
  // the last pass also answers the queries without a key (empty windows).
  // Every pass loads the events of the whole time range: a key's events then start where one
  // pass would start them, and the sliding sums (transform/window_aggregation.cc) round alike.
  const int64_t min_ts = WindowFirstTime(min_t, max_window);
  const int64_t max_ts = max_t;
  std::vector<std::pair<int64_t, int64_t>> passes = {{0, nq}};
  if (memory_limit > 0 && nq > 0) {
    FST_ASSIGN_OR_RAISE(auto estimate,
                        EventEstimate::Make(files, spec, min_ts, max_ts, sorted_keys));
    const int64_t max_events = std::max<int64_t>(memory_limit / EventBytes(spec), 1);
    if (estimate.total() > max_events) {
      passes = SplitPasses(sorted_keys, nq, estimate, max_events);
    }
  }
  std::vector<std::vector<std::shared_ptr<arrow::Array>>> pass_results;
  for (size_t p = 0; p < passes.size(); ++p) {
    const auto [begin, end] = passes[p];
    const int64_t query_end =
        p + 1 == passes.size() ? static_cast<int64_t>(query_ts.size()) : end;
    KeyedEvents events;
    if (end > begin) {
      const KeyRange range{&sorted_keys, begin, end - 1};
      FST_ASSIGN_OR_RAISE(events, LoadKeyedEvents(files, spec, min_ts, max_ts, threads,
                                                  /*orders=*/false,
                                                  passes.size() > 1 ? &range : nullptr));
    }
    std::vector<transform::QueryGroup> groups;  // query indexes relative to `begin`
    if (end > begin && !events.ts.empty()) {
      FST_RETURN_NOT_OK(sorted_keys.CheckComparable(events.keys));
      const int64_t ne = static_cast<int64_t>(events.ts.size());
      int64_t e = 0;
      int64_t q = begin;
      while (q < end && e < ne) {
        const int c = events.keys.Compare(e, sorted_keys, q);
        if (c < 0) {
          ++e;
          continue;
        }
        int64_t q_end = q + 1;
        while (q_end < end && sorted_keys.Equal(q_end, sorted_keys, q)) ++q_end;
        if (c == 0) {
          int64_t e_end = e + 1;
          while (e_end < ne && events.keys.Equal(e_end, events.keys, e)) ++e_end;
          groups.push_back({e, e_end, q - begin, q_end - begin});
          e = e_end;
        }
        q = q_end;
      }
    }
    transform::Events view{events.ts.data(), static_cast<int64_t>(events.ts.size()),
                           events.columns};
    if (view.columns.empty()) {
      for (const auto& type : spec.types) {
        FST_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(type));
        view.columns.push_back(empty);
      }
    }
    FST_ASSIGN_OR_RAISE(auto results, transform::AggregateWindows(
                                          view, groups, query_ts.data() + begin,
                                          query_end - begin, spec.requests, threads));
    pass_results.push_back(std::move(results));
  }
  auto back = IndexArray(query_of);
  std::vector<std::shared_ptr<arrow::Array>> out;
  for (size_t r = 0; r < spec.requests.size(); ++r) {
    arrow::ArrayVector pieces;
    for (const auto& results : pass_results) pieces.push_back(results[r]);
    FST_ASSIGN_OR_RAISE(auto all, Concat(pieces, pieces.front()->type()));
    FST_ASSIGN_OR_RAISE(auto array, TakeArray(all, back));
    out.push_back(array);
  }
  return out;
}

}  // namespace fst::offline
