#include "part_order.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include <arrow/array/util.h>
#include <arrow/buffer.h>
#include <arrow/util/bit_util.h>
#include <arrow/compute/api_vector.h>
#include <arrow/datum.h>

#include "featherstone/core/arrow_init.h"

namespace fst::offline::internal {
namespace {

// One row's ordering columns widened to int64. `row` breaks exact ties as Arrow's stable sort
// does.
struct Entry {
  int64_t key;
  int64_t ts;
  int64_t created;
  int64_t seq;
  uint32_t row;
  bool created_valid;
};

bool Before(const Entry& a, const Entry& b) {
  if (a.key != b.key) return a.key < b.key;
  if (a.ts != b.ts) return a.ts < b.ts;
  if (a.created_valid != b.created_valid) return !a.created_valid;  // nulls first
  if (a.created_valid && a.created != b.created) return a.created < b.created;
  if (a.seq != b.seq) return a.seq < b.seq;
  return a.row < b.row;
}

using Field = int64_t Entry::*;
using Flag = bool Entry::*;

// Writes `chunk`'s values into `field` of out[0..length); with `valid`, whether each is non-null
// (a null's value is 0). False when `chunk` holds a null and `valid` is not given.
template <typename T>
bool FillChunk(const arrow::Array& chunk, Entry* out, Field field, Flag valid) {
  const auto& array = static_cast<const arrow::NumericArray<T>&>(chunk);
  const bool nulls = array.null_count() > 0;
  if (nulls && valid == nullptr) return false;
  const auto* values = array.raw_values();
  for (int64_t i = 0; i < array.length(); ++i) {
    const bool present = !nulls || array.IsValid(i);
    out[i].*field = present ? static_cast<int64_t>(values[i]) : 0;
    if (valid != nullptr) out[i].*valid = present;
  }
  return true;
}

// FillChunk over the chunks of `column`. False for a type other than integer (up to 32-bit
// unsigned, whose values fit int64) or temporal, or a null where `valid` is not given.
bool Fill(const arrow::ChunkedArray& column, std::vector<Entry>& entries, Field field,
          Flag valid) {
  Entry* out = entries.data();
  for (const auto& chunk : column.chunks()) {
    bool ok = false;
    switch (chunk->type_id()) {
      case arrow::Type::INT8: ok = FillChunk<arrow::Int8Type>(*chunk, out, field, valid); break;
      case arrow::Type::INT16: ok = FillChunk<arrow::Int16Type>(*chunk, out, field, valid); break;
      case arrow::Type::INT32: ok = FillChunk<arrow::Int32Type>(*chunk, out, field, valid); break;
      case arrow::Type::INT64: ok = FillChunk<arrow::Int64Type>(*chunk, out, field, valid); break;
      case arrow::Type::UINT8: ok = FillChunk<arrow::UInt8Type>(*chunk, out, field, valid); break;
      case arrow::Type::UINT16:
        ok = FillChunk<arrow::UInt16Type>(*chunk, out, field, valid);
        break;
      case arrow::Type::UINT32:
        ok = FillChunk<arrow::UInt32Type>(*chunk, out, field, valid);
        break;
      case arrow::Type::DATE32: ok = FillChunk<arrow::Date32Type>(*chunk, out, field, valid); break;
      case arrow::Type::DATE64: ok = FillChunk<arrow::Date64Type>(*chunk, out, field, valid); break;
      case arrow::Type::TIMESTAMP:
        ok = FillChunk<arrow::TimestampType>(*chunk, out, field, valid);
        break;
      default: return false;
    }
    if (!ok) return false;
    out += chunk->length();
  }
  return true;
}

Result<std::shared_ptr<arrow::UInt64Array>> Indices(const std::vector<Entry>& entries) {
  const auto n = static_cast<int64_t>(entries.size());
  FST_ASSIGN_OR_RAISE(auto buffer,
                      arrow::AllocateBuffer(n * static_cast<int64_t>(sizeof(uint64_t))));
  auto* out = reinterpret_cast<uint64_t*>(buffer->mutable_data());
  for (int64_t i = 0; i < n; ++i) out[i] = entries[static_cast<size_t>(i)].row;
  return std::make_shared<arrow::UInt64Array>(n, std::shared_ptr<arrow::Buffer>(std::move(buffer)));
}

// `field` of the sorted entries as a column of `type` when that is int64 or timestamp (null
// otherwise); with `valid`, null where it is false.
Result<std::shared_ptr<arrow::Array>> SortedColumn(const std::vector<Entry>& entries,
                                                   const std::shared_ptr<arrow::DataType>& type,
                                                   Field field, Flag valid) {
  if (type->id() != arrow::Type::INT64 && type->id() != arrow::Type::TIMESTAMP) return nullptr;
  const auto n = static_cast<int64_t>(entries.size());
  FST_ASSIGN_OR_RAISE(auto values,
                      arrow::AllocateBuffer(n * static_cast<int64_t>(sizeof(int64_t))));
  auto* out = reinterpret_cast<int64_t*>(values->mutable_data());
  for (int64_t i = 0; i < n; ++i) out[i] = entries[static_cast<size_t>(i)].*field;
  std::shared_ptr<arrow::Buffer> validity;
  int64_t nulls = 0;
  if (valid != nullptr) {
    FST_ASSIGN_OR_RAISE(validity, arrow::AllocateBitmap(n));
    uint8_t* bits = validity->mutable_data();
    for (int64_t i = 0; i < n; ++i) {
      const bool present = entries[static_cast<size_t>(i)].*valid;
      arrow::bit_util::SetBitTo(bits, i, present);
      nulls += present ? 0 : 1;
    }
    if (nulls == 0) validity = nullptr;
  }
  return arrow::MakeArray(arrow::ArrayData::Make(
      type, n, {std::move(validity), std::shared_ptr<arrow::Buffer>(std::move(values))}, nulls));
}

}  // namespace

Result<Ordering> PartOrder(const arrow::Table& table, const PartLayout& layout) {
  const int64_t n = table.num_rows();
  const int key_index = layout.sort_keys.size() == 1
                            ? table.schema()->GetFieldIndex(layout.sort_keys[0])
                            : -1;
  const int ts_index = table.schema()->GetFieldIndex(layout.ts_column);
  const int seq_index = table.schema()->GetFieldIndex(kSeqColumn);
  const int created_index =
      layout.created_column.empty() ? -1 : table.schema()->GetFieldIndex(layout.created_column);
  const bool compact = layout.sort_keys.size() <= 1 &&
                       (layout.sort_keys.empty() || key_index >= 0) && ts_index >= 0 &&
                       seq_index >= 0 && (layout.created_column.empty() || created_index >= 0) &&
                       n <= std::numeric_limits<uint32_t>::max();
  Ordering ordering;
  ordering.sorted.resize(static_cast<size_t>(table.num_columns()));
  if (compact) {
    std::vector<Entry> entries(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) entries[static_cast<size_t>(i)].row = static_cast<uint32_t>(i);
    struct Use {
      int index;
      Field field;
      Flag valid;
    };
    std::vector<Use> uses = {{ts_index, &Entry::ts, nullptr}, {seq_index, &Entry::seq, nullptr}};
    if (key_index >= 0) uses.push_back({key_index, &Entry::key, nullptr});
    if (created_index >= 0) uses.push_back({created_index, &Entry::created, &Entry::created_valid});
    const bool filled = std::all_of(uses.begin(), uses.end(), [&](const Use& use) {
      return Fill(*table.column(use.index), entries, use.field, use.valid);
    });
    if (filled) {
      std::sort(entries.begin(), entries.end(), Before);
      FST_ASSIGN_OR_RAISE(ordering.indices, Indices(entries));
      for (const Use& use : uses) {
        FST_ASSIGN_OR_RAISE(ordering.sorted[static_cast<size_t>(use.index)],
                            SortedColumn(entries, table.schema()->field(use.index)->type(),
                                         use.field, use.valid));
      }
      return ordering;
    }
  }
  FST_ASSIGN_OR_RAISE(ordering.indices, PartOrderByArrow(table, layout));
  return ordering;
}

Result<std::shared_ptr<arrow::UInt64Array>> PartOrderByArrow(const arrow::Table& table,
                                                             const PartLayout& layout) {
  namespace cp = arrow::compute;
  FST_RETURN_NOT_OK(core::EnsureArrowCompute());
  std::vector<cp::SortKey> keys;
  const auto asc = cp::SortOrder::Ascending;
  const auto nulls_first = cp::NullPlacement::AtStart;
  for (const auto& key : layout.sort_keys) keys.emplace_back(key, asc, nulls_first);
  keys.emplace_back(layout.ts_column, asc, nulls_first);
  if (!layout.created_column.empty()) keys.emplace_back(layout.created_column, asc, nulls_first);
  keys.emplace_back(kSeqColumn, asc, nulls_first);
  FST_ASSIGN_OR_RAISE(auto indices,
                      cp::SortIndices(arrow::Datum(table), cp::SortOptions(std::move(keys))));
  return std::static_pointer_cast<arrow::UInt64Array>(indices);
}

}  // namespace fst::offline::internal
