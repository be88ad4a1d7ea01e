// The events of an online row of a view with windowed aggregations (format 3, row_codec.h),
// grouped into time tiles that carry partial aggregates, so that a read at t of a window
// (t - w, t] takes the tiles the window covers from their summaries and decodes only the events
// of the tiles its ends cut. docs/impl.md "Online encoding". The section, after the latest row:
//   varint tile width (µs); per aggregated column a byte of summary flags; varint event count;
//   varint tile count; per tile: its first and last event time (int64 LE), varint events,
//   varint bytes of its events, then per column its summary; then the events of all tiles,
//   each as EncodeRow writes it, in tie order (the order of the PIT join).
// A tile holds the events e with floor(e.ts / width) equal. Column summary: varint non-null
// count; with kTileSums the wrapping sum (uint64 LE, integer columns), the sum of the finite
// values in event order as an x87 long double (10 bytes LE) and, for float columns, varint
// +inf and -inf counts; for float columns with kTileSums, kTileMin or kTileMax a varint NaN
// count; then, each as varint length + the value's bytes as in the event (length 0: none),
// with kTileMin the earliest smallest non-NaN value, with kTileMax the earliest largest, for
// float columns with either the last NaN, with kTileFirst the first non-null value, with
// kTileLast the last.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "featherstone/core/types.h"
#include "featherstone/online/row_codec.h"
#include "featherstone/transform/window_aggregation.h"

namespace fst::online {

enum TileSummaryFlag : uint8_t {
  kTileSums = 1,
  kTileMin = 2,
  kTileMax = 4,
  kTileFirst = 8,
  kTileLast = 16,
};

// How a view's events are tiled: the width, and per aggregated column the summaries kept.
struct TileLayout {
  int64_t width_us = 1;
  std::vector<uint8_t> flags;
};

// The layout for `requests` over columns of `types`, whose longest window is `max_window_us`:
// tiles a sixteenth of it wide (at least 1 µs); a column keeps what its requests need (count:
// nothing beyond the counts every tile has; stddev, count_distinct and avg of list<float32>:
// nothing, they read the events).
TileLayout MakeTileLayout(const std::vector<transform::AggRequest>& requests,
                          const std::vector<core::ValueType>& types, int64_t max_window_us);

// The partial aggregates of one column over some events.
struct ColumnSummary {
  uint64_t non_null = 0;
  uint64_t int_sum = 0;   // wraps; exact while the true sum fits in int64
  long double sum = 0;    // of the finite values, in event order
  uint64_t nan = 0, pos_inf = 0, neg_inf = 0;
  std::string_view min, max, last_nan, first, last;  // value bytes; empty: none
  int64_t min_int = 0, max_int = 0;                  // min and max of integer-like columns
  double min_float = 0, max_float = 0;               // ... of float columns
};

// The tile of an event at `ts`: floor(ts / width_us).
int64_t TileOf(int64_t ts, int64_t width_us);

class TiledEvents;

// Writes a section tile by tile: events one by one (their tiles summarised), or tiles of a
// stored section whole (their summaries copied, their events not decoded). The bytes, types
// and layout handed in must live until Finish. Its buffers are reused from section to section.
class TileEncoder {
 public:
  // Starts a section of events of `types` tiled by `layout`.
  void Reset(const std::vector<core::ValueType>& types, const TileLayout& layout);
  // Adds the event at the front of `in` (an EncodeRow encoding of the types; advancing past
  // it) after those added before, in tie order. Errors: Invalid when it does not decode.
  Status AddEvent(std::string_view* in);
  // Adds tile `k` of `stored` whole. Precondition: `stored` has this layout, and the tile comes
  // after the events and tiles added before it, in a tile of its own.
  void AddTile(const TiledEvents& stored, size_t k);
  // Adds tile `k` of `stored` (preconditions as AddTile) as the start of a tile that the events
  // added next extend: its summaries continue from the stored ones, its events are copied.
  void ExtendTile(const TiledEvents& stored, size_t k);
  // Appends the section to `out`.
  void Finish(std::string* out);

 private:
  struct Tile {
    int64_t index = 0, first_ts = 0, last_ts = 0;
    uint64_t rows = 0;
    std::string_view header;  // a stored tile's, copied as is; empty: from summaries_
    size_t summaries = 0;     // where its column summaries start in summaries_
    size_t slices = 0;        // its entries in events_
  };
  const std::vector<core::ValueType>* types_ = nullptr;
  const TileLayout* layout_ = nullptr;
  std::vector<Tile> tiles_;
  std::vector<ColumnSummary> summaries_;
  std::vector<std::string_view> events_;  // in order, back to back in the section
  std::vector<std::string_view> fields_;
};

// Appends the section for the `count` events encoded back to back in `events` (each an
// EncodeRow encoding of `types`, in tie order). Errors: Invalid when an event does not decode.
Status EncodeTiles(std::string_view events, uint64_t count,
                   const std::vector<core::ValueType>& types, const TileLayout& layout,
                   std::string* out);


// One section parsed, its buffers reused from row to row.
class TiledEvents {
 public:
  // Parses the section at the front of `in` (advancing past it); `types` are the aggregated
  // columns'. Errors: Invalid when the bytes are truncated or disagree with `types`.
  Status Parse(std::string_view* in, const std::vector<core::ValueType>& types);
  // The events of every tile, back to back (`count()` of them), for requests not Answered.
  std::string_view events() const { return events_; }
  uint64_t count() const { return count_; }
  // Whether the section was written with `layout`.
  bool Has(const TileLayout& layout) const {
    return width_us_ == layout.width_us && flags_ == layout.flags;
  }

  struct Tile {
    int64_t first_ts = 0, last_ts = 0;  // of its first and last event
    uint64_t rows = 0;
    std::string_view events;  // back to back
    std::string_view header;  // its encoded header and summaries
  };
  const std::vector<Tile>& tiles() const { return tiles_; }
  // The column summaries of tile `k`, one per type.
  const ColumnSummary* summaries(size_t k) const { return &summaries_[k * types_.size()]; }
  // Whether Aggregate answers `r` from the summaries this row keeps.
  bool Answers(const transform::AggRequest& r) const;
  // The value of `r` (Answers(r)) at time `t` over the window (t - w, t]: what
  // transform::AggregateOne gives over the decoded events, as a value (count, integer sums:
  // int64; float sums and averages: double, equal up to the rounding of a different summation
  // order; min, max, last, first: the event's value). Errors: Invalid for corrupt events.
  Status Aggregate(const transform::AggRequest& r, int64_t t, Value* out);

 private:
  std::vector<core::ValueType> types_;
  int64_t width_us_ = 0;
  std::vector<uint8_t> flags_;
  uint64_t count_ = 0;
  std::string_view events_;
  std::vector<Tile> tiles_;
  std::vector<uint64_t> tile_bytes_;
  std::vector<ColumnSummary> summaries_;  // tile-major: tiles_.size() x types_.size()
  std::vector<std::string_view> fields_;
};

}  // namespace fst::online
