#include "unique_set.h"

#include <algorithm>
#include <cstring>

namespace fst::quality::internal {

template <typename Equal>
UniqueSet::Slot* UniqueSet::Find(uint64_t hash, Equal equal) {
  const size_t mask = slots_.size() - 1;
  const uint32_t tag = Tag(hash);
  size_t i = static_cast<size_t>(hash) & mask;
  while (true) {
    Slot* slot = &slots_[i];
    if (slot->tag == 0) return slot;
    if (slot->tag == tag && equal(slot->index)) return slot;
    i = (i + 1) & mask;
  }
}

void UniqueSet::Grow() {
  slots_ = HugeVector<Slot>(slots_.size() * 2);
  const size_t mask = slots_.size() - 1;
  for (int64_t k = 0; k < size_; ++k) {
    const uint64_t hash = hashes_[static_cast<size_t>(k)];
    size_t i = static_cast<size_t>(hash) & mask;
    while (slots_[i].tag != 0) i = (i + 1) & mask;
    slots_[i] = Slot{Tag(hash), static_cast<uint32_t>(k)};
  }
}

void UniqueSet::Reserve(int64_t more) {
  while (static_cast<size_t>(size_ + more) * 2 > slots_.size()) Grow();
}

bool UniqueSet::InsertWords(const uint64_t* key, uint64_t hash) {
  if (static_cast<size_t>(size_ + 1) * 2 > slots_.size()) Grow();
  const size_t width = static_cast<size_t>(words_);
  Slot* slot = Find(hash, [&](uint32_t index) {
    return std::memcmp(&words_data_[index * width], key, width * sizeof(uint64_t)) == 0;
  });
  if (slot->tag != 0) return false;
  *slot = Slot{Tag(hash), static_cast<uint32_t>(size_)};
  words_data_.Append(key, width);
  hashes_.PushBack(hash);
  ++size_;
  return true;
}

bool UniqueSet::InsertBytes(std::string_view key, uint64_t hash) {
  if (static_cast<size_t>(size_ + 1) * 2 > slots_.size()) Grow();
  Slot* slot = Find(hash, [&](uint32_t index) {
    const uint64_t offset = offsets_[index];
    uint32_t length = 0;
    std::memcpy(&length, bytes_.data() + offset, sizeof(length));
    return length == key.size() &&
           std::memcmp(bytes_.data() + offset + sizeof(length), key.data(), key.size()) == 0;
  });
  if (slot->tag != 0) return false;
  *slot = Slot{Tag(hash), static_cast<uint32_t>(size_)};
  const uint32_t length = static_cast<uint32_t>(key.size());
  offsets_.PushBack(bytes_.size());
  bytes_.Append(reinterpret_cast<const char*>(&length), sizeof(length));
  bytes_.Append(key.data(), key.size());
  hashes_.PushBack(hash);
  ++size_;
  return true;
}

}  // namespace fst::quality::internal
