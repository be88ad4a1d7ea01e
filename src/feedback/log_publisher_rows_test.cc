// The publisher's two ways from a log line to rows agree: random records written by the log's
// writer, read by the scanner straight into columns and by the reader's parser through the
// JSON message decoder (the reference), give equal columns.
#include "log_publisher_rows.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include <arrow/array.h>
#include <arrow/table.h>
#include <gtest/gtest.h>

#include "../repo/test_repo.h"
#include "featherstone/core/arrow_init.h"
#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/serving/feature_log.h"

namespace fst::feedback::internal {
namespace {

constexpr char kYaml[] = R"yaml(project: test
entities:
  - {name: customer, join_keys: [customer_id]}
  - {name: store, join_keys: [store_id]}
sources:
  - name: orders
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: store_id, type: string}
      - {name: n, type: int64}
      - {name: x, type: float64}
      - {name: s, type: string}
      - {name: b, type: bool}
      - {name: small, type: int32}
      - {name: f, type: float32}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: v
    entities: [customer, store]
    source: orders
    features: [{name: n}, {name: x}, {name: s}, {name: b}, {name: small}, {name: f}]
feature_services:
  - name: svc
    features: [v:n, v:x, v:s, v:b, v:small, v:f]
)yaml";

using core::ValueType;
using retrieval::OnlineValue;

class RandomRecords {
 public:
  // `plain_only`: every record plain, its times too.
  explicit RandomRecords(uint32_t seed, bool plain_only = false)
      : rng_(seed), plain_only_(plain_only) {}

