#include "featherstone/online/row_codec.h"

#include <cstring>

#include "varint.h"

namespace fst::online {
namespace {

// Format 1: event time only. Format 2: event time, created time, sequence. Format 3: as 2,
// and the row's events follow in tiles (tile_codec.h).
constexpr char kFormatTs = 1;
constexpr char kFormatStamp = 2;
constexpr char kFormatTiled = 3;

bool GetBytes(std::string_view* in, std::string_view* bytes) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || in->size() < n) return false;
  *bytes = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// Reads the format byte and stamp at the front of `in`.
Status GetStamp(std::string_view* in, RowStamp* stamp) {
  if (in->empty() || in->front() < kFormatTs || in->front() > kFormatTiled) {
    return Status::Invalid("online row has an unknown format; run materialize again");
  }
  const char format = in->front();
  in->remove_prefix(1);
  *stamp = RowStamp{};
  if (!GetFixed(in, &stamp->ts)) return Status::Invalid("online row is truncated or corrupt");
  if (format != kFormatTs && !(GetFixed(in, &stamp->created) && GetFixed(in, &stamp->seq))) {
    return Status::Invalid("online row is truncated or corrupt");
  }
  return Status::OK();
}

// Skips one encoded value of `type`; false when the bytes are truncated.
bool SkipValue(std::string_view* in, core::ValueType type) {
  using core::ValueType;
  auto skip = [in](uint64_t n) {
    if (in->size() < n) return false;
    in->remove_prefix(n);
    return true;
  };
  switch (type) {
    case ValueType::kBool:
      return skip(1);
    case ValueType::kInt32:
    case ValueType::kInt64:
    case ValueType::kTimestamp:
    case ValueType::kFloat64:
      return skip(8);
    case ValueType::kDate:
    case ValueType::kFloat32:
      return skip(4);
    case ValueType::kString:
    case ValueType::kBytes: {
      std::string_view bytes;
      return GetBytes(in, &bytes);
    }
    case ValueType::kListFloat32: {
      uint64_t n = 0;
      return GetVarint(in, &n) && n <= in->size() / sizeof(float) && skip(n * sizeof(float));
    }
    case ValueType::kListString: {
      uint64_t n = 0;
      if (!GetVarint(in, &n)) return false;
      for (uint64_t k = 0; k < n; ++k) {
        std::string_view bytes;
        if (!GetBytes(in, &bytes)) return false;
      }
      return true;
    }
  }
  return false;
}

void PutValue(const arrow::Array& column, core::ValueType type, int64_t i, std::string* out) {
  using core::ValueType;
  switch (type) {
    case ValueType::kBool:
      out->push_back(static_cast<const arrow::BooleanArray&>(column).Value(i) ? 1 : 0);
      break;
    case ValueType::kInt32:
      PutFixed<int64_t>(static_cast<const arrow::Int32Array&>(column).Value(i), out);
      break;
    case ValueType::kInt64:
    case ValueType::kTimestamp:
      PutFixed<int64_t>(column.data()->GetValues<int64_t>(1)[i], out);
      break;
    case ValueType::kDate:
      PutFixed<int32_t>(column.data()->GetValues<int32_t>(1)[i], out);
      break;
    case ValueType::kFloat32:
      PutFixed<float>(static_cast<const arrow::FloatArray&>(column).Value(i), out);
      break;
    case ValueType::kFloat64:
      PutFixed<double>(static_cast<const arrow::DoubleArray&>(column).Value(i), out);
      break;
    case ValueType::kString:
    case ValueType::kBytes: {
      const auto view = static_cast<const arrow::BinaryArray&>(column).GetView(i);
      PutVarint(view.size(), out);
      out->append(view);
      break;
    }
    case ValueType::kListFloat32: {
      const auto& list = static_cast<const arrow::ListArray&>(column);
      const auto& items = static_cast<const arrow::FloatArray&>(*list.values());
      const int64_t begin = list.value_offset(i);
      const int64_t end = list.value_offset(i + 1);
      PutVarint(static_cast<uint64_t>(end - begin), out);
      for (int64_t k = begin; k < end; ++k) PutFixed<float>(items.Value(k), out);
      break;
    }
    case ValueType::kListString: {
      const auto& list = static_cast<const arrow::ListArray&>(column);
      const auto& items = static_cast<const arrow::StringArray&>(*list.values());
      const int64_t begin = list.value_offset(i);
      const int64_t end = list.value_offset(i + 1);
      PutVarint(static_cast<uint64_t>(end - begin), out);
      for (int64_t k = begin; k < end; ++k) {
        const auto view = items.GetView(k);
        PutVarint(view.size(), out);
        out->append(view);
      }
      break;
    }
  }
}

// Appends one decoded value of `type` to `builder`.
Status AppendValue(std::string_view* in, core::ValueType type, arrow::ArrayBuilder* builder) {
  using core::ValueType;
  auto truncated = [] { return Status::Invalid("online row is truncated or corrupt"); };
  switch (type) {
    case ValueType::kBool: {
      if (in->empty()) return truncated();
      const bool v = in->front() != 0;
      in->remove_prefix(1);
      return static_cast<arrow::BooleanBuilder*>(builder)->Append(v);
    }
    case ValueType::kInt32: {
      int64_t v;
      if (!GetFixed(in, &v)) return truncated();
      return static_cast<arrow::Int32Builder*>(builder)->Append(static_cast<int32_t>(v));
    }
    case ValueType::kInt64: {
      int64_t v;
      if (!GetFixed(in, &v)) return truncated();
      return static_cast<arrow::Int64Builder*>(builder)->Append(v);
    }
    case ValueType::kTimestamp: {
      int64_t v;
      if (!GetFixed(in, &v)) return truncated();
      return static_cast<arrow::TimestampBuilder*>(builder)->Append(v);
    }
    case ValueType::kDate: {
      int32_t v;
      if (!GetFixed(in, &v)) return truncated();
      return static_cast<arrow::Date32Builder*>(builder)->Append(v);
    }
    case ValueType::kFloat32: {
      float v;
      if (!GetFixed(in, &v)) return truncated();
      return static_cast<arrow::FloatBuilder*>(builder)->Append(v);
    }
    case ValueType::kFloat64: {
      double v;
      if (!GetFixed(in, &v)) return truncated();
      return static_cast<arrow::DoubleBuilder*>(builder)->Append(v);
    }
    case ValueType::kString:
    case ValueType::kBytes: {
      std::string_view bytes;
      if (!GetBytes(in, &bytes)) return truncated();
      return static_cast<arrow::BinaryBuilder*>(builder)->Append(bytes);
    }
    case ValueType::kListFloat32: {
      uint64_t n = 0;
      if (!GetVarint(in, &n)) return truncated();
      auto* list = static_cast<arrow::ListBuilder*>(builder);
      FST_RETURN_NOT_OK(list->Append());
      auto* items = static_cast<arrow::FloatBuilder*>(list->value_builder());
      for (uint64_t k = 0; k < n; ++k) {
        float v;
        if (!GetFixed(in, &v)) return truncated();
        FST_RETURN_NOT_OK(items->Append(v));
      }
      return Status::OK();
    }
    case ValueType::kListString: {
      uint64_t n = 0;
      if (!GetVarint(in, &n)) return truncated();
      auto* list = static_cast<arrow::ListBuilder*>(builder);
      FST_RETURN_NOT_OK(list->Append());
      auto* items = static_cast<arrow::StringBuilder*>(list->value_builder());
      for (uint64_t k = 0; k < n; ++k) {
        std::string_view bytes;
        if (!GetBytes(in, &bytes)) return truncated();
        FST_RETURN_NOT_OK(items->Append(bytes));
      }
      return Status::OK();
    }
  }
  return truncated();
}

// Decodes one value of `type` into `out`; false when the bytes are truncated.
bool GetValue(std::string_view* in, core::ValueType type, Value* out) {
  using core::ValueType;
  switch (type) {
    case ValueType::kBool:
      if (in->empty()) return false;
      *out = in->front() != 0;
      in->remove_prefix(1);
      return true;
    case ValueType::kInt32:
    case ValueType::kInt64:
    case ValueType::kTimestamp: {
      int64_t v;
      if (!GetFixed(in, &v)) return false;
      *out = v;
      return true;
    }
    case ValueType::kDate: {
      int32_t v;
      if (!GetFixed(in, &v)) return false;
      *out = int64_t{v};
      return true;
    }
    case ValueType::kFloat32: {
      float v;
      if (!GetFixed(in, &v)) return false;
      *out = double{v};
      return true;
    }
    case ValueType::kFloat64: {
      double v;
      if (!GetFixed(in, &v)) return false;
      *out = v;
      return true;
    }
    case ValueType::kString:
    case ValueType::kBytes: {
      std::string_view bytes;
      if (!GetBytes(in, &bytes)) return false;
      *out = std::string(bytes);
      return true;
    }
    case ValueType::kListFloat32: {
      uint64_t n = 0;
      if (!GetVarint(in, &n) || in->size() / sizeof(float) < n) return false;
      std::vector<float> items(n);
      for (auto& item : items) GetFixed(in, &item);
      *out = std::move(items);
      return true;
    }
    case ValueType::kListString: {
      uint64_t n = 0;
      if (!GetVarint(in, &n) || in->size() < n) return false;
      std::vector<std::string> items;
      items.reserve(n);
      for (uint64_t k = 0; k < n; ++k) {
        std::string_view bytes;
        if (!GetBytes(in, &bytes)) return false;
        items.emplace_back(bytes);
      }
      *out = std::move(items);
      return true;
    }
  }
  return false;
}

}  // namespace

