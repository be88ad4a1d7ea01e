// The rows of one service's log source built from the lines of a feature-log part, for the
// publisher (log_publisher.cc). Two ways in, one result:
// - ScanLogLine reads a line as the log's writer writes it (serving::AppendFeatureLogLine:
//   its members in that order, strings without escapes, scalar values, valid UTF-8) without a
//   JSON document, and LogRows::AddScanned types its values straight into the columns;
// - LogRows::AddParsed takes a line parsed into a LoggedRequest (any line the reader accepts)
//   and converts each row through the JSON message decoder, as an ingest of JSON messages does.
// A scanned line gives the same rows as the same line parsed (log_publisher_rows_test.cc
// compares them on random records). A line or value outside the scanner's subset (ScanLogLine
// or AddScanned false) goes the parsed way. Internal to src/feedback.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/record_batch.h>

#include "featherstone/connectors/json_messages.h"
#include "featherstone/feedback/feature_log_reader.h"
#include "featherstone/features/log_source.h"

namespace fst::feedback::internal {

// A JSON scalar as written in a log line.
struct LogToken {
  enum Kind : uint8_t { kNull, kTrue, kFalse, kInteger, kNumber, kString };
  Kind kind = kNull;
  std::string_view text;  // the number as written; a string's contents (no escapes)
};

// One log line as scanned; its views point into the line. Reused across lines (no allocation
// once its vectors have grown).
struct ScannedLogLine {
  std::string_view request_id;
  int64_t served_at_us = 0;
  int64_t at_us = 0;
  std::string_view service;
  std::string_view spec_hashes;  // the object as written
  std::vector<std::pair<std::string_view, std::string_view>> hashes;  // its members
  std::vector<std::string_view> features;       // "view:feature"
  std::vector<std::string_view> feature_names;
  // Per entity, its join key members: entity_begin[e] .. entity_begin[e + 1] of entity_members.
  std::vector<std::pair<std::string_view, LogToken>> entity_members;
  std::vector<size_t> entity_begin;
  // Per entity, per feature (entity e, feature f at e * features.size() + f).
  std::vector<LogToken> values;
  std::vector<std::string_view> statuses;
  std::vector<int64_t> event_ts;
  size_t entities() const { return entity_begin.empty() ? 0 : entity_begin.size() - 1; }
};

// Whether `line` is a log line in the subset above, read into `out`: a service (not null), no
// request_data, no member twice in an object, matrices of one row per entity and one value
// per feature. False for anything else (which the reader may still accept).
bool ScanLogLine(std::string_view line, ScannedLogLine* out);

// Whether `line` was served with exactly the feature list of `service` (compared as written,
// "view:feature").
bool SameFeatures(const ScannedLogLine& line, const definitions::FeatureService& service);

class LogRows {
 public:
  // Rows of `service`'s log (its layout: features::LogLayoutOf). Errors: those of LogLayoutOf.
  static Result<std::unique_ptr<LogRows>> Make(const definitions::Repo& applied,
                                               const definitions::FeatureService& service);
  ~LogRows();

  // Appends a row per entity of `line` (served with this service's feature list) and returns
  // true; returns false, appending nothing, when a value is not one the scanner types directly
  // (a value of a type other than bool, int32, int64, float64, string or a null timestamp; a
  // number in a string column; a time outside years 1970-9999), or when the line has request
  // data and the layout request fields.
  Result<bool> AddScanned(const ScannedLogLine& line);
  // Appends a row per entity of `request` (served with this service's feature list) through
  // the JSON message decoder. Errors: Invalid naming the log line of a value that does not
  // convert.
  Status AddParsed(const LoggedRequest& request);
  // Every row added, in the order added, as batches of the layout's schema (core::ToArrowType
  // types; at least one batch, maybe empty).
  Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> Finish();

 private:
  struct Columns;
  LogRows() = default;
  // Moves the rows of the way not taken next into a batch, so rows stay in the order added.
  Status Cut(bool scanned_next);
  // The row of entity `e` of `request` as the text of a JSON object of the layout's columns.
  std::string RowText(const LoggedRequest& request, size_t e, bool with_request_fields) const;

  features::LogLayout layout_;
  std::string service_hash_key_;  // "feature_service/NAME"
  // Per feature: its value column's name, and as JSON key text `"name":`, for AddParsed.
  std::vector<std::string> value_names_, value_keys_, status_keys_, event_ts_keys_;
  std::unique_ptr<connectors::JsonMessageDecoder> decoder_;
  std::unique_ptr<Columns> columns_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches_;
  std::string last_hashes_;      // the spec_hashes text of the last scanned line ...
  std::string last_hashes_json_;  // ... as the spec_hashes column holds it
  std::string last_service_hash_;
  bool last_has_service_hash_ = false;
};

}  // namespace fst::feedback::internal
