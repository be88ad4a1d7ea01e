// Encoding of composite entity keys for online stores: per key column a tag ('i' int64 as 8
// big-endian bytes with the sign bit flipped, 's' varint length + bytes), concatenated.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/array.h>

#include "featherstone/core/types.h"

namespace fst::online {

// Appends the encoding of row `i` of `columns` (integers or strings, no nulls) to `out`.
void EncodeKey(const std::vector<std::shared_ptr<arrow::Array>>& columns, int64_t i,
               std::string* out);

// Encodes key values given as text (e.g. from `--entity customer_id=42`) for the declared
// types. Errors: Invalid naming the key, the text and the expected type.
Result<std::string> EncodeKeyText(const std::vector<std::string>& names,
                                  const std::vector<core::ValueType>& types,
                                  const std::vector<std::string>& texts);

// One decoded key column value; `text` points into the encoded bytes.
struct KeyPart {
  bool is_int = false;
  int64_t int_value = 0;
  std::string_view text;
};

// Decodes the key column value at the front of `in`, advancing it.
// Errors: Invalid when the bytes are not an encoded key.
Result<KeyPart> DecodeKeyPart(std::string_view* in);

}  // namespace fst::online