Result<RowDecoder> RowDecoder::Make(const std::vector<core::ValueType>& types) {
  RowDecoder decoder;
  decoder.types_ = types;
  for (auto type : types) {
    std::unique_ptr<arrow::ArrayBuilder> builder;
    FST_RETURN_NOT_OK(
        arrow::MakeBuilder(arrow::default_memory_pool(), core::ToArrowType(type), &builder));
    decoder.builders_.push_back(std::move(builder));
  }
  return decoder;
}

Status RowDecoder::Append(std::string_view* in) {
  RowStamp stamp;
  FST_RETURN_NOT_OK(GetStamp(in, &stamp));
  event_ts_.push_back(stamp.ts);
  for (size_t c = 0; c < types_.size(); ++c) {
    if (in->empty()) return Status::Invalid("online row is truncated or corrupt");
    const char present = in->front();
    in->remove_prefix(1);
    if (present == 0) {
      FST_RETURN_NOT_OK(builders_[c]->AppendNull());
    } else {
      FST_RETURN_NOT_OK(AppendValue(in, types_[c], builders_[c].get()));
    }
  }
  return Status::OK();
}

Status RowDecoder::AppendRows(std::string_view* in, uint64_t count) {
  // Each row takes more than one byte, so the bytes left bound both the rows and their strings.
  if (count > in->size()) return Status::Invalid("online row is truncated or corrupt");
  const auto rows = static_cast<int64_t>(count);
  event_ts_.reserve(event_ts_.size() + count);
  for (size_t c = 0; c < types_.size(); ++c) {
    FST_RETURN_NOT_OK(builders_[c]->Reserve(rows));
    if (types_[c] == core::ValueType::kString || types_[c] == core::ValueType::kBytes) {
      auto* binary = static_cast<arrow::BinaryBuilder*>(builders_[c].get());
      FST_RETURN_NOT_OK(binary->ReserveData(static_cast<int64_t>(in->size())));
    }
  }
  for (uint64_t k = 0; k < count; ++k) FST_RETURN_NOT_OK(Append(in));
  return Status::OK();
}

