// Hashes of column values, shared by the distinct estimate and the unique set. Internal.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include <xxhash.h>

namespace fst::quality::internal {

template <typename T>
inline uint64_t HashFixedValue(T value) {
  return XXH3_64bits(&value, sizeof(value));
}

inline uint64_t HashBytes(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

}  // namespace fst::quality::internal
