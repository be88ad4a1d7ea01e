// The state of a `unique` expectation across the batches of a run: every distinct key seen so
// far, compared exactly (a hash only picks the slot and filters candidates). Internal to
// src/quality.
//
// Keys are stored once, in insertion order: `words` 64-bit words each (single or compound
// keys of int, timestamp, date, bool and float columns) or as length-prefixed bytes (strings,
// or compound keys with one). The table is open addressing at load <= 1/2 with 8-byte slots
// (32 bits of the hash, 32-bit key index), so a lookup touches one slot and reads a stored
// key only when those 32 hash bits match. All arrays live in huge pages (huge_vector.h).
// Memory per distinct key: 16 bytes of table at most, plus 8 bytes per word, or the key bytes
// plus 12 (length and offset). 10M distinct (customer_id, event_ts, created_ts) keys: about
// 400 MB at the largest table; 10M distinct int keys about 240 MB. At most 2^32 - 1 keys.
#pragma once

#include <cstdint>
#include <string_view>

#include "huge_vector.h"

namespace fst::quality::internal {

class UniqueSet {
 public:
  // `words`: k >= 1 for keys of k words, 0 for byte keys.
  explicit UniqueSet(int words) : words_(words) {}

  int words() const { return words_; }
  // Grows the table now so that `more` inserts need no rehash (Prefetch stays valid).
  void Reserve(int64_t more);
  // Hints the slot of `hash` into the cache ahead of its insert.
  void Prefetch(uint64_t hash) const {
    __builtin_prefetch(slots_.data() + (hash & (slots_.size() - 1)));
  }
  // Inserts a key; false when it was already present. `hash` must be a function of the key
  // with well-mixed high and low bits.
  bool InsertWords(const uint64_t* key, uint64_t hash);  // words() words
  bool InsertBytes(std::string_view key, uint64_t hash);
  int64_t size() const { return size_; }

 private:
  // tag: the high 32 bits of the hash, made non-zero (0 = empty); index: the key's number.
  struct Slot {
    uint32_t tag = 0;
    uint32_t index = 0;
  };
  static uint32_t Tag(uint64_t hash) {
    const uint32_t tag = static_cast<uint32_t>(hash >> 32);
    return tag == 0 ? 1 : tag;
  }
  // The slot holding a key equal to the probe (per `equal(index)`), or the empty slot where
  // it goes.
  template <typename Equal>
  Slot* Find(uint64_t hash, Equal equal);
  void Grow();
  int words_;
  HugeVector<Slot> slots_ = HugeVector<Slot>(1024);
  HugeVector<uint64_t> hashes_;      // of each key, for rehashing
  HugeVector<uint64_t> words_data_;  // word keys, words_ per key
  HugeVector<char> bytes_;           // byte keys: 4-byte length, then the bytes
  HugeVector<uint64_t> offsets_;     // byte keys: start of each key in bytes_
  int64_t size_ = 0;
};

}  // namespace fst::quality::internal