Status RowDecoder::AppendNull() {
  event_ts_.push_back(0);
  for (auto& builder : builders_) FST_RETURN_NOT_OK(builder->AppendNull());
  return Status::OK();
}

Result<std::vector<std::shared_ptr<arrow::Array>>> RowDecoder::Finish(
    std::vector<int64_t>* event_ts) {
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (auto& builder : builders_) {
    std::shared_ptr<arrow::Array> array;
    FST_RETURN_NOT_OK(builder->Finish(&array));
    columns.push_back(array);
  }
  *event_ts = std::move(event_ts_);
  event_ts_.clear();
  return columns;
}

Status DecodeRow(std::string_view* in, const std::vector<core::ValueType>& types,
                 int64_t* event_ts, std::vector<Value>* values) {
  RowStamp stamp;
  FST_RETURN_NOT_OK(GetStamp(in, &stamp));
  *event_ts = stamp.ts;
  auto truncated = [] { return Status::Invalid("online row is truncated or corrupt"); };
  values->resize(types.size());
  for (size_t c = 0; c < types.size(); ++c) {
    if (in->empty()) return truncated();
    const char present = in->front();
    in->remove_prefix(1);
    if (present == 0) {
      (*values)[c] = std::monostate{};
    } else if (!GetValue(in, types[c], &(*values)[c])) {
      return truncated();
    }
  }
  return Status::OK();
}

