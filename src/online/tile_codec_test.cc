// Tiled events against the brute-force window reference (transform::AggregateWindowsReference)
// on random keys: every function the tiles answer over every column type it accepts, events
// with duplicate times, ties, nulls, NaN and infinities, read at random times, at event times,
// and where a window starts exactly at an event time or at a tile edge (and one µs either side).
#include "featherstone/online/tile_codec.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "featherstone/transform/window_aggregation_reference.h"

namespace fst::online {
namespace {

using core::ValueType;
using transform::AggFunction;
using transform::AggRequest;

const std::vector<ValueType> kTypes = {ValueType::kInt64,     ValueType::kFloat64,
                                       ValueType::kInt32,     ValueType::kFloat32,
                                       ValueType::kTimestamp, ValueType::kDate,
                                       ValueType::kString};

bool Numeric(ValueType t) {
  return t == ValueType::kInt64 || t == ValueType::kInt32 || t == ValueType::kFloat64 ||
         t == ValueType::kFloat32;
}

// One key's events in tie order: stamps and one Arrow column per entry of kTypes.
struct KeyEvents {
  std::vector<RowStamp> stamps;
  std::vector<std::shared_ptr<arrow::Array>> columns;
};

KeyEvents RandomEvents(std::mt19937_64& rng, int64_t width, bool non_finite) {
  std::uniform_int_distribution<int> count_of(0, 60);
  const int n = count_of(rng);
  // Times on a few tiles, crowded on their edges so that ties and edge events are common.
  std::uniform_int_distribution<int64_t> tile(-3, 5);
  std::uniform_int_distribution<int> where(0, 5);
  KeyEvents out;
  for (int i = 0; i < n; ++i) {
    const int64_t base = tile(rng) * width;
    const int w = where(rng);
    const int64_t ts = w == 0 ? base : w == 1 ? base - 1 : w == 2 ? base + 1
                                                          : base + static_cast<int64_t>(rng() % static_cast<uint64_t>(width));
    out.stamps.push_back(RowStamp{ts, static_cast<int64_t>(rng() % 3) - 1,
                                  static_cast<int64_t>(rng() % 1000)});
  }
  std::sort(out.stamps.begin(), out.stamps.end());
  auto null = [&] { return rng() % 5 == 0; };
  auto small = [&] { return static_cast<int64_t>(rng() % 7) - 3; };
  auto real = [&]() -> double {
    if (non_finite && rng() % 8 == 0) {
      const double special[] = {std::nan(""), INFINITY, -INFINITY, -0.0};
      return special[rng() % 4];
    }
    return static_cast<double>(small()) + 0.25 * static_cast<double>(rng() % 4);
  };
  for (ValueType type : kTypes) {
    std::unique_ptr<arrow::ArrayBuilder> builder;
    EXPECT_TRUE(arrow::MakeBuilder(arrow::default_memory_pool(), core::ToArrowType(type),
                                   &builder).ok());
    for (int i = 0; i < n; ++i) {
      if (null()) {
        EXPECT_TRUE(builder->AppendNull().ok());
        continue;
      }
      arrow::Status st;
      switch (type) {
        case ValueType::kInt64:
          st = static_cast<arrow::Int64Builder*>(builder.get())->Append(small() * 1000003);
          break;
        case ValueType::kInt32:
          st = static_cast<arrow::Int32Builder*>(builder.get())->Append(static_cast<int32_t>(small()));
          break;
        case ValueType::kFloat64:
          st = static_cast<arrow::DoubleBuilder*>(builder.get())->Append(real());
          break;
        case ValueType::kFloat32:
          st = static_cast<arrow::FloatBuilder*>(builder.get())->Append(static_cast<float>(real()));
          break;
        case ValueType::kTimestamp:
          st = static_cast<arrow::TimestampBuilder*>(builder.get())->Append(small() * 3600);
          break;
        case ValueType::kDate:
          st = static_cast<arrow::Date32Builder*>(builder.get())->Append(static_cast<int32_t>(small()));
          break;
        default:
          st = static_cast<arrow::StringBuilder*>(builder.get())->Append(std::string(rng() % 3, 'a' + static_cast<char>(rng() % 3)));
          break;
      }
      EXPECT_TRUE(st.ok());
    }
    std::shared_ptr<arrow::Array> array;
    EXPECT_TRUE(builder->Finish(&array).ok());
    out.columns.push_back(array);
  }
  return out;
}

// Value `q` of a reference result as the tiles give it.
Value ReferenceValue(const arrow::Array& array, int64_t q) {
  if (array.IsNull(q)) return std::monostate{};
  switch (array.type_id()) {
    case arrow::Type::INT64:
    case arrow::Type::TIMESTAMP:
      return array.data()->GetValues<int64_t>(1)[q];
    case arrow::Type::INT32:
    case arrow::Type::DATE32:
      return int64_t{array.data()->GetValues<int32_t>(1)[q]};
    case arrow::Type::FLOAT:
      return double{static_cast<const arrow::FloatArray&>(array).Value(q)};
    case arrow::Type::DOUBLE:
      return static_cast<const arrow::DoubleArray&>(array).Value(q);
    default:
      return std::string(static_cast<const arrow::StringArray&>(array).GetView(q));
  }
}

bool Same(const Value& got, const Value& want, AggFunction fn) {
  const double* x = std::get_if<double>(&got);
  const double* y = std::get_if<double>(&want);
  if (x == nullptr || y == nullptr) return got == want;
  if (std::isnan(*x) || std::isnan(*y)) return std::isnan(*x) && std::isnan(*y);
  if (fn == AggFunction::kSum || fn == AggFunction::kAvg) {  // summation order differs
    return *x == *y || std::fabs(*x - *y) <= 1e-9 * std::max({1.0, std::fabs(*x), std::fabs(*y)});
  }
  return *x == *y;
}

std::string Show(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "null";
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return "'" + *s + "'";
  return "?";
}

class TileCodecTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(TileCodecTest, MatchesReference) {
  std::mt19937_64 rng(GetParam());
  const int64_t max_window = 1600 + static_cast<int64_t>(rng() % 400);
  const std::vector<int64_t> windows = {max_window, max_window / 3, max_window / 16, 1,
                                        max_window / 16 + 1};
  std::vector<AggRequest> requests;
  for (int64_t w : windows) {
    requests.push_back({AggFunction::kCount, w, -1});
    for (size_t c = 0; c < kTypes.size(); ++c) {
      const int column = static_cast<int>(c);
      requests.push_back({AggFunction::kCount, w, column});
      requests.push_back({AggFunction::kFirst, w, column});
      requests.push_back({AggFunction::kLast, w, column});
      if (kTypes[c] == ValueType::kString) continue;
      requests.push_back({AggFunction::kMin, w, column});
      requests.push_back({AggFunction::kMax, w, column});
      if (!Numeric(kTypes[c])) continue;
      requests.push_back({AggFunction::kSum, w, column});
      requests.push_back({AggFunction::kAvg, w, column});
    }
  }
  const TileLayout layout = MakeTileLayout(requests, kTypes, max_window);
  const int64_t width = layout.width_us;
  for (int key = 0; key < 20; ++key) {
    const KeyEvents events = RandomEvents(rng, width, key % 2 == 1);
    const auto n = static_cast<int64_t>(events.stamps.size());
    std::string encoded;
    for (int64_t i = 0; i < n; ++i) {
      EncodeRow(events.stamps[static_cast<size_t>(i)], events.columns, kTypes, i, &encoded);
    }
    std::string section;
    ASSERT_TRUE(EncodeTiles(encoded, static_cast<uint64_t>(n), kTypes, layout, &section).ok());
    std::string_view in = section;
    TiledEvents tiles;
    ASSERT_TRUE(tiles.Parse(&in, kTypes).ok());
    ASSERT_TRUE(in.empty());
    ASSERT_EQ(tiles.count(), static_cast<uint64_t>(n));
    ASSERT_EQ(tiles.events(), encoded);

    // Read times: random, at events, and where windows start at events and tile edges.
    std::vector<int64_t> times = {-10 * width, 10 * width};
    for (int k = 0; k < 8; ++k) times.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(12 * width)) - 4 * width);
    for (const auto& stamp : events.stamps) times.push_back(stamp.ts);
    for (int64_t w : windows) {
      for (int64_t edge = -4; edge <= 7; ++edge) {
        for (int64_t d = -1; d <= 1; ++d) times.push_back(edge * width + w + d);
      }
      if (n > 0) times.push_back(events.stamps[rng() % events.stamps.size()].ts + w);
    }
    std::sort(times.begin(), times.end());

