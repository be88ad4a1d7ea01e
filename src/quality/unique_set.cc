#include "unique_set.h"

#include <cstring>

namespace fst::quality::internal {

template <typename Equal>
UniqueSet::Slot* UniqueSet::Find(uint64_t hash, Equal equal) {
  const size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>(hash) & mask;
  while (true) {
    Slot* slot = &slots_[i];
    if (slot->hash == 0) return slot;
    if (slot->hash == hash && equal(slot->value)) return slot;
    i = (i + 1) & mask;
  }
}

void UniqueSet::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.hash == 0) continue;
    size_t i = static_cast<size_t>(slot.hash) & mask;
    while (slots_[i].hash != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

std::string_view UniqueSet::ArenaKey(uint64_t offset) const {
  uint32_t length = 0;
  std::memcpy(&length, arena_.data() + offset, sizeof(length));
  return {arena_.data() + offset + sizeof(length), length};
}

bool UniqueSet::InsertInt(int64_t key, uint64_t hash) {
  if (static_cast<size_t>(size_ + 1) * 2 > slots_.size()) Grow();
  hash |= 1;
  const uint64_t value = static_cast<uint64_t>(key);
  Slot* slot = Find(hash, [value](uint64_t stored) { return stored == value; });
  if (slot->hash != 0) return false;
  *slot = Slot{hash, value};
  ++size_;
  return true;
}

bool UniqueSet::InsertBytes(std::string_view key, uint64_t hash) {
  if (static_cast<size_t>(size_ + 1) * 2 > slots_.size()) Grow();
  hash |= 1;
  Slot* slot = Find(hash, [&](uint64_t offset) { return ArenaKey(offset) == key; });
  if (slot->hash != 0) return false;
  const uint64_t offset = arena_.size();
  const uint32_t length = static_cast<uint32_t>(key.size());
  arena_.resize(arena_.size() + sizeof(length) + key.size());
  std::memcpy(arena_.data() + offset, &length, sizeof(length));
  std::memcpy(arena_.data() + offset + sizeof(length), key.data(), key.size());
  *slot = Slot{hash, offset};
  ++size_;
  return true;
}

}  // namespace fst::quality::internal