  int64_t Int() {
    switch (Pick(6)) {
      case 0: return 0;
      case 1: return std::numeric_limits<int64_t>::min();
      case 2: return std::numeric_limits<int64_t>::max();
      case 3: return -1;
      default: return static_cast<int64_t>(rng_());
    }
  }
  double Double() {
    switch (Pick(8)) {
      case 0: return std::nan("");
      case 1: return std::numeric_limits<double>::infinity();
      case 2: return -0.0;
      case 3: return 5e-324;
      case 4: return 1e300 * (Pick(2) ? 1 : -1);
      case 5: return static_cast<double>(Int());
      default: {
        const uint64_t bits = rng_();
        double d;
        std::memcpy(&d, &bits, sizeof(d));
        return d;
      }
    }
  }
  std::string Text() {
    // Text the writer escapes (or replaces) last, so a plain record leaves them out.
    static const char* pieces[] = {"a", "Z", "0", " ", "\x7f", "é", "日本", "/", "{", "]", ":",
                                   ",", "\"", "\\", "\n", "\x01", "\xff"};
    std::string out;
    const int n = Pick(6);
    for (int i = 0; i < n; ++i) out += pieces[Pick(plain_ ? std::size(pieces) - 5 : std::size(pieces))];
    return out;
  }
  // Mostly plain times; sometimes before 1970 (the scanner leaves those to the parser).
  int64_t Time() {
    if (!plain_only_ && Pick(10) == 0) return -static_cast<int64_t>(rng_() % 1'000'000'000'000'000);
    return static_cast<int64_t>(rng_() % 4'102'444'800'000'000);  // before 2100
  }
  OnlineValue Value(ValueType type) {
    if (Pick(5) == 0) return std::monostate{};
    switch (type) {
      case ValueType::kInt64: return Int();
      case ValueType::kInt32: return static_cast<int64_t>(static_cast<int32_t>(rng_()));
      case ValueType::kFloat64: return Pick(4) == 0 ? OnlineValue(Int()) : OnlineValue(Double());
      case ValueType::kFloat32:  // not typed by the scanner: a plain record has none
        if (plain_) return std::monostate{};
        return static_cast<double>(static_cast<float>(Double()));
      case ValueType::kBool: return Pick(2) == 0;
      default: return Text();
    }
  }

  // A response of `svc` (features in the definitions' order and types) of 0 to 3 entities;
  // half of them plain (what the scanner takes unless a time is before 1970).
  serving::FeatureLogRecord Record() {
    plain_ = plain_only_ || Pick(2) == 0;
    static const std::vector<std::pair<std::string, ValueType>> kFeatures = {
        {"n", ValueType::kInt64},   {"x", ValueType::kFloat64}, {"s", ValueType::kString},
        {"b", ValueType::kBool},    {"small", ValueType::kInt32}, {"f", ValueType::kFloat32}};
    serving::FeatureLogRecord record;
    record.request_id = Text() + std::to_string(rng_());
    record.served_at_us = Time();
    record.at_us = Pick(3) == 0 ? Time() : record.served_at_us;
    std::vector<std::string> refs;
    for (const auto& [name, type] : kFeatures) refs.push_back("v:" + name);
    std::vector<std::pair<std::string, std::string>> hashes;
    if (Pick(4) != 0) hashes.emplace_back("feature_service/svc", Text());
    hashes.emplace_back("feature_view/v", Pick(3) == 0 ? Text() : "h");
    if (Pick(2) == 0) std::swap(hashes.front(), hashes.back());
    record.header = serving::MakeFeatureLogHeader("svc", refs, hashes);
    auto& rows = record.rows;
    rows.columns = {"customer_id", "store_id"};
    rows.types = {ValueType::kInt64, ValueType::kString};
    rows.key_columns = 2;
    const bool full_names = Pick(2) == 0;
    for (const auto& [name, type] : kFeatures) {
      rows.columns.push_back(full_names ? "v__" + name : name);
      rows.types.push_back(type);
    }
    const int entities = Pick(4);
    using retrieval::FeatureStatus;
    for (int e = 0; e < entities; ++e) {
      auto& row = rows.rows.emplace_back();
      auto& statuses = rows.statuses.emplace_back();
      auto& times = rows.event_ts.emplace_back();
      for (size_t c = 0; c < rows.columns.size(); ++c) {
        row.push_back(Value(rows.types[c]));
        statuses.push_back(static_cast<FeatureStatus>(Pick(3)));
        const int kind = Pick(4);
        times.push_back(kind == 0   ? 0
                        : kind == 1 ? std::numeric_limits<int64_t>::min()
                                    : Time());
      }
    }
    return record;
  }

 private:
  int Pick(size_t n) { return static_cast<int>(rng_() % n); }
  std::mt19937_64 rng_;
  bool plain_only_ = false;
  bool plain_ = false;
};

// The rows of `rows`, chunks combined; `batches` the number of batches Finish gave.
std::shared_ptr<arrow::Table> Table(LogRows& rows, size_t* batch_count = nullptr) {
  auto batches = rows.Finish();
  EXPECT_TRUE(batches.ok()) << batches.status().ToString();
  if (batch_count != nullptr) *batch_count = batches->size();
  auto table = arrow::Table::FromRecordBatches(*batches);
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  auto combined = (*table)->CombineChunks();
  EXPECT_TRUE(combined.ok());
  return *combined;
}

class LogPublisherRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(core::EnsureArrowCompute().ok());
    const std::string dir = repo::FreshTestDir("log_publisher_rows");
    std::ofstream(dir + "/featherstone.yaml") << kYaml;
    auto defs = definitions::LoadRepo(dir);
    ASSERT_TRUE(defs.ok()) << defs.status().ToString();
    repo_ = std::move(*defs);
    service_ = repo_.FindService("svc");
    ASSERT_NE(service_, nullptr);
  }

  std::unique_ptr<LogRows> Rows() {
    auto rows = LogRows::Make(repo_, *service_);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return std::move(*rows);
  }

  definitions::Repo repo_;
  const definitions::FeatureService* service_ = nullptr;
};

