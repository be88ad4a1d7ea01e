// The slow, obviously-correct point-in-time lookup that the fast join is tested against.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "featherstone/offline/pit_join.h"

namespace fst::offline {

struct ReferenceRow {
  std::vector<std::string> key;  // key values as text; equality only
  int64_t ts = 0;
  int64_t created = std::numeric_limits<int64_t>::min();  // INT64_MIN = null
  int64_t seq = 0;
};

struct ReferenceEntity {
  std::vector<std::string> key;
  bool key_null = false;
  int64_t ts = 0;
};

// For every entity, the index in `rows` of the DESIGN section 3 winner, or -1: scans all rows.
std::vector<int64_t> ReferencePit(const std::vector<ReferenceEntity>& entities,
                                  const std::vector<ReferenceRow>& rows, const PitWindow& window);

}  // namespace fst::offline
