// Where a repo's OpenLineage run events go (docs/lineage.md "Sinks"): always the registry (for
// `featherstone lineage` and the dashboard), then the sinks of the `lineage:` setting — a JSON
// Lines file (one event per line, each appended by a single write) and an HTTP collector
// (Marquez's POST /api/v1/lineage). HTTP sends happen on a thread of their own: each event is
// tried a few times with a short bounded backoff, and one that still fails is recorded in
// REPO/.featherstone/lineage_failed.jsonl. Nothing here fails or blocks a run for long.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <arrow/filesystem/type_fwd.h>

#include "featherstone/definitions/model.h"
#include "featherstone/lineage/http_post.h"
#include "featherstone/lineage/run_event.h"
#include "featherstone/registry/registry.h"

namespace fst::lineage {

struct EmitterOptions {
  int attempts = 3;          // tries per event while the collector answers
  int backoff_ms = 100;      // before the 2nd try; doubled for each next, at most 1 s
  int timeout_ms = 2000;     // one POST
  int drain_ms = 3000;       // how long the destructor waits for queued events
};

class Emitter {
 public:
  // Errors: Invalid "featherstone.yaml:LINE:COL: lineage.http: ..." for an HTTP endpoint that
  // does not parse (ParseHttpEndpoint).
  static Status CheckSettings(const definitions::LineageSettings& settings);

  // Errors: those of CheckSettings.
  // `registry` and `fs` must outlive the emitter; relative paths are in `repo_dir`.
  static Result<std::unique_ptr<Emitter>> Open(registry::Registry& registry,
                                               arrow::fs::FileSystem& fs,
                                               const std::string& repo_dir,
                                               const std::string& project,
                                               const definitions::LineageSettings& settings,
                                               EmitterOptions options = {});
  // Waits up to drain_ms for the HTTP events still queued; the rest are recorded as failed.
  ~Emitter();
  Emitter(const Emitter&) = delete;
  Emitter& operator=(const Emitter&) = delete;

  // The namespace of the repo's jobs and datasets: `project:` of featherstone.yaml.
  const std::string& project() const { return project_; }

  // Records `event` (with `rows` written, -1 = none) in the registry and the file, and queues
  // it for the HTTP collector.
  // Never fails: a sink's failure is recorded in the failure file (and counted). Thread-safe.
  void Emit(const RunEvent& event, int64_t rows = -1);

  // Blocks until every queued HTTP event was sent or given up, at most `max_ms`.
  void Flush(int max_ms);

  // Events a sink failed to take since this emitter was made.
  int64_t failed() const;

  // REPO/.featherstone/lineage_failed.jsonl: one JSON object per event a sink did not take
  // ({time, sink, job, run_id, event_type, error}).
  static std::string FailedPath(const std::string& repo_dir);

 private:
  Emitter(registry::Registry& registry, arrow::fs::FileSystem& fs, std::string project,
          EmitterOptions options);
  void SendLoop();
  // Tries `body` until it is taken or the tries are spent; the last error, or OK.
  Status Send(const std::string& body);
  void RecordFailure(const std::string& sink, const std::string& event_json,
                     const std::string& error);

  registry::Registry& registry_;
  arrow::fs::FileSystem& fs_;
  const std::string project_;
  const EmitterOptions options_;
  std::string file_;                     // absolute; "" = no file sink
  std::optional<HttpEndpoint> http_;     // none = no HTTP sink
  std::string failed_path_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;  // event JSON waiting for the collector
  bool sending_ = false;           // the thread holds an event
  bool stopping_ = false;
  bool collector_down_ = false;    // the last event was given up: try the next ones once
  int64_t failed_ = 0;
  std::thread sender_;
};

// Lines of the failure file of the repo at `repo_dir` (0 when it does not exist).
int64_t CountFailedEvents(arrow::fs::FileSystem& fs, const std::string& repo_dir);

}  // namespace fst::lineage