TEST_F(LogPublisherRowsTest, ScannedLinesGiveTheRowsOfTheParsedOnes) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    // The first seed's records are all plain, and their rows fill more than one batch of the
    // scanned columns.
    RandomRecords random(seed, seed == 1);
    auto reference = Rows();
    auto scanned_rows = Rows();
    ScannedLogLine scanned;
    int fast = 0, lines = 0;
    const int records = seed == 1 ? 12000 : 200;
    for (int i = 0; i < records; ++i) {
      const std::string line = serving::FeatureLogLine(random.Record());
      auto request = ParseLoggedRequest(line, "line " + std::to_string(i));
      const bool taken = ScanLogLine(line, &scanned);
      // The scanner may leave any line to the parser, never take one the parser refuses.
      ASSERT_TRUE(request.ok() || !taken) << "scanned a line the parser refuses: " << line;
      if (!request.ok()) continue;
      ++lines;
      ASSERT_TRUE(reference->AddParsed(*request).ok()) << line;
      bool added = false;
      if (taken) {
        ASSERT_TRUE(SameFeatures(scanned, *service_)) << line;
        auto result = scanned_rows->AddScanned(scanned);
        ASSERT_TRUE(result.ok()) << result.status().ToString();
        added = *result;
      }
      if (added) {
        ++fast;
      } else {
        ASSERT_TRUE(scanned_rows->AddParsed(*request).ok()) << line;
      }
    }
    EXPECT_GT(fast, lines / 4) << "the scanner took too few lines to test it";
    auto expected = Table(*reference);
    size_t batches = 0;
    auto actual = Table(*scanned_rows, &batches);
    if (seed == 1) {
      EXPECT_GE(batches, 2u);
    }
    ASSERT_TRUE(expected != nullptr && actual != nullptr);
    ASSERT_TRUE(actual->schema()->Equals(*expected->schema()))
        << actual->schema()->ToString() << "\n" << expected->schema()->ToString();
    ASSERT_EQ(actual->num_rows(), expected->num_rows());
    for (int c = 0; c < expected->num_columns(); ++c) {
      const auto& want = *expected->column(c)->chunk(0);
      const auto& got = *actual->column(c)->chunk(0);
      EXPECT_TRUE(got.Equals(want, arrow::EqualOptions::Defaults().nans_equal(true)))
          << expected->field(c)->name() << "\nscanned: " << got.ToString()
          << "\nparsed: " << want.ToString();
    }
  }
}

TEST_F(LogPublisherRowsTest, LinesOutsideTheSubsetAreLeftToTheParser) {
  // The first random record of plain text (no escapes), with the id "id".
  RandomRecords random(7);
  ScannedLogLine scanned;
  std::string line;
  for (int i = 0; i < 1000 && !ScanLogLine(line, &scanned); ++i) {
    serving::FeatureLogRecord record = random.Record();
    record.request_id = "id";
    line = serving::FeatureLogLine(record);
  }
  ASSERT_TRUE(ScanLogLine(line, &scanned)) << line;
  EXPECT_EQ(scanned.request_id, "id");
  // Spaces between tokens are JSON the scanner reads too.
  std::string spaced;
  for (char c : line) {
    spaced += c;
    if (c == ',' || c == ':') spaced += ' ';
  }
  EXPECT_TRUE(ScanLogLine(spaced, &scanned)) << spaced;
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string out = line;
    out.replace(out.find(from), from.size(), to);
    return out;
  };
  for (const std::string& other : {
           replaced("\"service\":\"svc\"", "\"service\":null"),
           replaced("\"values\":", "\"request_data\":[],\"values\":"),
           replaced("\"id\"", "\"i\\u0064\""),
           replaced("\"at_us\":", "\"at_us\":01"),
           replaced("\"at_us\":", "\"at_us\":99999999999999999999"),
           replaced("\"at_us\":", "\"at_us\":-9223372036854775809"),
           replaced("\"features\":[\"v:n\"", "\"features\":[\"v:n\",\"v:n\""),
           line + "x",
           line.substr(0, line.size() - 1),
       }) {
    EXPECT_FALSE(ScanLogLine(other, &scanned)) << other;
  }
}

}  // namespace
}  // namespace fst::feedback::internal
