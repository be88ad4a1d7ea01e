// Reading the feature log that `featherstone serve` writes (serving/feature_log.h; format in
// docs/impl.md "Feature log"): the logged responses — from the JSONL parts not yet published and
// from the Parquet parts of the services' log sources (log_publisher.h) — and their rows as
// tables: the entity rows to recompute them from and the feature values as they were served.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/table.h>
#include <nlohmann/json.hpp>

#include "featherstone/repo/repo_context.h"

namespace fst::feedback {

// One logged response.
struct LoggedRequest {
  std::string request_id;
  int64_t served_at_us = 0;
  int64_t at_us = 0;    // the lookup time
  std::string service;  // empty: requested by feature list
  std::map<std::string, std::string> spec_hashes;  // "kind/name" -> spec hash
  std::vector<definitions::FeatureRef> features;   // in column order
  std::vector<std::string> feature_names;          // the response's column names
  // Per entity: the join keys (an object), request data (an object of text; {} when none),
  // and per feature the value, status name and event time (µs, 0: no stored row).
  std::vector<nlohmann::json> entities;
  std::vector<nlohmann::json> request_data;
  std::vector<std::vector<nlohmann::json>> values;
  std::vector<std::vector<std::string>> statuses;
  std::vector<std::vector<int64_t>> event_ts;
  std::string where;  // "PATH:LINE"
};

struct LogFilter {
  std::string service;     // only this service's responses (empty: any)
  std::string request_id;  // only this request (empty: any)
  int64_t from_us = std::numeric_limits<int64_t>::min();  // served_at in [from, to]
  int64_t to_us = std::numeric_limits<int64_t>::max();
};

// Parses one log line; `where` names it in errors. Errors: Invalid "WHERE: ..." for a line that
// is not a log record (missing or mistyped field, ragged matrices).
Result<LoggedRequest> ParseLoggedRequest(std::string_view line, const std::string& where);

// Reads the log part at `path` in blocks of whole lines, a few MiB at a time into one buffer
// kept across blocks: block(lines, &line) with `lines` ending in a newline and `line` the
// 1-based number of its first line, which block advances past them. An unterminated last line
// (being written, or cut by a crash) is passed last, alone, only when `unterminated_last` is
// set. Errors: IOError for an unreadable part; those of `block`, which stop the reading.
Status ReadLogLines(arrow::fs::FileSystem& fs, const std::string& path, bool unterminated_last,
                    const std::function<Status(std::string_view lines, int64_t* line)>& block);

// The logged responses under `dir` that pass `filter`, in served order (ties by request id):
// closed parts and the whole lines of the part a running server has open (its last line may be
// half written). All selected records are held in memory.
// Errors: IOError for an unreadable part; Invalid from ParseLoggedRequest.
// Lines are parsed on `threads` threads.
Result<std::vector<LoggedRequest>> ReadFeatureLog(arrow::fs::FileSystem& fs,
                                                  const std::string& dir,
                                                  const LogFilter& filter, int threads = 1);

// The logged responses published into the log sources `<service>__log` of the applied services
// (their registered parts only) that pass `filter`, in served order (ties by request id); none
// when nothing is applied. Errors: IOError for an unreadable part; those of LogLayoutOf.
Result<std::vector<LoggedRequest>> ReadPublishedLog(repo::RepoContext& repo,
                                                    const LogFilter& filter);

// Every logged response of the repo that passes `filter`: the published ones and those still in
// the JSONL parts of serving::FeatureLogDir (a response found in both, published while its part
// was not yet deleted, once), in served order. Errors: those of ReadPublishedLog and
// ReadFeatureLog.
Result<std::vector<LoggedRequest>> ReadRepoLog(repo::RepoContext& repo, const LogFilter& filter);

// ReadRepoLog, read on the context's threads. Errors: those of ReadRepoLog; Invalid "no logged
// request [of service 'S'] in DIR [in the requested time range] ..." when none passes.
Result<std::vector<LoggedRequest>> ReadLoggedRequests(repo::RepoContext& repo,
                                                      const LogFilter& filter);

// Logged responses as rows, one per (response, entity).
struct LoggedRows {
  std::vector<const LoggedRequest*> request;  // per row
  std::vector<size_t> entity;                 // per row: index into request->entities
  size_t size() const { return request.size(); }
  void Add(const LoggedRequest* r, size_t e) {
    request.push_back(r);
    entity.push_back(e);
  }
};
// Every entity of every response of `requests`, in that order.
LoggedRows Explode(const std::vector<const LoggedRequest*>& requests);

// The entity rows to recompute `rows` from: the join keys and request fields typed as the
// definitions declare them (retrieval::NormalizeEntityTable) and the lookup time in column
// `timestamp_column`. Errors: those of NormalizeEntityTable (e.g. a join key the definitions
// no longer have).
Result<std::shared_ptr<arrow::Table>> EntityRows(repo::RepoContext& repo, const LoggedRows& rows,
                                                 const std::vector<definitions::FeatureRef>& refs,
                                                 const std::string& timestamp_column);

// The served values of `rows` (all of one feature list, `refs`), one column per feature named
// as served and typed as the definitions declare the feature. Errors: Invalid naming the log
// line of a value that does not convert.
Result<std::shared_ptr<arrow::Table>> ServedValues(repo::RepoContext& repo,
                                                   const LoggedRows& rows,
                                                   const std::vector<definitions::FeatureRef>& refs,
                                                   const std::vector<std::string>& names);

}  // namespace fst::feedback
