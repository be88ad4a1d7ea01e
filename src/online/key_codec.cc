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

Result<KeyPart> DecodeKeyPart(std::string_view* in) {
  KeyPart part;
  if (in->empty()) return Status::Invalid("encoded key is truncated");
  const char tag = in->front();
  in->remove_prefix(1);
  if (tag == 'i') {
    if (in->size() < 8) return Status::Invalid("encoded key is truncated");
    uint64_t u = 0;
    for (int b = 0; b < 8; ++b) u = (u << 8) | static_cast<uint8_t>((*in)[b]);
    in->remove_prefix(8);
    part.is_int = true;
    part.int_value = static_cast<int64_t>(u ^ (uint64_t{1} << 63));
    return part;
  }
  uint64_t n = 0;
  if (tag != 's' || !GetVarint(in, &n) || in->size() < n) {
    return Status::Invalid("encoded key is corrupt");
  }
  part.text = in->substr(0, n);
  in->remove_prefix(n);
  return part;
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
