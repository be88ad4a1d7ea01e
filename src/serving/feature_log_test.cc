#include "featherstone/serving/feature_log.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace fst::serving {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kJan2 = 1767312000000000;  // 2026-01-02T00:00:00Z

fs::path FreshDir(const std::string& name) {
  const char* root = std::getenv("FST_TEST_TMP");
  fs::path dir = fs::path(root != nullptr ? root : fs::temp_directory_path().string()) /
                 "serving_feature_log_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

FeatureLogRecord Record(const std::string& id, int64_t served_at) {
  FeatureLogRecord r;
  r.request_id = id;
  r.served_at_us = served_at;
  r.at_us = served_at;
  r.header = MakeFeatureLogHeader("churn_model", {"customer_features:amount"},
                                  {{"feature_service/churn_model", "abc"}});
  r.rows.columns = {"customer_id", "amount"};
  r.rows.key_columns = 1;
  r.rows.rows = {{int64_t{42}, 12.5}, {int64_t{43}, std::monostate{}}};
  using S = retrieval::FeatureStatus;
  r.rows.statuses = {{S::kPresent, S::kPresent}, {S::kPresent, S::kNotFound}};
  r.rows.event_ts = {{0, kJan2 - 5}, {0, 0}};
  return r;
}

std::vector<std::string> Lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<fs::path> Files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(FeatureLogLine, OneObjectPerRequest) {
  FeatureLogRecord r = Record("r1", kJan2);
  r.requests = {{{"amount", "12.5"}}, {{"amount", "3"}}};
  const json line = json::parse(FeatureLogLine(r));
  EXPECT_EQ(line["request_id"], "r1");
  EXPECT_EQ(line["served_at_us"], kJan2);
  EXPECT_EQ(line["served_at"], "2026-01-02T00:00:00Z");
  EXPECT_EQ(line["service"], "churn_model");
  EXPECT_EQ(line["spec_hashes"], json::parse(R"({"feature_service/churn_model": "abc"})"));
  EXPECT_EQ(line["features"], json::parse(R"(["customer_features:amount"])"));
  EXPECT_EQ(line["feature_names"], json::parse(R"(["amount"])"));
  EXPECT_EQ(line["entities"], json::parse(R"([{"customer_id": 42}, {"customer_id": 43}])"));
  EXPECT_EQ(line["request_data"], json::parse(R"([{"amount": "12.5"}, {"amount": "3"}])"));
  EXPECT_EQ(line["values"], json::parse(R"([[12.5], [null]])"));
  EXPECT_EQ(line["statuses"], json::parse(R"([["PRESENT"], ["NOT_FOUND"]])"));
  EXPECT_EQ(line["event_timestamps_us"], json::parse("[[1767311999999995], [0]]"));
  r.header = MakeFeatureLogHeader("", r.header->features, r.header->spec_hashes);
  EXPECT_TRUE(json::parse(FeatureLogLine(r))["service"].is_null());
}

TEST(FeatureLog, StopWritesEverythingAndRenamesThePart) {
  const fs::path dir = FreshDir("stop");
  FeatureLogOptions options;
  options.dir = dir.string();
  options.flush_interval_ms = 20;
  auto log = FeatureLog::Open(options);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE((*log)->Append(Record("r" + std::to_string(i), kJan2)));
  (*log)->Append(Record("next-day", kJan2 + 86'400'000'000));
  (*log)->Stop();
  const auto counters = (*log)->Counters();
  EXPECT_EQ(counters.written, 6);
  EXPECT_EQ(counters.queued, 0);
  EXPECT_EQ(counters.dropped, 0);
  const auto files = Files(dir);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], dir / "2026-01-02" / "part-00000.jsonl");
  EXPECT_EQ(files[1], dir / "2026-01-03" / "part-00000.jsonl");
  const auto lines = Lines(files[0]);
  ASSERT_EQ(lines.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(json::parse(lines[i])["request_id"], "r" + std::to_string(i));
  }
  EXPECT_EQ(json::parse(Lines(files[1]).at(0))["request_id"], "next-day");
  EXPECT_FALSE((*log)->Append(Record("late", kJan2))) << "a stopped log takes nothing";
}

TEST(FeatureLog, FullQueueCountsDropsInsteadOfWaiting) {
  const fs::path dir = FreshDir("full");
  FeatureLogOptions options;
  options.dir = dir.string();
  options.queue_capacity = 2;
  options.flush_interval_ms = 60'000;  // the writer sleeps: nothing drains the queue
  auto log = FeatureLog::Open(options);
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE((*log)->Append(Record("a", kJan2)));
  EXPECT_TRUE((*log)->Append(Record("b", kJan2)));
  EXPECT_FALSE((*log)->Append(Record("c", kJan2)));
  EXPECT_EQ((*log)->Counters().dropped, 1);
  EXPECT_EQ((*log)->Counters().queued, 2);
  (*log)->Stop();
  EXPECT_EQ((*log)->Counters().written, 2);
  EXPECT_EQ(Lines(dir / "2026-01-02" / "part-00000.jsonl").size(), 2u);
}

// A killed writer leaves a .tmp part, maybe ending in half a record: the next open keeps its
// whole lines as a .jsonl part and numbers new parts after it.
TEST(FeatureLog, OpenFinishesAStalePartAtItsLastWholeLine) {
  const fs::path dir = FreshDir("stale");
  fs::create_directories(dir / "2026-01-02");
  std::ofstream(dir / "2026-01-02" / "part-00003.jsonl.tmp") << "{\"request_id\":\"old\"}\n{\"req";
  std::ofstream(dir / "2026-01-02" / "part-00004.jsonl.tmp") << "{\"half";
  FeatureLogOptions options;
  options.dir = dir.string();
  auto log = FeatureLog::Open(options);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  (*log)->Append(Record("new", kJan2));
  (*log)->Stop();
  const auto files = Files(dir);
  ASSERT_EQ(files.size(), 2u) << "the part without a whole line is removed";
  EXPECT_EQ(Lines(dir / "2026-01-02" / "part-00003.jsonl"),
            std::vector<std::string>{"{\"request_id\":\"old\"}"});
  EXPECT_EQ(json::parse(Lines(dir / "2026-01-02" / "part-00004.jsonl").at(0))["request_id"], "new");
}

TEST(FeatureLog, RotatesBySize) {
  const fs::path dir = FreshDir("rotate");
  FeatureLogOptions options;
  options.dir = dir.string();
  options.flush_interval_ms = 10;
  options.rotate_bytes = 1;  // every drain closes its part
  auto log = FeatureLog::Open(options);
  ASSERT_TRUE(log.ok());
  (*log)->Append(Record("a", kJan2));
  while ((*log)->Counters().written < 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Rotated: visible as .jsonl while the log still runs.
  EXPECT_TRUE(fs::exists(dir / "2026-01-02" / "part-00000.jsonl"));
  (*log)->Append(Record("b", kJan2));
  (*log)->Stop();
  EXPECT_TRUE(fs::exists(dir / "2026-01-02" / "part-00001.jsonl"));
  EXPECT_EQ(Files(dir).size(), 2u);
}

TEST(LogSampled, PinsTheHashAndSamplesConsecutiveIdsIndependently) {
  // tests/e2e/test_feature_log.py computes the same choice in Python.
  EXPECT_TRUE(LogSampled("5f3a9c1e-000000000001", 0.14));   // 0.13377...
  EXPECT_FALSE(LogSampled("5f3a9c1e-000000000001", 0.13));
  EXPECT_TRUE(LogSampled("5f3a9c1e-000000000003", 0.88));   // 0.87407...
  EXPECT_FALSE(LogSampled("5f3a9c1e-000000000003", 0.87));
  EXPECT_TRUE(LogSampled("anything", 1.0));
  EXPECT_FALSE(LogSampled("anything", 0.0));
  int kept = 0, runs = 0;
  bool previous = false;
  for (int i = 1; i <= 10000; ++i) {
    char id[32];
    std::snprintf(id, sizeof(id), "5f3a9c1e-%012x", i);
    const bool sampled = LogSampled(id, 0.5);
    kept += sampled;
    runs += i > 1 && sampled != previous;
    previous = sampled;
  }
  EXPECT_EQ(kept, 4991);
  EXPECT_GT(runs, 4500);  // not in runs of consecutive ids
}

TEST(FeatureLog, SealedPartsAreHandedToThePublisher) {
  const fs::path dir = FreshDir("publish");
  // A part a stopped server left, and one whose publish fails the first time.
  fs::create_directories(dir / "2026-01-02");
  std::ofstream(dir / "2026-01-02" / "part-00000.jsonl") << "{}\n";
  std::ofstream(dir / "2026-01-02" / "part-00001.jsonl.tmp") << "{}\n{\"half";
  std::ofstream(dir / "2026-01-02" / "part-00002.kept.jsonl") << "{}\n";
  std::vector<std::string> handed;
  bool fail = true;
  FeatureLogOptions options;
  options.dir = dir.string();
  options.publish = [&](const std::string& part) -> Status {
    handed.push_back(fs::path(part).filename().string());
    if (fail && part.ends_with("part-00001.jsonl")) {
      fail = false;
      return Status::IOError("registry busy");
    }
    fs::remove(part);
    return Status::OK();
  };
  auto log = FeatureLog::Open(options);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  // The publisher thread takes the parts left behind while the log already runs.
  for (int i = 0; i < 1000 && (*log)->Counters().publish_errors == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ((*log)->Counters().publish_errors, 1);
  EXPECT_EQ((*log)->Counters().published_parts, 1);
  (*log)->Append(Record("a", kJan2));
  (*log)->Stop();  // joins the publisher: `handed` is read after its last write
  // The first two at the start; at the stop the part that failed, then the new one (numbered
  // after the kept file).
  EXPECT_EQ(handed, (std::vector<std::string>{"part-00000.jsonl", "part-00001.jsonl",
                                              "part-00001.jsonl", "part-00003.jsonl"}));
  EXPECT_EQ((*log)->Counters().published_parts, 3);
  EXPECT_EQ(Files(dir).size(), 1u);  // the kept file
}

}  // namespace
}  // namespace fst::serving