Status SplitRow(std::string_view* in, const std::vector<core::ValueType>& types, RowStamp* stamp,
                std::string_view* bytes) {
  const std::string_view start = *in;
  FST_RETURN_NOT_OK(GetStamp(in, stamp));
  for (auto type : types) {
    if (in->empty()) return Status::Invalid("online row is truncated or corrupt");
    const char present = in->front();
    in->remove_prefix(1);
    if (present != 0 && !SkipValue(in, type)) {
      return Status::Invalid("online row is truncated or corrupt");
    }
  }
  *bytes = start.substr(0, start.size() - in->size());
  return Status::OK();
}

Status SplitFields(std::string_view* in, const std::vector<core::ValueType>& types,
                   RowStamp* stamp, std::vector<std::string_view>* fields) {
  FST_RETURN_NOT_OK(GetStamp(in, stamp));
  fields->resize(types.size());
  for (size_t c = 0; c < types.size(); ++c) {
    if (in->empty()) return Status::Invalid("online row is truncated or corrupt");
    const char present = in->front();
    in->remove_prefix(1);
    if (present == 0) {
      (*fields)[c] = std::string_view();
      continue;
    }
    const std::string_view start = *in;
    if (!SkipValue(in, types[c])) return Status::Invalid("online row is truncated or corrupt");
    (*fields)[c] = start.substr(0, start.size() - in->size());
  }
  return Status::OK();
}

Status DecodeValue(std::string_view bytes, core::ValueType type, Value* out) {
  if (!GetValue(&bytes, type, out)) return Status::Invalid("online row is truncated or corrupt");
  return Status::OK();
}

bool EventsTiled(std::string_view row) { return !row.empty() && row.front() == kFormatTiled; }

void AppendTiledLatest(std::string_view row, const RowStamp& stamp, std::string* out) {
  const size_t header = row.front() == kFormatTs ? 1 + 8 : 1 + 3 * 8;
  out->push_back(kFormatTiled);
  PutFixed<int64_t>(stamp.ts, out);
  PutFixed<int64_t>(stamp.created, out);
  PutFixed<int64_t>(stamp.seq, out);
  out->append(row.substr(header));
}

void EncodeRows(const std::vector<RowStamp>& stamps,
                const std::vector<std::shared_ptr<arrow::Array>>& columns,
                const std::vector<core::ValueType>& types, const std::vector<int64_t>& rows,
                std::string* out) {
  PutVarint(rows.size(), out);
  for (int64_t row : rows) {
    EncodeRow(stamps[static_cast<size_t>(row)], columns, types, row, out);
  }
}

Result<uint64_t> DecodeRowCount(std::string_view* in) {
  uint64_t n = 0;
  if (!GetVarint(in, &n)) return Status::Invalid("online row is truncated or corrupt");
  return n;
}

void EncodeRow(const RowStamp& stamp, const std::vector<std::shared_ptr<arrow::Array>>& columns,
               const std::vector<core::ValueType>& types, int64_t i, std::string* out,
               bool tiled_events_follow) {
  out->push_back(tiled_events_follow ? kFormatTiled : kFormatStamp);
  PutFixed<int64_t>(stamp.ts, out);
  PutFixed<int64_t>(stamp.created, out);
  PutFixed<int64_t>(stamp.seq, out);
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c]->IsNull(i)) {
      out->push_back(0);
      continue;
    }
    out->push_back(1);
    PutValue(*columns[c], types[c], i, out);
  }
}

}  // namespace fst::online
