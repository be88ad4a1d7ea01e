// The sliding implementation against the independent brute-force reference on random grouped
// events: every function, every column type AggResultType accepts, windows from 1 µs to near
// INT64_MAX, ties, duplicates, nulls, empty groups and inputs, and queries on window edges and
// before or after all events; NaN and infinities, int64 beyond 2^53, lists. The edge inputs
// most likely to go wrong are also pinned one by one at the end.
#include "featherstone/transform/window_aggregation.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "featherstone/transform/window_aggregation_reference.h"

namespace fst::transform {
namespace {

using core::ValueType;

constexpr AggFunction kAll[] = {AggFunction::kCount,  AggFunction::kSum,  AggFunction::kAvg,
                                AggFunction::kMin,    AggFunction::kMax,  AggFunction::kStddev,
                                AggFunction::kLast,   AggFunction::kFirst,
                                AggFunction::kCountDistinct};
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

std::string Name(AggFunction fn) {
  constexpr const char* kNames[] = {"count", "sum",  "avg",   "min",           "max",
                                    "stddev", "last", "first", "count_distinct"};
  return kNames[static_cast<int>(fn)];
}

// Edge inputs the main property test leaves out, so that a failure in the common cases is told
// apart from one at an edge; MatchesReferenceIncludingKnownDiscrepancies puts them in.
struct Scope {
  bool min_max_of_int64_beyond_2_53 = false;  // double would tie them
  bool window_below_int64_min = false;        // t - w overflows: INT64_MAX windows at t < -1
  bool nan_and_infinity = false;              // not summed as finite values
  bool count_distinct_of_lists = false;       // lists compared item by item
};

struct Column {
  ValueType type;
  bool extreme = false;  // int64 values near ±2^53, ±2^62 and the limits: no sum, avg, stddev
  std::shared_ptr<arrow::Array> array;
};

struct Data {
  std::vector<int64_t> ts;
  std::vector<Column> columns;
  std::vector<QueryGroup> groups;
  std::vector<int64_t> query_ts;
  std::vector<int64_t> windows;

  Events events() const {
    Events e{ts.data(), static_cast<int64_t>(ts.size()), {}};
    for (const auto& c : columns) e.columns.push_back(c.array);
    return e;
  }
};

// Whether `fn` over column `c` (-1: none) is a request the feature planner can make and the
// scope admits.
bool Allowed(const Data& d, const Scope& scope, AggFunction fn, int c) {
  if (c < 0) return fn == AggFunction::kCount;
  const Column& column = d.columns[static_cast<size_t>(c)];
  if (column.type == ValueType::kListString && fn == AggFunction::kCountDistinct &&
      !scope.count_distinct_of_lists) {
    return false;
  }
  if (column.extreme) {
    if (fn == AggFunction::kSum || fn == AggFunction::kAvg || fn == AggFunction::kStddev) {
      return false;
    }
    const bool min_max = fn == AggFunction::kMin || fn == AggFunction::kMax;
    if (min_max && !scope.min_max_of_int64_beyond_2_53) return false;
  }
  return AggResultType(fn, column.type, true).ok();
}

class Generator {
 public:
  Generator(uint64_t seed, const Scope& scope) : rng_(seed), scope_(scope) {}

  int64_t Pick(int64_t n) { return static_cast<int64_t>(rng_() % static_cast<uint64_t>(n)); }
  bool OneIn(int64_t n) { return Pick(n) == 0; }

