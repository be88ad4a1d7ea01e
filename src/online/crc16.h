// Redis Cluster key slots: CRC16-XMODEM of the key (or of its hash tag) modulo 16384, as in
// the Redis Cluster specification ("Keys distribution model").
#pragma once

#include <cstdint>
#include <string_view>

namespace fst::online {

inline constexpr int kClusterSlots = 16384;

// CRC16-XMODEM (polynomial 0x1021, initial value 0) of `data`.
uint16_t Crc16(std::string_view data);

// The slot of `key`: when the key holds a '{' followed later by a '}' with at least one byte
// between them, only those bytes (the hash tag) are hashed; otherwise the whole key.
int KeySlot(std::string_view key);

}  // namespace fst::online
