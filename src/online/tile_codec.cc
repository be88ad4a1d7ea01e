#include "featherstone/online/tile_codec.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "varint.h"

namespace fst::online {
namespace {

using core::ValueType;
using transform::AggFunction;

static_assert(std::numeric_limits<long double>::digits == 64, "sums are x87 long doubles");
constexpr size_t kLongDoubleBytes = 10;
constexpr int64_t kTilesPerWindow = 16;

Status Corrupt() { return Status::Invalid("online row is truncated or corrupt"); }

bool IsFloat(ValueType t) { return t == ValueType::kFloat32 || t == ValueType::kFloat64; }
bool IsInteger(ValueType t) { return t == ValueType::kInt32 || t == ValueType::kInt64; }
bool IsNumeric(ValueType t) { return IsFloat(t) || IsInteger(t); }
bool IsOrdered(ValueType t) {
  return IsNumeric(t) || t == ValueType::kTimestamp || t == ValueType::kDate;
}

// The number in the value bytes of an ordered column: integers (int32 and int64 stored as
// int64, timestamps, dates) in *i, floats in *d.
void Number(std::string_view bytes, ValueType type, int64_t* i, double* d) {
  switch (type) {
    case ValueType::kDate: {
      int32_t v = 0;
      GetFixed(&bytes, &v);
      *i = v;
      return;
    }
    case ValueType::kFloat32: {
      float v = 0;
      GetFixed(&bytes, &v);
      *d = v;
      return;
    }
    case ValueType::kFloat64:
      GetFixed(&bytes, d);
      return;
    default:
      GetFixed(&bytes, i);
      return;
  }
}

// The summary of one non-null value.
ColumnSummary OfValue(std::string_view bytes, ValueType type, uint8_t flags) {
  ColumnSummary s;
  s.non_null = 1;
  s.first = s.last = bytes;
  if (!IsOrdered(type)) return s;
  int64_t i = 0;
  double d = 0;
  Number(bytes, type, &i, &d);
  if (IsFloat(type)) {
    if (std::isnan(d)) {
      s.nan = 1;
      s.last_nan = bytes;
      return s;
    }
    if (std::isinf(d)) {
      (d > 0 ? s.pos_inf : s.neg_inf) = 1;
    } else {
      s.sum = d;
    }
    s.min_float = s.max_float = d;
  } else {
    if ((flags & kTileSums) != 0) {
      s.int_sum = static_cast<uint64_t>(i);
      s.sum = static_cast<double>(i);  // as the sliding sums read an integer
    }
    s.min_int = s.max_int = i;
  }
  s.min = s.max = bytes;
  return s;
}

// Folds `later` (the summary of events after those of `into`) into `into`.
void Merge(const ColumnSummary& later, bool is_float, ColumnSummary* into) {
  if (later.non_null == 0) return;
  into->non_null += later.non_null;
  into->int_sum += later.int_sum;
  into->sum += later.sum;
  into->nan += later.nan;
  into->pos_inf += later.pos_inf;
  into->neg_inf += later.neg_inf;
  if (!later.last_nan.empty()) into->last_nan = later.last_nan;
  if (into->first.empty()) into->first = later.first;
  if (!later.last.empty()) into->last = later.last;
  // Strictly better only: of equal values the earliest stays.
  if (!later.min.empty() &&
      (into->min.empty() || (is_float ? later.min_float < into->min_float
                                      : later.min_int < into->min_int))) {
    into->min = later.min;
    into->min_int = later.min_int;
    into->min_float = later.min_float;
  }
  if (!later.max.empty() &&
      (into->max.empty() || (is_float ? later.max_float > into->max_float
                                      : later.max_int > into->max_int))) {
    into->max = later.max;
    into->max_int = later.max_int;
    into->max_float = later.max_float;
  }
}

void PutOptional(std::string_view bytes, std::string* out) {
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

bool GetOptional(std::string_view* in, std::string_view* bytes) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || in->size() < n) return false;
  *bytes = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

bool KeepsNan(ValueType type, uint8_t flags) {
  return IsFloat(type) && (flags & (kTileSums | kTileMin | kTileMax)) != 0;
}

void PutSummary(const ColumnSummary& s, ValueType type, uint8_t flags, std::string* out) {
  PutVarint(s.non_null, out);
  if ((flags & kTileSums) != 0) {
    if (IsInteger(type)) PutFixed<uint64_t>(s.int_sum, out);
    char buf[sizeof(long double)];
    std::memcpy(buf, &s.sum, sizeof(buf));
    out->append(buf, kLongDoubleBytes);
    if (IsFloat(type)) {
      PutVarint(s.pos_inf, out);
      PutVarint(s.neg_inf, out);
    }
  }
  if (KeepsNan(type, flags)) PutVarint(s.nan, out);
  if ((flags & kTileMin) != 0) PutOptional(s.min, out);
  if ((flags & kTileMax) != 0) PutOptional(s.max, out);
  if (IsFloat(type) && (flags & (kTileMin | kTileMax)) != 0) PutOptional(s.last_nan, out);
  if ((flags & kTileFirst) != 0) PutOptional(s.first, out);
  if ((flags & kTileLast) != 0) PutOptional(s.last, out);
}

bool GetSummary(std::string_view* in, ValueType type, uint8_t flags, ColumnSummary* s) {
  *s = ColumnSummary{};
  if (!GetVarint(in, &s->non_null)) return false;
  if ((flags & kTileSums) != 0) {
    if (IsInteger(type) && !GetFixed(in, &s->int_sum)) return false;
    if (in->size() < kLongDoubleBytes) return false;
    std::memcpy(&s->sum, in->data(), kLongDoubleBytes);
    in->remove_prefix(kLongDoubleBytes);
    if (IsFloat(type) && !(GetVarint(in, &s->pos_inf) && GetVarint(in, &s->neg_inf))) {
      return false;
    }
  }
  if (KeepsNan(type, flags) && !GetVarint(in, &s->nan)) return false;
  if ((flags & kTileMin) != 0) {
    if (!GetOptional(in, &s->min)) return false;
    if (!s->min.empty()) Number(s->min, type, &s->min_int, &s->min_float);
  }
  if ((flags & kTileMax) != 0) {
    if (!GetOptional(in, &s->max)) return false;
    if (!s->max.empty()) Number(s->max, type, &s->max_int, &s->max_float);
  }
  if (IsFloat(type) && (flags & (kTileMin | kTileMax)) != 0 && !GetOptional(in, &s->last_nan)) {
    return false;
  }
  if ((flags & kTileFirst) != 0 && !GetOptional(in, &s->first)) return false;
  if ((flags & kTileLast) != 0 && !GetOptional(in, &s->last)) return false;
  return true;
}

// Value bytes as a value; null when empty.
Status ValueOf(std::string_view bytes, ValueType type, Value* out) {
  if (bytes.empty()) {
    *out = std::monostate{};
    return Status::OK();
  }
  return DecodeValue(bytes, type, out);
}

}  // namespace

TileLayout MakeTileLayout(const std::vector<transform::AggRequest>& requests,
                          const std::vector<core::ValueType>& types, int64_t max_window_us) {
  TileLayout layout;
  layout.width_us = std::max<int64_t>(1, max_window_us / kTilesPerWindow);
  layout.flags.assign(types.size(), 0);
  for (const auto& r : requests) {
    if (r.column < 0) continue;
    const ValueType type = types[static_cast<size_t>(r.column)];
    uint8_t& flags = layout.flags[static_cast<size_t>(r.column)];
    switch (r.fn) {
      case AggFunction::kSum:
      case AggFunction::kAvg:
        if (IsNumeric(type)) flags |= kTileSums;
        break;
      case AggFunction::kMin:
        if (IsOrdered(type)) flags |= kTileMin;
        break;
      case AggFunction::kMax:
        if (IsOrdered(type)) flags |= kTileMax;
        break;
      case AggFunction::kFirst:
        flags |= kTileFirst;
        break;
      case AggFunction::kLast:
        flags |= kTileLast;
        break;
      default:
        break;
    }
  }
  return layout;
}

int64_t TileOf(int64_t ts, int64_t width_us) {
  const int64_t q = ts / width_us;
  return ts % width_us != 0 && ts < 0 ? q - 1 : q;
}

void TileEncoder::Reset(const std::vector<core::ValueType>& types, const TileLayout& layout) {
  types_ = &types;
  layout_ = &layout;
  tiles_.clear();
  summaries_.clear();
  events_.clear();
}

Status TileEncoder::AddEvent(std::string_view* in) {
  const std::string_view event = *in;
  RowStamp stamp;
  FST_RETURN_NOT_OK(SplitFields(in, *types_, &stamp, &fields_));
  const int64_t index = TileOf(stamp.ts, layout_->width_us);
  if (tiles_.empty() || tiles_.back().index != index || !tiles_.back().header.empty()) {
    tiles_.push_back(Tile{index, stamp.ts, stamp.ts, 0, {}, summaries_.size(), 0});
    summaries_.resize(summaries_.size() + types_->size());
  }
  Tile& tile = tiles_.back();
  tile.last_ts = stamp.ts;
  ++tile.rows;
  ++tile.slices;
  for (size_t c = 0; c < types_->size(); ++c) {
    if (fields_[c].empty()) continue;
    Merge(OfValue(fields_[c], (*types_)[c], layout_->flags[c]), IsFloat((*types_)[c]),
          &summaries_[tile.summaries + c]);
  }
  events_.push_back(event.substr(0, event.size() - in->size()));
  return Status::OK();
}

void TileEncoder::AddTile(const TiledEvents& stored, size_t k) {
  const TiledEvents::Tile& tile = stored.tiles()[k];
  tiles_.push_back(Tile{TileOf(tile.first_ts, layout_->width_us), tile.first_ts, tile.last_ts,
                        tile.rows, tile.header, 0, 1});
  events_.push_back(tile.events);
}

void TileEncoder::ExtendTile(const TiledEvents& stored, size_t k) {
  const TiledEvents::Tile& tile = stored.tiles()[k];
  tiles_.push_back(Tile{TileOf(tile.first_ts, layout_->width_us), tile.first_ts, tile.last_ts,
                        tile.rows, {}, summaries_.size(), 1});
  summaries_.insert(summaries_.end(), stored.summaries(k), stored.summaries(k) + types_->size());
  events_.push_back(tile.events);
}

void TileEncoder::Finish(std::string* out) {
  uint64_t count = 0;
  for (const Tile& tile : tiles_) count += tile.rows;
  PutVarint(static_cast<uint64_t>(layout_->width_us), out);
  for (uint8_t flags : layout_->flags) out->push_back(static_cast<char>(flags));
  PutVarint(count, out);
  PutVarint(tiles_.size(), out);
  size_t e = 0;  // the tile's first entry in events_
  for (const Tile& tile : tiles_) {
    if (!tile.header.empty()) {
      out->append(tile.header);
      e += tile.slices;
      continue;
    }
    PutFixed<int64_t>(tile.first_ts, out);
    PutFixed<int64_t>(tile.last_ts, out);
    PutVarint(tile.rows, out);
    size_t bytes = 0;
    for (size_t k = 0; k < tile.slices; ++k) bytes += events_[e + k].size();
    e += tile.slices;
    PutVarint(bytes, out);
    for (size_t c = 0; c < types_->size(); ++c) {
      PutSummary(summaries_[tile.summaries + c], (*types_)[c], layout_->flags[c], out);
    }
  }
  for (std::string_view event : events_) out->append(event);
}

Status EncodeTiles(std::string_view events, uint64_t count,
                   const std::vector<core::ValueType>& types, const TileLayout& layout,
                   std::string* out) {
  TileEncoder encoder;
  encoder.Reset(types, layout);
  std::string_view in = events;
  for (uint64_t k = 0; k < count; ++k) FST_RETURN_NOT_OK(encoder.AddEvent(&in));
  encoder.Finish(out);
  return Status::OK();
}

Status TiledEvents::Parse(std::string_view* in, const std::vector<core::ValueType>& types) {
  types_ = types;
  uint64_t width = 0, tiles = 0;
  if (!GetVarint(in, &width) || width == 0 || in->size() < types.size()) return Corrupt();
  width_us_ = static_cast<int64_t>(width);
  flags_.assign(in->begin(), in->begin() + static_cast<std::ptrdiff_t>(types.size()));
  in->remove_prefix(types.size());
  if (!GetVarint(in, &count_) || !GetVarint(in, &tiles) || tiles > in->size()) return Corrupt();
  tiles_.resize(tiles);
  summaries_.resize(tiles * types.size());
  uint64_t bytes_total = 0, rows_total = 0;
  tile_bytes_.resize(tiles);
  for (size_t t = 0; t < tiles; ++t) {
    Tile& tile = tiles_[t];
    const std::string_view header = *in;
    if (!(GetFixed(in, &tile.first_ts) && GetFixed(in, &tile.last_ts) &&
          GetVarint(in, &tile.rows) && GetVarint(in, &tile_bytes_[t]))) {
      return Corrupt();
    }
    bytes_total += tile_bytes_[t];
    rows_total += tile.rows;
    for (size_t c = 0; c < types.size(); ++c) {
      if (!GetSummary(in, types[c], flags_[c], &summaries_[t * types.size() + c])) {
        return Corrupt();
      }
    }
    tile.header = header.substr(0, header.size() - in->size());
  }
  if (in->size() < bytes_total || rows_total != count_) return Corrupt();
  events_ = in->substr(0, bytes_total);
  for (size_t t = 0; t < tiles; ++t) {
    tiles_[t].events = in->substr(0, tile_bytes_[t]);
    in->remove_prefix(tile_bytes_[t]);
  }
  return Status::OK();
}

bool TiledEvents::Answers(const transform::AggRequest& r) const {
  if (r.fn == AggFunction::kCount) return true;
  if (r.column < 0 || static_cast<size_t>(r.column) >= flags_.size()) return false;
  const uint8_t flags = flags_[static_cast<size_t>(r.column)];
  switch (r.fn) {
    case AggFunction::kSum:
    case AggFunction::kAvg:
      return (flags & kTileSums) != 0;
    case AggFunction::kMin:
      return (flags & kTileMin) != 0;
    case AggFunction::kMax:
      return (flags & kTileMax) != 0;
    case AggFunction::kFirst:
      return (flags & kTileFirst) != 0;
    case AggFunction::kLast:
      return (flags & kTileLast) != 0;
    default:
      return false;
  }
}

Status TiledEvents::Aggregate(const transform::AggRequest& r, int64_t t, Value* out) {
  // The window (start, t]; a start below INT64_MIN leaves it unbounded below, one above
  // INT64_MAX (a negative window) empties it (as transform::AggregateWindows).
  int64_t start = 0;
  bool bounded = true;
  if (__builtin_sub_overflow(t, r.window_us, &start)) {
    start = std::numeric_limits<int64_t>::max();
    bounded = r.window_us < 0;
  }
  const bool has_column = r.column >= 0 && static_cast<size_t>(r.column) < types_.size();
  const auto c = static_cast<size_t>(has_column ? r.column : 0);
  const ValueType type = has_column ? types_[c] : ValueType::kInt64;
  const bool is_float = IsFloat(type);
  const uint8_t flags = has_column ? flags_[c] : 0;
  uint64_t rows = 0;
  ColumnSummary s;
  for (size_t k = 0; k < tiles_.size(); ++k) {
    const Tile& tile = tiles_[k];
    if ((bounded && tile.last_ts <= start) || tile.first_ts > t) continue;
    if ((!bounded || tile.first_ts > start) && tile.last_ts <= t) {
      rows += tile.rows;
      if (has_column) Merge(summaries_[k * types_.size() + c], is_float, &s);
      continue;
    }
    // A tile the window cuts: its events one by one.
    std::string_view in = tile.events;
    for (uint64_t e = 0; e < tile.rows; ++e) {
      RowStamp stamp;
      FST_RETURN_NOT_OK(SplitFields(&in, types_, &stamp, &fields_));
      if ((bounded && stamp.ts <= start) || stamp.ts > t) continue;
      ++rows;
      if (has_column && !fields_[c].empty()) {
        Merge(OfValue(fields_[c], type, flags), is_float, &s);
      }
    }
  }
  const bool non_finite = s.nan + s.pos_inf + s.neg_inf > 0;
  auto non_finite_sum = [&] {
    if (s.nan > 0 || (s.pos_inf > 0 && s.neg_inf > 0)) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    return s.pos_inf > 0 ? std::numeric_limits<double>::infinity()
                         : -std::numeric_limits<double>::infinity();
  };
  switch (r.fn) {
    case AggFunction::kCount:
      *out = static_cast<int64_t>(has_column ? s.non_null : rows);
      return Status::OK();
    case AggFunction::kSum:
    case AggFunction::kAvg:
      if (s.non_null == 0) {
        *out = std::monostate{};
      } else if (r.fn == AggFunction::kSum && IsInteger(type)) {
        *out = static_cast<int64_t>(s.int_sum);
      } else if (non_finite) {
        *out = non_finite_sum();
      } else {
        *out = static_cast<double>(r.fn == AggFunction::kSum
                                       ? s.sum
                                       : s.sum / static_cast<long double>(s.non_null));
      }
      return Status::OK();
    case AggFunction::kMin:
      return ValueOf(!s.min.empty() ? s.min : s.last_nan, type, out);
    case AggFunction::kMax:
      return ValueOf(!s.max.empty() ? s.max : s.last_nan, type, out);
    case AggFunction::kFirst:
      return ValueOf(s.first, type, out);
    case AggFunction::kLast:
      return ValueOf(s.last, type, out);
    default:
      return Status::Invalid("aggregation not answered from tiles");
  }
}

}  // namespace fst::online