    std::vector<int64_t> ts;
    for (const auto& stamp : events.stamps) ts.push_back(stamp.ts);
    transform::Events arrow_events{ts.data(), n, events.columns};
    const std::vector<transform::QueryGroup> groups = {
        {0, n, 0, static_cast<int64_t>(times.size())}};
    auto want = transform::AggregateWindowsReference(
        arrow_events, groups, times.data(), static_cast<int64_t>(times.size()), requests);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    for (size_t r = 0; r < requests.size(); ++r) {
      ASSERT_TRUE(tiles.Answers(requests[r]));
      for (size_t q = 0; q < times.size(); ++q) {
        Value got;
        ASSERT_TRUE(tiles.Aggregate(requests[r], times[q], &got).ok());
        const Value expected = ReferenceValue(*(*want)[r], static_cast<int64_t>(q));
        ASSERT_TRUE(Same(got, expected, requests[r].fn))
            << "seed " << GetParam() << " key " << key << " request " << r << " fn "
            << static_cast<int>(requests[r].fn) << " column " << requests[r].column
            << " window " << requests[r].window_us << " at " << times[q] << ": got "
            << Show(got) << ", want " << Show(expected);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, TileCodecTest, ::testing::Range<uint64_t>(1, 7));

// Requests the tiles do not keep are left to the decoded events.
TEST(TileCodec, LeavesOtherFunctionsToTheEvents) {
  const std::vector<AggRequest> requests = {{AggFunction::kStddev, 100, 1},
                                            {AggFunction::kCountDistinct, 100, 0},
                                            {AggFunction::kSum, 100, 6}};
  const TileLayout layout = MakeTileLayout(requests, kTypes, 100);
  std::string section;
  ASSERT_TRUE(EncodeTiles("", 0, kTypes, layout, &section).ok());
  std::string_view in = section;
  TiledEvents tiles;
  ASSERT_TRUE(tiles.Parse(&in, kTypes).ok());
  for (const auto& r : requests) EXPECT_FALSE(tiles.Answers(r));
  EXPECT_TRUE(tiles.Answers({AggFunction::kCount, 100, 3}));
  std::string_view truncated = std::string_view(section).substr(0, section.size() - 1);
  EXPECT_FALSE(tiles.Parse(&truncated, kTypes).ok());
}

}  // namespace
}  // namespace fst::online
