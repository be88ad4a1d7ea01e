// The state of a `unique` expectation across the batches of a run: every distinct key seen so
// far, compared exactly (a hash only picks the slot). Internal to src/quality.
//
// Memory: open addressing at load <= 1/2 with 16-byte slots, so about 32 bytes per distinct
// key, plus for byte keys the key bytes and a 4-byte length each (int keys are held in the
// slot). 10M distinct string keys of 12 bytes take about 480 MB at the largest table.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace fst::quality::internal {

class UniqueSet {
 public:
  // Inserts `key`; false when it was already present. `hash` must be a function of the key.
  bool InsertInt(int64_t key, uint64_t hash);
  bool InsertBytes(std::string_view key, uint64_t hash);
  int64_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;   // 0 = empty (stored hashes have their low bit set)
    uint64_t value = 0;  // the int key, or the offset of the key in arena_
  };
  // The slot of `hash` whose key equals, or the empty slot where it goes.
  template <typename Equal>
  Slot* Find(uint64_t hash, Equal equal);
  void Grow();
  std::string_view ArenaKey(uint64_t offset) const;

  std::vector<Slot> slots_;
  std::vector<char> arena_;
  int64_t size_ = 0;
};

}  // namespace fst::quality::internal
