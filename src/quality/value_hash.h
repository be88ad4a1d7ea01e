// Hashes of column values, shared by the distinct estimate and the unique set. Internal.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include <xxhash.h>

namespace fst::quality::internal {

// A 64-bit finalizer (MurmurHash3's fmix64): every input bit affects every output bit, which is
// what HyperLogLog and open addressing need from fixed-width values, at a fraction of a
// general hash's cost.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

template <typename T>
inline uint64_t HashFixedValue(T value) {
  static_assert(sizeof(T) <= sizeof(uint64_t));
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(value));
  return Mix64(bits + 0x9e3779b97f4a7c15ULL);
}

// Combines the hash so far with one more 64-bit word (compound keys).
inline uint64_t HashCombine(uint64_t hash, uint64_t word) {
  return Mix64(hash ^ (word + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2)));
}

inline uint64_t HashBytes(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

}  // namespace fst::quality::internal
