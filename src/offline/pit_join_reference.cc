#include "pit_join_reference.h"

namespace fst::offline {

std::vector<int64_t> ReferencePit(const std::vector<ReferenceEntity>& entities,
                                  const std::vector<ReferenceRow>& rows, const PitWindow& window) {
  std::vector<int64_t> winners;
  for (const auto& entity : entities) {
    int64_t best = -1;
    for (size_t r = 0; r < rows.size(); ++r) {
      const ReferenceRow& row = rows[r];
      if (entity.key_null || row.key != entity.key) continue;
      if (row.ts > entity.ts) continue;
      if (window.ttl_us > 0 && row.ts < entity.ts - window.ttl_us) continue;
      if (row.ts < window.min_ts) continue;
      if (best < 0) {
        best = static_cast<int64_t>(r);
        continue;
      }
      const ReferenceRow& b = rows[static_cast<size_t>(best)];
      const bool later = row.ts != b.ts           ? row.ts > b.ts
                         : row.created != b.created ? row.created > b.created
                                                    : row.seq > b.seq;
      if (later) best = static_cast<int64_t>(r);
    }
    winners.push_back(best);
  }
  return winners;
}

}  // namespace fst::offline
