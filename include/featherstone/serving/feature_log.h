// The log of served feature vectors: one JSON line per successful /get-online-features
// response, written off the request path by one background thread. Layout and record format:
// docs/impl.md "Feature log".
//
// Append() never blocks on I/O: it queues the record (a short lock) or, when the queue is
// full, counts a drop. The writer drains the queue at least every flush interval into
// DIR/YYYY-MM-DD/part-NNNNN.jsonl.tmp and renames the part to .jsonl when it rotates (new day,
// size or age limit) or the log stops, so a reader listing *.jsonl never sees half a record.
// With a publisher, every sealed part is then handed to it on a thread of its own, so writing
// goes on while a part is published (feedback/log_publisher.h publishes it as Parquet into the
// services' log sources and deletes it).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <arrow/filesystem/filesystem.h>

#include "featherstone/retrieval/online_lookup.h"
#include "featherstone/serving/metrics.h"

namespace fst::serving {

// Where the feature log of the repo at `repo_dir` lives (docs/impl.md "Feature log").
std::string FeatureLogDir(const std::string& repo_dir);

// What every response of one service (or feature list) logs alike: built once and shared by
// the records of its responses (a request thread only takes a reference).
struct FeatureLogHeader {
  std::string service;                // empty: requested by feature list
  std::vector<std::string> features;  // "view:feature", as resolved
  // "kind/name" -> spec hash of the service and the views read.
  std::vector<std::pair<std::string, std::string>> spec_hashes;
  // `"service":…,"spec_hashes":{…},"features":[…]` as FeatureLogLine writes them.
  std::string json;
};

// A header with its JSON fragment rendered.
std::shared_ptr<const FeatureLogHeader> MakeFeatureLogHeader(
    std::string service, std::vector<std::string> features,
    std::vector<std::pair<std::string, std::string>> spec_hashes);

struct FeatureLogRecord {
  std::string request_id;
  int64_t served_at_us = 0;
  int64_t at_us = 0;  // the lookup time (ttl, days_since)
  std::shared_ptr<const FeatureLogHeader> header;  // never null in a queued record
  std::vector<retrieval::EntityKeyText> requests;  // request data per entity (may be empty)
  retrieval::OnlineRows rows;
};

// Appends the JSON line of a record and a newline to `out`: request_id, served_at_us,
// served_at (ISO), at_us, service (or null), spec_hashes, features, feature_names, entities
// (join key objects), request_data (when given), values, statuses, event_timestamps_us (per
// entity, per feature).
void AppendFeatureLogLine(const FeatureLogRecord& record, std::string* out);
// The line of AppendFeatureLogLine without its newline.
std::string FeatureLogLine(const FeatureLogRecord& record);

// Whether a response with `request_id` is logged under `logging: {sample_rate: rate}`: the
// 64-bit FNV-1a hash of the id's bytes, mixed by MurmurHash3's 64-bit finalizer (fmix64), its
// top 53 bits as a fraction in [0, 1), is below `rate`. Deterministic, so a client can tell
// which of its requests were logged.
bool LogSampled(std::string_view request_id, double rate);

struct FeatureLogOptions {
  std::string dir;  // REPO/.featherstone/feature_log
  size_t queue_capacity = 100'000;  // records
  int64_t flush_interval_ms = 500;  // the writer wakes at least this often
  int64_t rotate_bytes = 64 << 20;  // a part is closed after this many bytes ...
  int64_t rotate_seconds = 300;     // ... or this long after it was opened
  // Called with the path of every sealed part (part-NNNNN.jsonl), one call at a time on the
  // log's publisher thread: after each rotation, at Stop(), and after Open() for the sealed
  // parts a stopped or killed server left. OK means the part's records are kept elsewhere and
  // the part is deleted; on an error the part stays and is handed over again at the next seal
  // or start. Empty: parts stay as they are.
  std::function<Status(const std::string& part)> publish;
};

class FeatureLog {
 public:
  // Finishes parts a killed process left as .tmp (cut at their last newline, renamed to
  // .jsonl) and starts the writer thread. `fs` is the file system of `options.dir` (local
  // when null). Errors: IOError when the folder cannot be made or listed.
  static Result<std::unique_ptr<FeatureLog>> Open(
      const FeatureLogOptions& options, std::shared_ptr<arrow::fs::FileSystem> fs = nullptr);
  // Stops (Stop()).
  ~FeatureLog();

  // Queues a record; false (and a drop counted) when the queue is full or the log stopped.
  // Thread-safe; never waits for I/O.
  bool Append(FeatureLogRecord record);
  // Writes everything queued, closes and renames the open part, joins the writer, then hands
  // the sealed parts to the publisher and joins it. Idempotent.
  void Stop();
  FeatureLogCounters Counters() const;
  // Counts a response left out by its service's sample rate. Thread-safe.
  // Whether the response `request_id` of a service logging `rate` of its responses is logged
  // (LogSampled); one that is not is counted as sampled out. Thread-safe.
  bool Sampled(std::string_view request_id, double rate) {
    if (LogSampled(request_id, rate)) return true;
    sampled_out_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

 private:
  FeatureLog(FeatureLogOptions options, std::shared_ptr<arrow::fs::FileSystem> fs);
  void WriterLoop();
  Status WriteLines(const std::string& day, const std::string& text, int64_t now_us);
  Status ClosePart();
  // Hands every sealed part under the log's folder to options_.publish (errors counted).
  void PublishSealed();
  // The publisher thread: PublishSealed() whenever the writer seals a part, and at the end.
  void PublisherLoop();
  void WakePublisher();

  const FeatureLogOptions options_;
  std::shared_ptr<arrow::fs::FileSystem> fs_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<FeatureLogRecord> queue_;
  bool stopping_ = false;
  std::atomic<int64_t> queued_{0};
  std::atomic<int64_t> written_{0};
  std::atomic<int64_t> dropped_{0};
  std::atomic<int64_t> write_errors_{0};
  std::atomic<int64_t> sampled_out_{0};
  std::atomic<int64_t> published_parts_{0};
  std::atomic<int64_t> publish_errors_{0};

  // Writer thread only.
  std::shared_ptr<arrow::io::OutputStream> part_;
  std::string part_path_;  // without ".tmp"
  std::string part_day_;
  int64_t part_bytes_ = 0;
  int64_t part_opened_us_ = 0;
  std::thread writer_;

  std::mutex publish_mu_;
  std::condition_variable publish_wake_;
  bool publish_pending_ = true;  // the parts left by an earlier server
  bool publish_stopping_ = false;
  std::thread publisher_;
};

}  // namespace fst::serving
