#include "featherstone/online/key_codec.h"

#include <charconv>

#include "varint.h"

namespace fst::online {
namespace {

void PutInt(int64_t value, std::string* out) {
  const uint64_t u = static_cast<uint64_t>(value) ^ (uint64_t{1} << 63);
  out->push_back('i');
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(u >> shift));
}

void PutString(std::string_view value, std::string* out) {
  out->push_back('s');
  PutVarint(value.size(), out);
  out->append(value);
}

}  // namespace

void EncodeKey(const std::vector<std::shared_ptr<arrow::Array>>& columns, int64_t i,
               std::string* out) {
  for (const auto& column : columns) {
    switch (column->type_id()) {
      case arrow::Type::INT64:
        PutInt(static_cast<const arrow::Int64Array&>(*column).Value(i), out);
        break;
      case arrow::Type::INT32:
        PutInt(static_cast<const arrow::Int32Array&>(*column).Value(i), out);
        break;
      case arrow::Type::LARGE_STRING:
      case arrow::Type::LARGE_BINARY:
        PutString(static_cast<const arrow::LargeBinaryArray&>(*column).GetView(i), out);
        break;
      default:
        PutString(static_cast<const arrow::BinaryArray&>(*column).GetView(i), out);
        break;
    }
  }
}

Result<std::string> EncodeKeyText(const std::vector<std::string>& names,
                                  const std::vector<core::ValueType>& types,
                                  const std::vector<std::string>& texts) {
  std::string out;
  for (size_t k = 0; k < names.size(); ++k) {
    const std::string& text = texts[k];
    if (types[k] == core::ValueType::kInt64 || types[k] == core::ValueType::kInt32) {
      int64_t value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || ptr != text.data() + text.size()) {
        return Status::Invalid("entity key '", names[k], "': value '", text, "' is not a valid ",
                               core::ValueTypeName(types[k]));
      }
      PutInt(value, &out);
    } else {
      PutString(text, &out);
    }
  }
  return out;
}

}  // namespace fst::online
