// Registry records of data quality (DESIGN section 5, docs/quality.md): quarantine files, rows
// replayed from them, validation runs with their results and metrics, circuit breakers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "featherstone/registry/source_cursor.h"
#include "featherstone/registry/source_state.h"
#include "featherstone/registry/stream_offsets.h"

namespace fst::registry {

// A Parquet file of quarantined rows, visible once its ingest is published.
struct QuarantineFileRecord {
  int64_t ingest_id = 0;
  std::string source;
  std::string path;  // relative to the quarantine root (REPO/.featherstone/quarantine)
  int64_t rows = 0;
  // Filled by ListQuarantineFiles:
  std::string input;          // the ingested file the rows came from
  int64_t published_at = 0;   // µs
  int64_t replayed_rows = 0;  // rows of this file already replayed
};

// One quarantined row, by its file and input row number (`__row`), marked as replayed.
struct ReplayMark {
  std::string path;
  int64_t row = 0;
};

// One validation run: an ingest (written, rejected or tripping the breaker) or a replay.
struct QualityRunRecord {
  int64_t id = 0;  // assigned by the registry
  std::string source;
  int64_t ingest_id = 0;  // the ingest it belongs to (never published when nothing was written)
  std::string input;
  int64_t run_at = 0;    // µs
  std::string outcome;   // "written" | "rejected" | "breaker_opened" | "replay"
  int64_t rows = 0;
  int64_t written = 0;
  int64_t quarantined = 0;
  bool success = true;      // no error-level expectation failed
  std::string result_json;  // Great Expectations validation result
  std::string metrics_json;  // per-column metrics
};

// A source's circuit breaker as stored: state "CLOSED" or "OPEN".
struct BreakerRow {
  std::string source;
  std::string state = "CLOSED";
  int64_t opened_at = 0;   // µs
  int64_t changed_at = 0;  // µs
  double bad_share = 0;
  std::string reason;
};

// What a publish records besides the offline files, in the same transaction.
struct QualityPublish {
  std::vector<QuarantineFileRecord> quarantine_files;
  std::vector<ReplayMark> replayed;  // of the publishing ingest's source
  std::optional<QualityRunRecord> run;
  std::optional<BreakerRow> breaker;
  std::vector<StreamOffset> stream_offsets;  // positions consumed by this ingest
  std::optional<SourceCursor> cursor;        // an incremental database read's position
  std::vector<SourceStateChange> source_state;  // what this ingest read (source_state.h)
};

}  // namespace fst::registry
