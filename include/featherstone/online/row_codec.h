// Compact binary encoding of one feature row: format byte, its place in the point-in-time tie
// order (event time, created time, ingestion sequence; format 1 rows hold the event time
// only), then per value column a null flag and the value (fixed-width little-endian numbers;
// varint length + bytes for strings; varint count + items for lists). Format 3 is format 2
// for the latest row of a view whose events follow in tiles (tile_codec.h). docs/impl.md
// "Online encoding".
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <arrow/array.h>
#include <arrow/builder.h>

#include "featherstone/core/types.h"

namespace fst::online {

// Where a row sits among the rows of its entity (offline::RowOrder): later event time wins,
// then later created time (INT64_MIN: none, sorts first), then later ingestion sequence.
// A format 1 row reads as {event time, INT64_MIN, 0}.
struct RowStamp {
  int64_t ts = 0;
  int64_t created = std::numeric_limits<int64_t>::min();
  int64_t seq = 0;
  friend bool operator<(const RowStamp& a, const RowStamp& b) {
    if (a.ts != b.ts) return a.ts < b.ts;
    if (a.created != b.created) return a.created < b.created;
    return a.seq < b.seq;
  }
};

// Appends the encoding (format 2; format 3 when `tiled_events_follow`) of row `i` of `columns`
// (of the declared `types`) stamped `stamp` to `out`. Precondition: column types are
// core::ToArrowType(types[c]).
void EncodeRow(const RowStamp& stamp, const std::vector<std::shared_ptr<arrow::Array>>& columns,
               const std::vector<core::ValueType>& types, int64_t i, std::string* out,
               bool tiled_events_follow = false);

// Whether `row` (a whole stored value) is of format 3: its events follow in tiles.
bool EventsTiled(std::string_view row);

// Appends the latest row `row` (one encoding of any format, as SplitRow gives it), stamped
// `stamp` (its own), as format 3.
void AppendTiledLatest(std::string_view row, const RowStamp& stamp, std::string* out);

// Splits the row at the front of `in` (advancing it) into its stamp and, per entry of `types`
// (`fields` resized to fit), the bytes of its value as encoded (empty: null).
// Errors: Invalid when the bytes are truncated or of an unknown format.
Status SplitFields(std::string_view* in, const std::vector<core::ValueType>& types,
                   RowStamp* stamp, std::vector<std::string_view>* fields);

// Splits the row at the front of `in` (advancing it) into its stamp and its whole encoding
// (format byte included), without decoding values: the merge of new events into stored rows.
// Errors: Invalid when the bytes are truncated or of an unknown format.
Status SplitRow(std::string_view* in, const std::vector<core::ValueType>& types, RowStamp* stamp,
                std::string_view* bytes);

// Appends rows to Arrow builders: the inverse of EncodeRow, column by column, for callers
// that compute over decoded rows (online reads of windowed and expression features).
class RowDecoder {
 public:
  // Errors: from Arrow when a builder cannot be made.
  static Result<RowDecoder> Make(const std::vector<core::ValueType>& types);
  // Decodes the row at the front of `in` (advancing it) and appends its event time and values.
  // Errors: Invalid when the bytes are truncated or of an unknown format.
  Status Append(std::string_view* in);
  // Decodes `count` rows at the front of `in` (advancing it) as Append does, the builders
  // reserved for them first (one allocation per buffer rather than one per doubling).
  // Errors: Invalid when the bytes are truncated or of an unknown format.
  Status AppendRows(std::string_view* in, uint64_t count);
  // Appends a row of nulls (event time 0).
  Status AppendNull();
  // The columns and event times appended so far; resets the decoder.
  Result<std::vector<std::shared_ptr<arrow::Array>>> Finish(std::vector<int64_t>* event_ts);

 private:
  std::vector<core::ValueType> types_;
  std::vector<std::shared_ptr<arrow::ArrayBuilder>> builders_;
  std::vector<int64_t> event_ts_;
};

// One value decoded without Arrow: null, a bool, an integer (int32, int64, a timestamp in µs, a
// date in days), a float (float32 or float64), the bytes of a string, or a list.
using Value = std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<float>,
                           std::vector<std::string>>;

// Decodes the value bytes of one field (as SplitFields gives them) of `type` into `out`.
// Errors: Invalid when the bytes are truncated.
Status DecodeValue(std::string_view bytes, core::ValueType type, Value* out);

// Decodes the row at the front of `in` (advancing it) into its event time and one value per
// entry of `types` (resized to fit): the online read of a few entities, without builders.
// Errors: Invalid when the bytes are truncated or of an unknown format.
Status DecodeRow(std::string_view* in, const std::vector<core::ValueType>& types,
                 int64_t* event_ts, std::vector<Value>* values);

// Appends a varint count then each row's EncodeRow encoding (`rows` indexes into `columns`
// and `stamps`): the events of a format 2 row (rows now written tile them, tile_codec.h).
void EncodeRows(const std::vector<RowStamp>& stamps,
                const std::vector<std::shared_ptr<arrow::Array>>& columns,
                const std::vector<core::ValueType>& types, const std::vector<int64_t>& rows,
                std::string* out);

// Reads the varint count written by EncodeRows from the front of `in`.
Result<uint64_t> DecodeRowCount(std::string_view* in);

}  // namespace fst::online
