#include "crc16.h"

#include <string>

#include <gtest/gtest.h>

namespace fst::online {
namespace {

// The vectors of the Redis Cluster specification and of CLUSTER KEYSLOT.
TEST(Crc16, MatchesTheClusterSpecification) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
  EXPECT_EQ(KeySlot("123456789"), 12739);
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("{user1000}.following"), 3443);
  EXPECT_EQ(KeySlot("{user1000}.followers"), 3443);
}

TEST(Crc16, HashTagRules) {
  EXPECT_EQ(KeySlot("{}foo"), Crc16("{}foo") % kClusterSlots);  // empty tag: whole key
  EXPECT_EQ(KeySlot("foo{}{bar}"), Crc16("foo{}{bar}") % kClusterSlots);
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));  // first '{' to the first '}'
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar"));
  EXPECT_EQ(KeySlot("{bar"), Crc16("{bar") % kClusterSlots);  // no '}': whole key
  EXPECT_EQ(KeySlot(std::string("a\0{x}", 5)), KeySlot("x"));  // binary-safe
}

}  // namespace
}  // namespace fst::online
