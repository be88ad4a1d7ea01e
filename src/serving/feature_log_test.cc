#include "featherstone/serving/feature_log.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "featherstone/core/time.h"
#include "featherstone/retrieval/online_json.h"

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

// The line as a JSON tree built field by field from the record: the reference the text
// writer (with its shared, pre-rendered header) must equal.
nlohmann::ordered_json ReferenceLine(const FeatureLogRecord& r) {
  using ojson = nlohmann::ordered_json;
  const auto& rows = r.rows;
  const size_t keys = rows.key_columns;
  ojson out = ojson::object();
  out["request_id"] = r.request_id;
  out["served_at_us"] = r.served_at_us;
  out["served_at"] = core::FormatTimestamp(r.served_at_us);
  out["at_us"] = r.at_us;
  out["service"] = r.header->service.empty() ? ojson() : ojson(r.header->service);
  out["spec_hashes"] = ojson::object();
  for (const auto& [k, v] : r.header->spec_hashes) out["spec_hashes"][k] = v;
  out["features"] = r.header->features;
  out["feature_names"] = ojson::array();
  for (size_t c = keys; c < rows.columns.size(); ++c) {
    out["feature_names"].push_back(rows.columns[c]);
  }
  out["entities"] = ojson::array();
  for (const auto& row : rows.rows) {
    ojson entity = ojson::object();
    for (size_t c = 0; c < keys; ++c) entity[rows.columns[c]] = retrieval::ToJson(row[c]);
    out["entities"].push_back(entity);
  }
  if (!r.requests.empty()) {
    out["request_data"] = ojson::array();
    for (const auto& fields : r.requests) {
      ojson object = ojson::object();
      for (const auto& [k, v] : fields) object[k] = v;
      out["request_data"].push_back(object);
    }
  }
  ojson values = ojson::array(), statuses = ojson::array(), times = ojson::array();
  for (size_t e = 0; e < rows.rows.size(); ++e) {
    ojson v = ojson::array(), s = ojson::array(), t = ojson::array();
    for (size_t c = keys; c < rows.columns.size(); ++c) {
      v.push_back(retrieval::ToJson(rows.rows[e][c]));
      s.push_back(retrieval::FeatureStatusName(rows.statuses[e][c]));
      t.push_back(rows.event_ts[e][c]);
    }
    values.push_back(v);
    statuses.push_back(s);
    times.push_back(t);
  }
  out["values"] = values;
  out["statuses"] = statuses;
  out["event_timestamps_us"] = times;
  return out;
}

// A value of each kind a response holds: int64, text, double, bool, list.
retrieval::OnlineValue RandomValue(size_t kind, std::mt19937_64& rng,
                                   const std::vector<std::string>& texts) {
  const std::string& text = texts[rng() % texts.size()];
  using retrieval::OnlineValue;
  if (kind == 0) return OnlineValue(std::in_place_type<int64_t>, static_cast<int64_t>(rng()));
  if (kind == 1) return OnlineValue(std::in_place_type<std::string>, text);
  if (kind == 2) {
    return OnlineValue(std::in_place_type<double>, static_cast<double>(rng() % 1000) / 8.0);
  }
  if (kind == 3) return OnlineValue(std::in_place_type<bool>, rng() % 2 == 0);
  return OnlineValue(std::in_place_type<std::vector<std::string>>,
                     std::vector<std::string>{text, "b"});
}

TEST(FeatureLogLine, EqualsTheReferenceOnRandomRecords) {
  std::mt19937_64 rng(12);
  auto pick = [&rng](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::vector<std::string> texts = {"a", "o\"1", "tab\there", "\u00e9t\u00e9", "x\\y", ""};
  using S = retrieval::FeatureStatus;
  std::map<std::string, std::shared_ptr<const FeatureLogHeader>> headers;
  for (int i = 0; i < 300; ++i) {
    const size_t features = 1 + pick(4);
    const std::string service = pick(3) == 0 ? "" : "svc" + std::to_string(pick(2));
    const std::string key = service + "/" + std::to_string(features);
    if (headers.find(key) == headers.end()) {
      std::vector<std::string> names;
      std::vector<std::pair<std::string, std::string>> hashes;
      if (!service.empty()) hashes.emplace_back("feature_service/" + service, "h" + service);
      for (size_t f = 0; f < features; ++f) {
        names.push_back("v" + std::to_string(f % 2) + ":f" + std::to_string(f));
        if (f < 2) {
          hashes.emplace_back("feature_view/v" + std::to_string(f), texts[pick(texts.size())]);
        }
      }
      headers[key] = MakeFeatureLogHeader(service, names, hashes);
    }
    FeatureLogRecord r;
    r.header = headers[key];
    r.request_id = "id-" + std::to_string(i) + texts[pick(texts.size())];
    r.served_at_us = kJan2 + static_cast<int64_t>(pick(1'000'000'000'000));
    r.at_us = r.served_at_us - static_cast<int64_t>(pick(1000));
    auto& rows = r.rows;
    rows.key_columns = 1 + pick(2);
    for (size_t k = 0; k < rows.key_columns; ++k) rows.columns.push_back("key" + std::to_string(k));
    for (size_t f = 0; f < features; ++f) {
      rows.columns.push_back(texts[pick(texts.size())] + std::to_string(f));
    }
    const size_t entities = pick(4);
    for (size_t e = 0; e < entities; ++e) {
      std::vector<retrieval::OnlineValue> row;
      std::vector<S> status;
      std::vector<int64_t> times;
      for (size_t c = 0; c < rows.columns.size(); ++c) {
        const bool is_key = c < rows.key_columns;
        const size_t kind = pick(6);
        if (!is_key && kind == 0) {
          row.emplace_back();  // null
          status.push_back(pick(2) ? S::kNotFound : S::kOutsideMaxAge);
          times.push_back(0);
          continue;
        }
        row.push_back(RandomValue(kind % 5, rng, texts));
        status.push_back(S::kPresent);
        times.push_back(is_key ? 0 : kJan2 - static_cast<int64_t>(pick(1'000'000)));
      }
      rows.rows.push_back(row);
      rows.statuses.push_back(status);
      rows.event_ts.push_back(times);
      if (pick(2) == 0) r.requests.push_back({{"amount", texts[pick(texts.size())]}, {"n", "3"}});
    }
    if (r.requests.size() != entities) r.requests.clear();
    std::string appended = "prefix";
    AppendFeatureLogLine(r, &appended);
    ASSERT_EQ(appended, "prefix" + FeatureLogLine(r) + "\n");
    const auto line = nlohmann::ordered_json::parse(FeatureLogLine(r));
    ASSERT_EQ(line.dump(), ReferenceLine(r).dump()) << "record " << i;
  }
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