  Data Make() {
    Data d;
    constexpr int64_t kSpreads[] = {1, 3, 30, 1000};
    constexpr int64_t kBases[] = {0, -1000, 1'700'000'000'000'000};
    constexpr int64_t kNullOneIn[] = {1'000'000, 5, 2, 1};
    const int64_t spread = kSpreads[Pick(4)];
    const int64_t base = kBases[Pick(3)];
    null_one_in_ = kNullOneIn[Pick(4)];
    // Queries are never before -4000, so kMax - 4096 is the largest window whose start t - w
    // stays above INT64_MIN.
    const int64_t huge[] = {scope_.window_below_int64_min ? kMax : kMax - 4096, int64_t{1} << 62,
                            100 * 365 * 86'400'000'000LL};
    d.windows = {1, huge[Pick(3)], 1 + Pick(spread + 1), 1 + Pick(4 * spread)};
    const std::vector<ValueType> types = {
        ValueType::kFloat64, ValueType::kInt64,   ValueType::kString, ValueType::kTimestamp,
        ValueType::kInt32,   ValueType::kFloat32, ValueType::kBool,   ValueType::kDate,
        ValueType::kInt64,   ValueType::kBytes,   ValueType::kListString,
        ValueType::kListFloat32};
    constexpr size_t kExtreme = 8;
    std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders;
    for (size_t c = 0; c < types.size(); ++c) {
      builders.push_back(*arrow::MakeBuilder(core::ToArrowType(types[c])));
      d.columns.push_back({types[c], c == kExtreme, nullptr});
    }
    // No keys, a few keys with up to 40 events, or many keys with a few events each.
    const int64_t mode = Pick(10);
    const int64_t ngroups = mode == 0 ? 0 : mode < 7 ? 1 + Pick(6) : 20 + Pick(60);
    const int64_t max_events = mode < 7 ? 40 : 6;
    for (int64_t g = 0; g < ngroups; ++g) {
      AddOutsideQueries(&d, base, spread);
      QueryGroup group;
      group.event_begin = static_cast<int64_t>(d.ts.size());
      const int64_t n = OneIn(5) ? 0 : Pick(max_events + 1);
      std::vector<int64_t> times;
      for (int64_t e = 0; e < n; ++e) times.push_back(base + Pick(spread));  // ties
      std::sort(times.begin(), times.end());
      for (int64_t t : times) {
        d.ts.push_back(t);
        for (size_t c = 0; c < types.size(); ++c) {
          AppendValue(types[c], c == kExtreme, builders[c].get());
        }
      }
      group.event_end = static_cast<int64_t>(d.ts.size());
      group.query_begin = static_cast<int64_t>(d.query_ts.size());
      std::vector<int64_t> queries;
      const int64_t nq = Pick(12);
      for (int64_t q = 0; q < nq; ++q) queries.push_back(QueryTime(d, times, base, spread));
      std::sort(queries.begin(), queries.end());
      d.query_ts.insert(d.query_ts.end(), queries.begin(), queries.end());
      group.query_end = static_cast<int64_t>(d.query_ts.size());
      d.groups.push_back(group);
    }
    AddOutsideQueries(&d, base, spread);
    for (size_t c = 0; c < types.size(); ++c) d.columns[c].array = *builders[c]->Finish();
    return d;
  }

 private:
  // Queries of keys without events, which get the empty-window value.
  void AddOutsideQueries(Data* d, int64_t base, int64_t spread) {
    if (!OneIn(3)) return;
    for (int64_t k = Pick(3); k >= 0; --k) d->query_ts.push_back(base - spread + Pick(3 * spread));
  }

  // On an event, exactly one window after one (where it leaves) or just before, before or after
  // all the key's events, or anywhere.
  int64_t QueryTime(const Data& d, const std::vector<int64_t>& times, int64_t base,
                    int64_t spread) {
    const int64_t w = d.windows[static_cast<size_t>(Pick(static_cast<int64_t>(d.windows.size())))];
    const int64_t kind = Pick(6);
    if (!times.empty()) {
      const int64_t e = times[static_cast<size_t>(Pick(static_cast<int64_t>(times.size())))];
      int64_t edge = 0;
      if (kind == 0) return e;
      if (kind == 1 && !__builtin_add_overflow(e, w, &edge)) return edge;
      if (kind == 2 && !__builtin_add_overflow(e, w - 1, &edge)) return edge;
      if (kind == 3) return times.front() - 1 - Pick(2 * spread);
      if (kind == 4) return times.back() + Pick(3 * spread);
    }
    return base - spread + Pick(3 * spread);
  }

  void AppendValue(ValueType type, bool extreme, arrow::ArrayBuilder* b) {
    if (OneIn(null_one_in_)) {
      EXPECT_TRUE(b->AppendNull().ok());
      return;
    }
    arrow::Status st;
    switch (type) {
      case ValueType::kFloat64: {
        constexpr double kInf = std::numeric_limits<double>::infinity();
        const double pool[] = {-0.0, 0.0, 1.5, -2.25, 1e6 / 3, std::nan(""), kInf, -kInf};
        const double x = OneIn(2) ? pool[Pick(scope_.nan_and_infinity ? 8 : 5)]
                                  : static_cast<double>(Pick(2000)) / 7.0 - 100.0;
        st = static_cast<arrow::DoubleBuilder*>(b)->Append(x);
        break;
      }
      case ValueType::kInt64: {
        int64_t x = OneIn(2) ? Pick(7) - 3 : Pick(2'000'001) - 1'000'000;
        if (extreme) {
          constexpr int64_t kAround[] = {int64_t{1} << 53, -(int64_t{1} << 53), int64_t{1} << 62,
                                         -(int64_t{1} << 62), kMax - 3, kMin};
          x = kAround[Pick(6)] + Pick(4);
        }
        st = static_cast<arrow::Int64Builder*>(b)->Append(x);
        break;
      }
      case ValueType::kString:
        st = static_cast<arrow::StringBuilder*>(b)->Append(
            OneIn(7) ? "" : "v" + std::to_string(Pick(6)));
        break;
      case ValueType::kBytes: {
        const std::string bytes = std::string(1, '\0') + std::to_string(Pick(4));
        st = static_cast<arrow::BinaryBuilder*>(b)->Append(OneIn(2) ? bytes.substr(1) : bytes);
        break;
      }
      case ValueType::kTimestamp:
        st = static_cast<arrow::TimestampBuilder*>(b)->Append(OneIn(2) ? Pick(5)
                                                                       : Pick(100000) - 50000);
        break;
      case ValueType::kInt32: {
        constexpr int32_t kEdges[] = {std::numeric_limits<int32_t>::max(),
                                      std::numeric_limits<int32_t>::min()};
        st = static_cast<arrow::Int32Builder*>(b)->Append(
            OneIn(8) ? kEdges[Pick(2)] : static_cast<int32_t>(Pick(11) - 5));
        break;
      }
      case ValueType::kFloat32:
        st = static_cast<arrow::FloatBuilder*>(b)->Append(static_cast<float>(Pick(9)) / 4 - 1);
        break;
      case ValueType::kBool:
        st = static_cast<arrow::BooleanBuilder*>(b)->Append(OneIn(2));
        break;
      case ValueType::kDate:
        st = static_cast<arrow::Date32Builder*>(b)->Append(static_cast<int32_t>(Pick(20) - 10));
        break;
      case ValueType::kListString: {
        auto* list = static_cast<arrow::ListBuilder*>(b);
        st = list->Append();
        for (int64_t k = Pick(3); k > 0 && st.ok(); --k) {
          st = static_cast<arrow::StringBuilder*>(list->value_builder())->Append(
              std::string(1, static_cast<char>('a' + Pick(2))));
        }
        break;
      }
      case ValueType::kListFloat32: {  // embeddings of dim 3, often equal (ties, duplicates)
        auto* list = static_cast<arrow::ListBuilder*>(b);
        st = list->Append();
        for (int k = 0; k < 3 && st.ok(); ++k) {
          st = static_cast<arrow::FloatBuilder*>(list->value_builder())->Append(
              static_cast<float>(Pick(3)) / 4);
        }
        break;
      }
      default:
        st = arrow::Status::Invalid("no generator for ", core::ValueTypeName(type));
    }
    EXPECT_TRUE(st.ok()) << st.ToString();
  }

  std::mt19937_64 rng_;
  Scope scope_;
  int64_t null_one_in_ = 5;
};

const QueryGroup* GroupOf(const Data& d, int64_t q) {
  for (const auto& g : d.groups) {
    if (q >= g.query_begin && q < g.query_end) return &g;
  }
  return nullptr;
}

// Query q and its group's events, for a failure message.
std::string DescribeQuery(const Data& d, const AggRequest& r, int64_t q) {
  std::ostringstream out;
  out << Name(r.fn) << " window " << r.window_us << " column " << r.column << " query " << q
      << " at " << d.query_ts[static_cast<size_t>(q)] << "; ";
  const QueryGroup* g = GroupOf(d, q);
  if (g == nullptr) return out.str() + "no group";
  out << "group events [" << g->event_begin << ", " << g->event_end << "):";
  for (int64_t e = g->event_begin; e < g->event_end; ++e) {
    out << " " << d.ts[static_cast<size_t>(e)];
    if (r.column >= 0) {
      out << "=" << (*d.columns[static_cast<size_t>(r.column)].array->GetScalar(e))->ToString();
    }
  }
  return out.str();
}

// "" when `got` and `want` agree at every query, else what differs at the first query that
// does (*where). Results of sum, avg and stddev within 1e-9 relative (summation order
// differs); everything else exactly (-0 equals 0; NaN equals NaN).
std::string Difference(const arrow::Array& got, const arrow::Array& want, AggFunction fn,
                       int64_t* where) {
  if (got.length() != want.length()) return "length " + std::to_string(got.length());
  if (!got.type()->Equals(want.type())) {
    return "type " + got.type()->ToString() + " vs " + want.type()->ToString();
  }
  const bool rounded =
      fn == AggFunction::kSum || fn == AggFunction::kAvg || fn == AggFunction::kStddev;
  const bool floating = got.type_id() == arrow::Type::DOUBLE || got.type_id() == arrow::Type::FLOAT;
  if (!floating && got.Equals(want)) return "";
  for (int64_t q = 0; q < got.length(); ++q) {
    *where = q;
    bool same = got.IsNull(q) == want.IsNull(q);
    if (same && !got.IsNull(q) && floating) {
      auto value = [q](const arrow::Array& a) -> double {
        if (a.type_id() == arrow::Type::DOUBLE) {
          return static_cast<const arrow::DoubleArray&>(a).Value(q);
        }
        return static_cast<const arrow::FloatArray&>(a).Value(q);
      };
      const double x = value(got), y = value(want);
      const double tolerance = 1e-9 * std::max({1.0, std::fabs(x), std::fabs(y)});
      same = x == y || (std::isnan(x) && std::isnan(y)) ||
             (rounded && std::fabs(x - y) <= tolerance);
    } else if (same && !got.IsNull(q)) {
      same = (*got.GetScalar(q))->Equals(**want.GetScalar(q));
    }
    if (!same) {
      return "got " + (*got.GetScalar(q))->ToString() + ", reference " +
             (*want.GetScalar(q))->ToString();
    }
  }
  return "";
}

// Every function x four windows x every column on `seeds` random inputs: AggregateWindows
// (alternately with one and two threads) against AggregateWindowsReference. Returns the
// number of values compared.
int64_t CheckAgainstReference(const Scope& scope, uint64_t seeds) {
  int64_t compared = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    Generator gen(seed, scope);
    const Data d = gen.Make();
    const Events events = d.events();
    std::vector<AggRequest> requests;
    for (AggFunction fn : kAll) {
      for (int64_t window : d.windows) {
        for (int c = -1; c < static_cast<int>(d.columns.size()); ++c) {
          if (Allowed(d, scope, fn, c)) requests.push_back({fn, window, c});
        }
      }
    }
    const int64_t nq = static_cast<int64_t>(d.query_ts.size());
    const int threads = 1 + static_cast<int>(seed % 2);
    auto fast = AggregateWindows(events, d.groups, d.query_ts.data(), nq, requests, threads);
    auto slow = AggregateWindowsReference(events, d.groups, d.query_ts.data(), nq, requests);
    EXPECT_TRUE(fast.ok()) << fast.status().ToString();
    EXPECT_TRUE(slow.ok()) << slow.status().ToString();
    if (!fast.ok() || !slow.ok()) return compared;
    EXPECT_EQ(fast->size(), requests.size());
    EXPECT_EQ(slow->size(), requests.size());
    for (size_t r = 0; r < requests.size(); ++r) {
      const AggRequest& request = requests[r];
      int64_t q = 0;
      const std::string diff = Difference(*(*fast)[r], *(*slow)[r], request.fn, &q);
      EXPECT_EQ(diff, "") << "seed " << seed << ": " << DescribeQuery(d, request, q);
      if (!diff.empty()) return compared;
      compared += nq;
    }
  }
  return compared;
}

TEST(AggregateWindows, MatchesReferenceOnRandomData) {
  EXPECT_GT(CheckAgainstReference(Scope{}, 250), 1'000'000);
}

// Requests over the same window and column share one slide: each one's values equal (bit for
// bit) those of the request asked alone, whatever the other requests of the slide — random
// functions, repeated requests, any order, NaN and infinities, one or two threads.
TEST(AggregateWindows, SharedSlidesGiveEachRequestsValuesAlone) {
  Scope all;
  all.min_max_of_int64_beyond_2_53 = true;
  all.nan_and_infinity = true;
  all.count_distinct_of_lists = true;
  int64_t compared = 0;
  for (uint64_t seed = 1; seed <= 120; ++seed) {
    Generator gen(seed * 104'729, all);
    const Data d = gen.Make();
    const Events events = d.events();
    std::vector<AggRequest> candidates;
    for (AggFunction fn : kAll) {
      for (int c = -1; c < static_cast<int>(d.columns.size()); ++c) {
        if (Allowed(d, all, fn, c)) candidates.push_back({fn, 0, c});
      }
    }
    std::vector<AggRequest> requests;
    for (int64_t k = 6 + gen.Pick(40); k > 0; --k) {  // repeats likely
      AggRequest r = candidates[static_cast<size_t>(gen.Pick(static_cast<int64_t>(candidates.size())))];
      r.window_us = d.windows[static_cast<size_t>(gen.Pick(2))];  // two windows: slides of many
      requests.push_back(r);
    }
    const int64_t nq = static_cast<int64_t>(d.query_ts.size());
    const int threads = 1 + static_cast<int>(seed % 2);
    auto together = AggregateWindows(events, d.groups, d.query_ts.data(), nq, requests, threads);
    ASSERT_TRUE(together.ok()) << together.status().ToString();
    for (size_t r = 0; r < requests.size(); ++r) {
      auto alone = AggregateWindows(events, d.groups, d.query_ts.data(), nq, {requests[r]});
      ASSERT_TRUE(alone.ok()) << alone.status().ToString();
      ASSERT_TRUE((*together)[r]->Equals(*(*alone)[0], arrow::EqualOptions().nans_equal(true)))
          << "seed " << seed << " request " << r << ": " << Name(requests[r].fn) << " window "
          << requests[r].window_us << " column " << requests[r].column;
      compared += nq;
    }
  }
  EXPECT_GT(compared, 100'000);
}

// The reference itself on a table worked out by hand: ties, nulls, and the empty window.
TEST(AggregateWindowsReference, HandComputedValues) {
  const std::vector<int64_t> ts = {10, 20, 20, 30, 40};
  arrow::DoubleBuilder x;
  ASSERT_TRUE(x.AppendValues({4.0, 0.0, 2.0, 2.0, 8.0}, {true, false, true, true, true}).ok());
  arrow::StringBuilder s;
  const uint8_t valid[] = {1, 1, 0, 1, 0};
  ASSERT_TRUE(s.AppendValues({"b", "a", "", "c", ""}, valid).ok());
  const Events events{ts.data(), 5, {*x.Finish(), *s.Finish()}};
  const std::vector<int64_t> queries = {30, 40, 5};  // windows (5, 30], (30, 40], (-20, 5]
  const std::vector<QueryGroup> groups = {{0, 5, 0, 3}};
  std::vector<AggRequest> requests;
  for (AggFunction fn : kAll) requests.push_back({fn, 25, 0});
  requests.push_back({AggFunction::kCount, 25, -1});
  requests.push_back({AggFunction::kLast, 25, 1});
  requests.push_back({AggFunction::kFirst, 25, 1});
  requests.push_back({AggFunction::kCountDistinct, 25, 1});
  auto out = AggregateWindowsReference(events, groups, queries.data(), 3, requests);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto text = [&](size_t r) {
    std::ostringstream all;
    const arrow::Array& array = *(*out)[r];
    for (int64_t q = 0; q < array.length(); ++q) {
      all << (q == 0 ? "" : " ");
      if (array.IsNull(q)) {
        all << "null";
      } else if (array.type_id() == arrow::Type::DOUBLE) {
        all << static_cast<const arrow::DoubleArray&>(array).Value(q);
      } else {
        all << (*array.GetScalar(q))->ToString();
      }
    }
    return all.str();
  };
  // t = 30: events 0-3, x = 4, null, 2, 2. t = 40: events 1-4, x = null, 2, 2, 8. t = 5: none.
  EXPECT_EQ(text(0), "3 3 0");      // count of x
  EXPECT_EQ(text(1), "8 12 null");  // sum
  EXPECT_EQ(text(3), "2 2 null");   // min
  EXPECT_EQ(text(4), "4 8 null");   // max
  EXPECT_EQ(text(6), "2 8 null");   // last
  EXPECT_EQ(text(7), "4 2 null");   // first
  EXPECT_EQ(text(8), "2 2 0");      // count_distinct
  EXPECT_EQ(text(9), "4 4 0");      // count of rows
  EXPECT_EQ(text(10), "c c null");  // last string
  EXPECT_EQ(text(11), "b a null");  // first string, past the null
  EXPECT_EQ(text(12), "3 2 0");     // count_distinct of strings
  const auto& avg = static_cast<const arrow::DoubleArray&>(*(*out)[2]);
  const auto& stddev = static_cast<const arrow::DoubleArray&>(*(*out)[5]);
  EXPECT_DOUBLE_EQ(avg.Value(0), 8.0 / 3);
  EXPECT_DOUBLE_EQ(avg.Value(1), 4.0);
  EXPECT_DOUBLE_EQ(stddev.Value(0), std::sqrt(4.0 / 3));  // squares 16/9 + 4/9 + 4/9, over 2
  EXPECT_DOUBLE_EQ(stddev.Value(1), std::sqrt(12.0));     // squares 4 + 4 + 16, over 2
  EXPECT_TRUE(avg.IsNull(2));
  EXPECT_TRUE(stddev.IsNull(2));
}

TEST(AggregateWindowsReference, RejectsWhatThePlannerRejects) {
  const std::vector<int64_t> ts = {1};
  arrow::StringBuilder s;
  ASSERT_TRUE(s.Append("a").ok());
  const Events events{ts.data(), 1, {*s.Finish()}};
  const int64_t t = 1;
  const std::vector<QueryGroup> groups = {{0, 1, 0, 1}};
  auto run = [&](const std::vector<QueryGroup>& g, AggRequest r) {
    return AggregateWindowsReference(events, g, &t, 1, {r}).status();
  };
  EXPECT_TRUE(run(groups, {AggFunction::kLast, 5, 0}).ok());
  EXPECT_FALSE(run(groups, {AggFunction::kSum, 5, 0}).ok());       // over a string
  EXPECT_FALSE(run(groups, {AggFunction::kLast, 5, -1}).ok());     // without a column
  EXPECT_FALSE(run(groups, {AggFunction::kCount, 5, 1}).ok());     // no column 1
  EXPECT_FALSE(run({{0, 2, 0, 1}}, {AggFunction::kCount, 5, 0}).ok());  // past the events
}

// The bits of float items, as "[b1 b2 ...]".
std::string FloatBits(const std::vector<float>& items) {
  std::string out = "[";
  for (float x : items) out += std::to_string(std::bit_cast<int32_t>(x)) + " ";
  return out + "]";
}

// What a value denotes: "null", the value as text, a float64 or float vector by its bits.
std::string Denoted(const arrow::Array& array, int64_t i) {
  if (array.IsNull(i)) return "null";
  if (array.type_id() == arrow::Type::LIST) {
    const auto& list = static_cast<const arrow::ListArray&>(array);
    if (list.value_type()->id() == arrow::Type::FLOAT) {
      const auto& items = static_cast<const arrow::FloatArray&>(*list.values());
      std::vector<float> v;
      for (int64_t k = list.value_offset(i); k < list.value_offset(i + 1); ++k) {
        v.push_back(items.Value(k));
      }
      return FloatBits(v);
    }
  }
  if (array.type_id() == arrow::Type::DOUBLE) {
    const double x = static_cast<const arrow::DoubleArray&>(array).Value(i);
    return std::to_string(std::bit_cast<int64_t>(x));
  }
  return (*array.GetScalar(i))->ToString();
}
std::string Denoted(const AggValue& v, const arrow::Array& column) {
  switch (v.kind) {
    case AggValue::Kind::kNull: return "null";
    case AggValue::Kind::kInt: return std::to_string(v.int_value);
    case AggValue::Kind::kFloat: return std::to_string(std::bit_cast<int64_t>(v.float_value));
    case AggValue::Kind::kEvent: return Denoted(column, v.int_value);
    case AggValue::Kind::kVector: return FloatBits(v.vector_value);
  }
  return "";
}

// One key's events and one query: AggregateOne gives exactly (bit for bit) what AggregateWindows
// gives for a group with that single query, as online reads compute it.
TEST(AggregateOne, EqualsAggregateWindowsOfOneQuery) {
  int compared = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    Generator gen(seed * 7919, Scope{});
    const Data d = gen.Make();
    for (const auto& g : d.groups) {
      std::vector<std::shared_ptr<arrow::Array>> columns;
      for (const auto& column : d.columns) {
        columns.push_back(column.array->Slice(g.event_begin, g.event_end - g.event_begin));
      }
      Events events{d.ts.data() + g.event_begin, g.event_end - g.event_begin, columns};
      std::vector<AggRequest> requests;
      for (AggFunction fn : kAll) {
        for (int column = -1; column < static_cast<int>(columns.size()); ++column) {
          if (!Allowed(d, Scope{}, fn, column)) continue;
          requests.push_back({fn, d.windows[static_cast<size_t>(gen.Pick(4))], column});
        }
      }
      for (int64_t q = g.query_begin; q < g.query_end; ++q) {
        const int64_t t = d.query_ts[static_cast<size_t>(q)];
        auto one = AggregateOne(events, t, requests);
        auto windows = AggregateWindows(events, {{0, events.length, 0, 1}}, &t, 1, requests);
        ASSERT_TRUE(one.ok()) << one.status().ToString();
        ASSERT_TRUE(windows.ok()) << windows.status().ToString();
        for (size_t r = 0; r < requests.size(); ++r) {
          const auto& column = requests[r].column < 0
                                   ? *columns[0]
                                   : *columns[static_cast<size_t>(requests[r].column)];
          ASSERT_EQ(Denoted((*one)[r], column), Denoted(*(*windows)[r], 0))
              << "seed " << seed << " request " << r << " at " << t;
          ++compared;
        }
      }
    }
  }
  EXPECT_GT(compared, 10000);
}

TEST(AggregateWindows, EmptyWindowValuesAndEdges) {
  std::vector<int64_t> ts = {10, 20};
  arrow::DoubleBuilder b;
  ASSERT_TRUE(b.AppendValues({1.0, 3.0}).ok());
  Events events{ts.data(), 2, {*b.Finish()}};
  std::vector<int64_t> queries = {9, 10, 20, 29, 30};
  std::vector<QueryGroup> groups = {{0, 2, 0, 5}};
  auto out = AggregateWindows(events, groups, queries.data(), 5,
                              {{AggFunction::kCount, 10, 0}, {AggFunction::kAvg, 10, 0}});
  ASSERT_TRUE(out.ok());
  const auto& count = static_cast<const arrow::Int64Array&>(*(*out)[0]);
  const auto& avg = static_cast<const arrow::DoubleArray&>(*(*out)[1]);
  // (t - 10, t]: at 20 the event at 10 has left; at 30 the event at 20 has left.
  EXPECT_EQ(count.Value(0), 0);
  EXPECT_TRUE(avg.IsNull(0));
  EXPECT_EQ(count.Value(1), 1);
  EXPECT_EQ(count.Value(2), 1);
  EXPECT_DOUBLE_EQ(avg.Value(2), 3.0);
  EXPECT_EQ(count.Value(3), 1);
  EXPECT_EQ(count.Value(4), 0);
  EXPECT_FALSE(ParseAggFunction("median").ok());
  EXPECT_FALSE(AggResultType(AggFunction::kSum, core::ValueType::kString, true).ok());
  EXPECT_EQ(*AggResultType(AggFunction::kSum, core::ValueType::kInt32, true),
            core::ValueType::kInt64);
}

// Edge inputs for both implementations, each with its value (window_aggregation.h): one key,
// one query at `t`, one request; `want` is the value as text.
struct KnownDiscrepancy {
  std::string name;
  std::vector<int64_t> ts;
  std::shared_ptr<arrow::Array> column;
  int64_t t;
  AggRequest request;
  std::string want;
};

std::vector<KnownDiscrepancy> KnownDiscrepancies() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  auto int64s = [](std::vector<int64_t> v) {
    arrow::Int64Builder b;
    EXPECT_TRUE(b.AppendValues(v).ok());
    return *b.Finish();
  };
  auto doubles = [](std::vector<double> v) {
    arrow::DoubleBuilder b;
    EXPECT_TRUE(b.AppendValues(v).ok());
    return *b.Finish();
  };
  arrow::Int32Builder int32s;
  EXPECT_TRUE(int32s.AppendValues({std::numeric_limits<int32_t>::min(), 5, -2, -4}).ok());
  arrow::ListBuilder lists(arrow::default_memory_pool(), std::make_shared<arrow::StringBuilder>());
  for (const char* item : {"a", "b"}) {
    EXPECT_TRUE(lists.Append().ok());
    EXPECT_TRUE(static_cast<arrow::StringBuilder*>(lists.value_builder())->Append(item).ok());
  }
  arrow::ListBuilder more_lists(arrow::default_memory_pool(),
                                std::make_shared<arrow::StringBuilder>());
  auto* items = static_cast<arrow::StringBuilder*>(more_lists.value_builder());
  for (std::vector<const char*> list : std::vector<std::vector<const char*>>{
           {"a"}, {"a"}, {"a", "b"}, {"b", "a"}, {}, {nullptr}, {"ab"}, {"a", "b"}}) {
    EXPECT_TRUE(more_lists.Append().ok());
    for (const char* item : list) {
      EXPECT_TRUE((item == nullptr ? items->AppendNull() : items->Append(item)).ok());
    }
  }
  const double nan = std::nan("");
  const float fnan = std::numeric_limits<float>::quiet_NaN();
  arrow::ListBuilder float_lists(arrow::default_memory_pool(),
                                 std::make_shared<arrow::FloatBuilder>());
  auto* floats = static_cast<arrow::FloatBuilder*>(float_lists.value_builder());
  for (std::vector<float> list : std::vector<std::vector<float>>{
           {fnan}, {-fnan}, {0.0f}, {-0.0f}, {1.0f, fnan}, {1.0f, fnan}, {1.0f}}) {
    EXPECT_TRUE(float_lists.Append().ok());
    EXPECT_TRUE(floats->AppendValues(list).ok());
  }
  const int64_t two62 = int64_t{1} << 62;
  return {
      {"max of int64 values beyond 2^53 compares them exactly", {0, 0},
       int64s({two62 + 2, two62 + 1}), 0, {AggFunction::kMax, 1, 0}, "4611686018427387906"},
      {"min of int64 values beyond 2^53 compares them exactly", {0, 0}, int64s({kMin, kMin + 1}),
       0, {AggFunction::kMin, 1, 0}, "-9223372036854775808"},
      {"a window reaching below INT64_MIN has no lower bound", {-1000}, int64s({7}), -1000,
       {AggFunction::kCount, kMax, 0}, "1"},
      {"stddev is exact after a large value left the window", {0, 10, 10, 10}, *int32s.Finish(), 10,
       {AggFunction::kStddev, 5, 0}, "4.725815626252608"},  // sqrt(67 / 3)
      {"stddev of equal values is 0 after other values left the window", {0, 3, 10, 10},
       doubles({-37.714285714285715, 1.5, 0.0, -0.0}), 10, {AggFunction::kStddev, 5, 0}, "0"},
      {"sum of a lone infinity is infinity", {0}, doubles({kInf}), 0, {AggFunction::kSum, 5, 0},
       "inf"},
      {"a NaN that left the window does not reach later sums", {0, 10},
       doubles({std::nan(""), 1.5}), 10, {AggFunction::kSum, 5, 0}, "1.5"},
      {"count_distinct tells lists apart", {0, 0}, *lists.Finish(), 0,
       {AggFunction::kCountDistinct, 5, 0}, "2"},
      {"count_distinct compares lists item by item", {0, 0, 0, 0, 0, 0, 0, 0},
       *more_lists.Finish(), 0, {AggFunction::kCountDistinct, 5, 0}, "6"},
      {"count_distinct of float lists: any NaN equals NaN, -0 equals 0", std::vector<int64_t>(7, 0),
       *float_lists.Finish(), 0, {AggFunction::kCountDistinct, 5, 0}, "4"},
      {"max skips a NaN before", {0, 0}, doubles({nan, 1.5}), 0, {AggFunction::kMax, 5, 0}, "1.5"},
      {"min skips a NaN after", {0, 0}, doubles({1.5, nan}), 0, {AggFunction::kMin, 5, 0}, "1.5"},
      {"min of only NaN is NaN", {0, 0}, doubles({nan, nan}), 0, {AggFunction::kMin, 5, 0}, "nan"},
      {"min of 0 and -0 is the earlier", {0, 0}, doubles({0.0, -0.0}), 0,
       {AggFunction::kMin, 5, 0}, "0"},
      {"max of -0 and 0 is the earlier", {0, 0}, doubles({-0.0, 0.0}), 0,
       {AggFunction::kMax, 5, 0}, "-0"},
      {"sum of +inf and -inf is NaN", {0, 0}, doubles({kInf, -kInf}), 0,
       {AggFunction::kSum, 5, 0}, "nan"},
      {"avg of -inf and a number is -inf", {0, 0}, doubles({1.5, -kInf}), 0,
       {AggFunction::kAvg, 5, 0}, "-inf"},
      {"stddev with an infinity is NaN", {0, 0}, doubles({1.5, kInf}), 0,
       {AggFunction::kStddev, 5, 0}, "nan"},
      {"an infinity that left the window does not reach later sums", {0, 10}, doubles({kInf, 2.5}),
       10, {AggFunction::kAvg, 5, 0}, "2.5"},
      {"sum of int64 is exact when only the window's sum fits", {0, 10}, int64s({kMax, 1}), 10,
       {AggFunction::kSum, 5, 0}, "1"},
  };
}

// The value at query 0 as text: doubles with 16 significant digits, any NaN as "nan".
std::string Text(const arrow::Array& array) {
  if (array.IsNull(0)) return "null";
  if (array.type_id() != arrow::Type::DOUBLE) return (*array.GetScalar(0))->ToString();
  const double x = static_cast<const arrow::DoubleArray&>(array).Value(0);
  if (std::isnan(x)) return "nan";
  std::ostringstream out;
  out.precision(16);
  out << x;
  return out.str();
}

TEST(AggregateWindowsReference, GetsTheKnownDiscrepanciesRight) {
  for (const auto& c : KnownDiscrepancies()) {
    const Events events{c.ts.data(), static_cast<int64_t>(c.ts.size()), {c.column}};
    auto out = AggregateWindowsReference(events, {{0, events.length, 0, 1}}, &c.t, 1, {c.request});
    ASSERT_TRUE(out.ok()) << c.name << ": " << out.status().ToString();
    EXPECT_EQ(Text(*(*out)[0]), c.want) << c.name;
  }
}

TEST(AggregateWindows, GetsTheKnownDiscrepanciesRight) {
  for (const auto& c : KnownDiscrepancies()) {
    const Events events{c.ts.data(), static_cast<int64_t>(c.ts.size()), {c.column}};
    auto out = AggregateWindows(events, {{0, events.length, 0, 1}}, &c.t, 1, {c.request});
    ASSERT_TRUE(out.ok()) << c.name << ": " << out.status().ToString();
    EXPECT_EQ(Text(*(*out)[0]), c.want) << c.name;
  }
}

TEST(AggregateWindows, MatchesReferenceIncludingKnownDiscrepancies) {
  Scope all;
  all.min_max_of_int64_beyond_2_53 = true;
  all.window_below_int64_min = true;
  all.nan_and_infinity = true;
  all.count_distinct_of_lists = true;
  EXPECT_GT(CheckAgainstReference(all, 250), 1'000'000);
}

}  // namespace
}  // namespace fst::transform
