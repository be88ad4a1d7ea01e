#include "featherstone/online/row_codec.h"

#include <cstring>

#include "featherstone/core/time.h"
#include "varint.h"

namespace fst::online {
namespace {

constexpr char kFormat = 1;

template <typename T>
void PutFixed(T value, std::string* out) {
  char buf[sizeof(T)];
  std::memcpy(buf, &value, sizeof(T));
  out->append(buf, sizeof(T));
}

template <typename T>
bool GetFixed(std::string_view* in, T* value) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(value, in->data(), sizeof(T));
  in->remove_prefix(sizeof(T));
  return true;
}

bool GetBytes(std::string_view* in, std::string_view* bytes) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || in->size() < n) return false;
  *bytes = in->substr(0, n);
  in->remove_prefix(n);
  return true;
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

bool GetValue(std::string_view* in, core::ValueType type, nlohmann::json* value) {
  using core::ValueType;
  switch (type) {
    case ValueType::kBool: {
      if (in->empty()) return false;
      *value = in->front() != 0;
      in->remove_prefix(1);
      return true;
    }
    case ValueType::kInt32:
    case ValueType::kInt64: {
      int64_t v;
      if (!GetFixed(in, &v)) return false;
      *value = v;
      return true;
    }
    case ValueType::kTimestamp: {
      int64_t v;
      if (!GetFixed(in, &v)) return false;
      *value = core::FormatTimestamp(v);
      return true;
    }
    case ValueType::kDate: {
      int32_t v;
      if (!GetFixed(in, &v)) return false;
      *value = core::FormatTimestamp(v * core::kMicrosPerDay).substr(0, 10);
      return true;
    }
    case ValueType::kFloat32: {
      float v;
      if (!GetFixed(in, &v)) return false;
      *value = v;
      return true;
    }
    case ValueType::kFloat64: {
      double v;
      if (!GetFixed(in, &v)) return false;
      *value = v;
      return true;
    }
    case ValueType::kString:
    case ValueType::kBytes: {
      std::string_view bytes;
      if (!GetBytes(in, &bytes)) return false;
      *value = std::string(bytes);
      return true;
    }
    case ValueType::kListFloat32: {
      uint64_t n = 0;
      if (!GetVarint(in, &n)) return false;
      *value = nlohmann::json::array();
      for (uint64_t k = 0; k < n; ++k) {
        float v;
        if (!GetFixed(in, &v)) return false;
        value->push_back(v);
      }
      return true;
    }
    case ValueType::kListString: {
      uint64_t n = 0;
      if (!GetVarint(in, &n)) return false;
      *value = nlohmann::json::array();
      for (uint64_t k = 0; k < n; ++k) {
        std::string_view bytes;
        if (!GetBytes(in, &bytes)) return false;
        value->push_back(std::string(bytes));
      }
      return true;
    }
  }
  return false;
}

}  // namespace

void EncodeRow(int64_t event_ts, const std::vector<std::shared_ptr<arrow::Array>>& columns,
               const std::vector<core::ValueType>& types, int64_t i, std::string* out) {
  out->push_back(kFormat);
  PutFixed<int64_t>(event_ts, out);
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c]->IsNull(i)) {
      out->push_back(0);
      continue;
    }
    out->push_back(1);
    PutValue(*columns[c], types[c], i, out);
  }
}

Result<DecodedRow> DecodeRow(std::string_view bytes, const std::vector<core::ValueType>& types) {
  auto truncated = [] { return Status::Invalid("online row is truncated or corrupt"); };
  if (bytes.empty() || bytes.front() != kFormat) {
    return Status::Invalid("online row has an unknown format; run materialize again");
  }
  bytes.remove_prefix(1);
  DecodedRow row;
  if (!GetFixed(&bytes, &row.event_ts)) return truncated();
  row.values.resize(types.size());
  for (size_t c = 0; c < types.size(); ++c) {
    if (bytes.empty()) return truncated();
    const char present = bytes.front();
    bytes.remove_prefix(1);
    if (present == 0) continue;
    if (!GetValue(&bytes, types[c], &row.values[c])) return truncated();
  }
  return row;
}

}  // namespace fst::online
