// PitMergeRun against ReferencePit on in-memory runs large enough for the two-thread split,
// with many keys and long equal-key groups.
#include "featherstone/offline/pit_join.h"

#include <random>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "pit_join_reference.h"

namespace fst::offline {
namespace {

std::shared_ptr<arrow::Array> Ints(const std::vector<int64_t>& values) {
  arrow::Int64Builder b;
  EXPECT_TRUE(b.AppendValues(values).ok());
  return *b.Finish();
}

TEST(PitMergeRun, ParallelMatchesSerialAndReference) {
  std::mt19937_64 rng(7);
  const int64_t nkeys = 3000;
  // Feature rows, sorted by (key, ts, seq).
  std::vector<int64_t> fkey, fts, fseq;
  std::vector<ReferenceRow> rows;
  for (int64_t k = 0; k < nkeys; ++k) {
    const int64_t n = static_cast<int64_t>(rng() % 12);
    std::vector<int64_t> times;
    for (int64_t r = 0; r < n; ++r) times.push_back(static_cast<int64_t>(rng() % 100));
    std::sort(times.begin(), times.end());
    for (int64_t t : times) {
      fkey.push_back(k * 2);  // odd keys have no data
      fts.push_back(t);
      fseq.push_back(static_cast<int64_t>(fseq.size()));
      rows.push_back({{std::to_string(k * 2)}, t, std::numeric_limits<int64_t>::min(), fseq.back()});
    }
  }
  std::vector<int64_t> ekey, ets;
  std::vector<ReferenceEntity> entities;
  for (int64_t i = 0; i < 100000; ++i) {
    ekey.push_back(static_cast<int64_t>(rng() % (2 * nkeys + 2)));
    ets.push_back(static_cast<int64_t>(rng() % 110));
  }
  std::vector<int64_t> order(ekey.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return std::tie(ekey[a], ets[a]) < std::tie(ekey[b], ets[b]);
  });
  std::vector<int64_t> skey, sts;
  for (int64_t i : order) {
    skey.push_back(ekey[i]);
    sts.push_back(ets[i]);
    entities.push_back({{std::to_string(ekey[i])}, false, ets[i]});
  }
  auto entity_keys = *KeyColumns::Make({Ints(skey)}, {"k"});
  auto feature_keys = *KeyColumns::Make({Ints(fkey)}, {"k"});
  EntityRun e{&entity_keys, sts.data(), static_cast<int64_t>(sts.size())};
  std::vector<int64_t> created(fts.size(), std::numeric_limits<int64_t>::min());
  FeatureRun run{&feature_keys, fts.data(), created.data(), fseq.data(), nullptr,
                 static_cast<int64_t>(fts.size())};
  for (int64_t ttl : {0, 1, 10}) {
    PitWindow window{ttl};
    std::vector<Match> serial(sts.size()), parallel(sts.size());
    PitMergeRun(e, run, 0, window, &serial, 1);
    PitMergeRun(e, run, 0, window, &parallel, 2);
    // The reference scans every row per entity: check a sample of entity rows against it.
    std::vector<ReferenceEntity> sample;
    for (size_t i = 0; i < entities.size(); i += 97) sample.push_back(entities[i]);
    const auto expected = ReferencePit(sample, rows, window);
    for (size_t i = 0; i < sts.size(); ++i) {
      ASSERT_EQ(parallel[i].row, serial[i].row) << "ttl " << ttl << " row " << i;
      if (i % 97 == 0) {
        ASSERT_EQ(serial[i].row, expected[i / 97]) << "ttl " << ttl << " row " << i;
      }
    }
  }
}

}  // namespace
}  // namespace fst::offline
